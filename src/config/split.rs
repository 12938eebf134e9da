//! A long feeds.toml read one `[[feeds]]` table at a time (issue 11).
//!
//! Owns: finding where each top-level `[[feeds]]` table starts and ends, and putting the
//! pieces' parses back together into the [`RawConfig`] the whole file gives.
//! Does not own: TOML (every piece is parsed by the `toml` crate, cut where its own lexer
//! says) nor what any key means (`config.rs`).
//!
//! Why: the `toml` crate holds the whole document three times over (a vector of its tokens,
//! one of its parser's events, then a tree of every table) before a single value is read. For
//! a 100,000-feed file (10 MB) that was 4 s and most of `feeds list`'s 241 MB (`perf` showed
//! the time in its document builder and in memmove). Each feed table is small and stands
//! alone, so each is parsed on its own; the rest of the file is parsed with the feed tables
//! blanked out (the same length, so every span still points into the file).
//!
//! The pieces are only used when each of them parses: any error, or anything unusual (a
//! quoted or dotted `feeds` header, an inline `feeds = [...]`, a `[[feeds]]` followed by more
//! than a comment on its line), returns `None` and the caller parses the whole file as
//! before, so every error is still the whole file's, word for word.

use std::ops::Range;

use toml::Spanned;
use toml_parser::lexer::TokenKind;

use super::{RawConfig, RawFeed};

/// The file parsed piece by piece: everything but the `[[feeds]]` tables, which go to `each`
/// in order as they are read (so they are never all held). `None` to parse it whole: when it
/// has no `[[feeds]]` table, when a piece does not parse (after `each` has had the tables
/// before it), or when cutting it could change its meaning.
/// `each` is also told how many tables there are in all.
pub(super) fn parse_in_pieces(
    text: &str,
    each: &mut dyn FnMut(RawFeed, usize),
) -> Option<RawConfig> {
    let tables = feed_tables(text)?;
    if tables.is_empty() {
        return None;
    }
    let mut rest = text.as_bytes().to_vec();
    for t in &tables {
        rest[t.whole.clone()].fill(b' ');
    }
    // Each run of feed tables keeps its last line break, so what follows starts a line.
    for (i, t) in tables.iter().enumerate() {
        let run_ends = tables.get(i + 1).is_none_or(|next| next.whole.start != t.whole.end);
        if run_ends && let Some(nl) = text[t.whole.clone()].rfind('\n') {
            rest[t.whole.start + nl] = b'\n';
        }
    }
    // Only ASCII spaces replaced whole tokens, which end on character boundaries.
    let rest = String::from_utf8(rest).ok()?;
    let raw: RawConfig = toml::from_str(&rest).ok()?;
    drop(rest);
    if raw.feeds.is_some() {
        // `feeds` is also defined outside the `[[feeds]]` tables: the whole file says how.
        return None;
    }
    for t in &tables {
        let feed: RawFeed = toml::from_str(&text[t.body.clone()]).ok()?;
        each(feed.moved_by(t.body.start), tables.len());
    }
    Some(raw)
}

/// A top-level `[[feeds]]` table in the file.
#[derive(Debug, PartialEq)]
struct FeedTable {
    /// From its header's `[[` to the next table's header (or the end of the file).
    whole: Range<usize>,
    /// What follows the header's `]]`: its keys and values.
    body: Range<usize>,
}

/// Every top-level `[[feeds]]` table, in order, found with `toml`'s own lexer (so strings,
/// comments and multi-line values are read as the parser reads them). `None` when the file
/// is not plainly a list of tables this can cut apart.
fn feed_tables(text: &str) -> Option<Vec<FeedTable>> {
    let mut tokens = toml_parser::Source::new(text).lex();
    let mut tables: Vec<FeedTable> = Vec::new();
    // Where the `[[feeds]]` table being read started and where its body starts.
    let mut open: Option<(usize, usize)> = None;
    // Brackets and braces open in a value; a header can only start a line outside any.
    let mut depth = 0usize;
    let mut line_start = true;
    while let Some(token) = tokens.next() {
        let span = token.span();
        match token.kind() {
            TokenKind::Newline => line_start = true,
            TokenKind::Whitespace => {}
            TokenKind::Eof => break,
            TokenKind::LeftSquareBracket if depth == 0 && line_start => {
                if let Some((start, body)) = open.take() {
                    tables.push(FeedTable { whole: start..span.start(), body: body..span.start() });
                }
                if let Some(body) = read_header(text, &mut tokens, span.start())? {
                    open = Some((span.start(), body));
                }
                // The header's line break was read with it.
                line_start = true;
            }
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => {
                depth += 1;
                line_start = false;
            }
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                depth = depth.checked_sub(1)?;
                line_start = false;
            }
            _ => line_start = false,
        }
    }
    if depth != 0 {
        return None;
    }
    if let Some((start, body)) = open {
        tables.push(FeedTable { whole: start..text.len(), body: body..text.len() });
    }
    Some(tables)
}

/// Reads a table header whose first `[` starts at `start`, up to and with its line break.
/// Gives `Some(Some(body))` for exactly `[[feeds]]` (blanks allowed inside), where `body` is
/// the offset just past its `]]`; `Some(None)` for any other header; `None` for a header this
/// does not read plainly (one naming `feeds` otherwise, or more than a comment after it).
fn read_header(
    text: &str,
    tokens: &mut toml_parser::lexer::Lexer<'_>,
    start: usize,
) -> Option<Option<usize>> {
    let mut parts: Vec<(TokenKind, Range<usize>)> = Vec::new();
    for token in tokens.by_ref() {
        match token.kind() {
            TokenKind::Newline | TokenKind::Eof => break,
            kind => parts.push((kind, token.span().start()..token.span().end())),
        }
    }
    // What follows the last `]` on the line may only be blanks and a comment.
    let close = parts.iter().rposition(|(kind, _)| *kind == TokenKind::RightSquareBracket)?;
    if !parts[close + 1..]
        .iter()
        .all(|(kind, _)| matches!(kind, TokenKind::Whitespace | TokenKind::Comment))
    {
        return None;
    }
    let header: Vec<&(TokenKind, Range<usize>)> =
        parts[..=close].iter().filter(|(kind, _)| *kind != TokenKind::Whitespace).collect();
    match header.as_slice() {
        // The caller read the first `[`; then `[ feeds ]]`, with `[[` and `]]` unbroken.
        [
            (TokenKind::LeftSquareBracket, open),
            (TokenKind::Atom, name),
            (TokenKind::RightSquareBracket, close1),
            (TokenKind::RightSquareBracket, close2),
        ] if open.start == start + 1
            && &text[name.clone()] == "feeds"
            && close2.start == close1.end =>
        {
            Some(Some(close2.end))
        }
        // Any other header that may name `feeds` (quoted, dotted, a plain table).
        _ if header.iter().any(|(_, span)| text[span.clone()].contains("feeds")) => None,
        _ => Some(None),
    }
}

impl RawFeed {
    /// This feed with its spans moved by `offset` (from its piece into the file).
    fn moved_by(self, offset: usize) -> RawFeed {
        let moved = |s: Spanned<String>| {
            let span = s.span();
            Spanned::new(span.start + offset..span.end + offset, s.into_inner())
        };
        RawFeed {
            id: moved(self.id),
            url: moved(self.url),
            name: self.name,
            tags: self.tags,
            interval: self.interval.map(moved),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the whole file parses to, as text (spans included).
    fn whole(text: &str) -> Result<String, String> {
        toml::from_str::<RawConfig>(text).map(|r| format!("{r:?}")).map_err(|e| e.to_string())
    }

    /// What the pieces parse to, the feeds put back in their place, as text.
    fn pieces(text: &str) -> Option<String> {
        let mut feeds = Vec::new();
        let mut raw = parse_in_pieces(text, &mut |f, _| feeds.push(f))?;
        raw.feeds = Some(feeds);
        Some(format!("{raw:?}"))
    }

    const FEED: &str = "[[feeds]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n";

    #[test]
    fn the_pieces_give_what_the_whole_file_gives_spans_included() {
        let files = [
            FEED.to_string(),
            format!("[settings]\ntimezone = \"UTC\"\n\n{FEED}\n{FEED}"),
            // Tables after the feeds, comments, blank lines and indentation.
            format!("# feeds\n{FEED}# between\n\n  {FEED}[roundup]\ntitle = \"T\"\n{FEED}"),
            // Blanks inside the header and a comment after it.
            "[[ feeds ]] # the first\nid = \"a\"\nurl = \"https://a.example/\"\n".into(),
            // A multi-line array whose lines start with `[`, and a multi-line string and a
            // comment holding a header.
            "[[feeds]]\nid = \"a\"\nurl = \"https://a.example/\"\ntags = [\n  \"x\",\n]\n\
             [[feeds]]\nid = \"b\"\nname = \"\"\"\n[[feeds]]\n\"\"\"\nurl = 'https://b.example/' # [[feeds]]\n"
                .into(),
            // Line ends of CR LF, a byte-order mark, no final line break, non-ASCII text.
            format!("\u{feff}{}", FEED.replace('\n', "\r\n")),
            "[[feeds]]\nid = \"é\"\nname = \"Café ☕\"\nurl = \"https://a.example/\"".into(),
            // A table after the last feed, then the end of the file.
            format!("{FEED}{FEED}[desk]"),
        ];
        for text in &files {
            let expected = whole(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(pieces(text).as_ref(), Some(&expected), "{text:?}");
        }
    }

    #[test]
    fn anything_unusual_or_wrong_is_left_to_the_whole_file() {
        for text in [
            // No feed tables: nothing to cut.
            "[settings]\ntimezone = \"UTC\"\n".to_string(),
            "feeds = [{ id = \"a\", url = \"https://a.example/\" }]\n".into(),
            // `feeds` named another way, or twice.
            "[[\"feeds\"]]\nid = \"a\"\nurl = \"https://a.example/\"\n".into(),
            format!("feeds = []\n{FEED}"),
            format!("{FEED}[feeds.extra]\nx = 1\n"),
            format!("[feeds]\n{FEED}"),
            "[ [feeds]]\nid = \"a\"\nurl = \"https://a.example/\"\n".into(),
            // More than a comment after the header.
            "[[feeds]] id = \"a\"\nurl = \"https://a.example/\"\n".into(),
            // Errors in a feed, in the rest, or across them.
            format!("{FEED}url = \"https://twice.example/\"\n"),
            format!("{FEED}urll = \"x\"\n"),
            format!("[settings]\nintervall = \"1h\"\n{FEED}"),
            format!("{FEED}tags = [\"x\",\n{FEED}"),
            format!("{FEED}tags = [\"x\"]]\n"),
            format!("{FEED}name = \"\"\"\n{FEED}"),
            format!("{FEED}name = \"a\rb\"\n"),
            format!("[[feeds]]\n{FEED}"),
        ] {
            assert_eq!(pieces(&text), None, "{text:?}");
        }
    }

    /// A header, then its lines: mostly plain feed tables, sometimes something odd.
    fn section() -> impl Strategy<Value = String> {
        let header = prop_oneof![
            8 => Just("[[feeds]]"),
            1 => Just("[[ feeds ]] # c"),
            1 => Just("[settings]"),
            1 => Just("[roundup]"),
            1 => prop::sample::select(vec![
                "[[feeds]] id = \"x\"",
                "[[\"feeds\"]]",
                "[feeds]",
                "[feeds.x]",
                "[[feeds.tags]]",
                "[ [feeds]]",
                "[[feeds]",
                "feeds = []",
                "",
            ]),
        ];
        let odd = prop::sample::select(vec![
            "name = \"N\"",
            "name = \"\"\"",
            "\"\"\"",
            "name = \"[[feeds]]\"",
            "name = '''\n[[feeds]]\n'''",
            "tags = [",
            "tags = [\"a\", \"b\"]",
            "tags = [[\"a\"]]",
            "]",
            "[\"x\"],",
            "\"y\",",
            "interval = \"2h\"",
            "timezone = \"UTC\"",
            "x = { a = 1,",
            "}",
            "# [[feeds]]",
            "",
            "   ",
            "\r",
            "id = \"b\"",
        ]);
        (header, prop::collection::vec(odd, 0..3), any::<u8>()).prop_map(|(header, odd, n)| {
            let mut lines = vec![header.to_string()];
            if header.contains("feeds") {
                if n != 1 {
                    lines.push(format!("id = \"f{n}\""));
                }
                if n != 2 {
                    lines.push(format!("url = 'https://{n}.example/'"));
                }
            }
            if n % 4 == 0 {
                lines.extend(odd.iter().map(|l| l.to_string()));
            }
            lines.join("\n")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whenever the pieces parse, the whole file parses to the same, spans included.
        #[test]
        fn pieces_never_accept_what_the_whole_file_refuses_nor_read_it_otherwise(
            sections in prop::collection::vec(section(), 0..12),
            crlf in any::<bool>(),
            final_break in any::<bool>(),
        ) {
            let mut text = sections.join(if crlf { "\r\n" } else { "\n" });
            if final_break {
                text.push('\n');
            }
            if let Some(split) = pieces(&text) {
                prop_assert_eq!(Ok(split), whole(&text), "{:?}", text);
            }
        }
    }
}
