//! Character sets in front of feed-rs: any bytes → UTF-8 text whose XML declaration, if it
//! names an encoding, names UTF-8.
//!
//! Owns: BOMs, UTF-16 and UTF-32 told by the bytes of the first `<`, the XML declaration's
//! `encoding` (trusted, overruled when it lies, rewritten once the text is UTF-8), the HTTP
//! charset, and the fallbacks for bytes that are not valid UTF-8 (mostly-UTF-8 stays UTF-8,
//! anything else is read in the HTTP charset, else windows-1252).
//! Does not own: which dialect a document is or a second, lenient reading of it (`dialect`,
//! `repair`), or anything feed-rs reads.

use std::borrow::Cow;

/// Makes the bytes something feed-rs decodes correctly (CRATES.md §4.3): UTF-8, with any
/// XML declaration saying so.
/// 1. a BOM is trusted (UTF-8, UTF-16, UTF-32), then the byte pattern of `<` in UTF-16/32;
/// 2. a declaration is trusted unless the bytes are valid UTF-8 with non-ASCII in them while it
///    names another encoding (it lies), or it names UTF-16/32 for bytes that are not;
/// 3. undeclared (or UTF-8-declared) valid UTF-8 passes as it is;
/// 4. otherwise UTF-8 with a few bad bytes is kept as UTF-8 (bad bytes replaced), and anything
///    else is decoded with the HTTP charset, else windows-1252.
pub fn normalise_encoding<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, [u8]> {
    match to_utf8(bytes, http_charset) {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// [`normalise_encoding`], as text.
pub(super) fn to_utf8<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => with_utf8_declaration(Cow::Borrowed(s)),
            Err(_) => with_utf8_declaration(Cow::Owned(legacy_or_lossy(rest, http_charset))),
        };
    }
    if let Some(wide) = wide_encoding(bytes) {
        return Cow::Owned(strip_declared_encoding(&wide));
    }
    let declared = declared_encoding(bytes);
    let utf8 = std::str::from_utf8(bytes).ok();
    let text: Cow<'a, str> = match (declared.as_deref(), utf8) {
        (None, Some(s)) => return Cow::Borrowed(s),
        (Some(e), Some(s)) if is_utf8_label(e) => return Cow::Borrowed(s),
        (None, None) => Cow::Owned(legacy_or_lossy(bytes, http_charset)),
        (Some(e), None) if is_utf8_label(e) || is_wide_label(e) => {
            Cow::Owned(legacy_or_lossy(bytes, http_charset))
        }
        // Valid UTF-8: either the declaration lies (non-ASCII that is valid UTF-8 is very
        // rarely anything else), or the text is ASCII, which every declared encoding reads alike.
        (Some(_), Some(s)) => Cow::Borrowed(s),
        (Some(e), None) => match encoding_rs::Encoding::for_label(e.as_bytes()) {
            Some(enc) => Cow::Owned(enc.decode(bytes).0.into_owned()),
            // An encoding nobody knows: the HTTP charset or windows-1252.
            None => Cow::Owned(legacy_or_lossy(bytes, http_charset)),
        },
    };
    with_utf8_declaration(text)
}

/// Bytes that are not valid UTF-8: mostly-UTF-8 with a few bad bytes stays UTF-8 (the bad
/// bytes replaced), anything else is read in the HTTP charset, else windows-1252.
fn legacy_or_lossy(bytes: &[u8], http_charset: Option<&str>) -> String {
    let http = http_charset.and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()));
    if http.is_none_or(|e| e == encoding_rs::UTF_8) && mostly_utf8(bytes) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let enc = http.filter(|e| *e != encoding_rs::UTF_8).unwrap_or(encoding_rs::WINDOWS_1252);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// More valid multi-byte UTF-8 sequences than invalid bytes.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut good, mut bad) = (0usize, 0usize);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                good += s.bytes().filter(|b| *b >= 0xC0).count();
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                good += valid.iter().filter(|b| **b >= 0xC0).count();
                bad += 1;
                rest = &after[e.error_len().unwrap_or(after.len()).min(after.len())..];
            }
        }
    }
    good > bad
}

/// UTF-16 and UTF-32 documents, by BOM or by the bytes of their first `<`, decoded.
fn wide_encoding(bytes: &[u8]) -> Option<String> {
    let utf32 = |data: &[u8], big: bool| -> String {
        data.chunks_exact(4)
            .map(|c| {
                let n = if big {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                };
                char::from_u32(n).unwrap_or('\u{fffd}')
            })
            .collect()
    };
    let utf16 = |data: &[u8], enc: &'static encoding_rs::Encoding| -> String {
        enc.decode_without_bom_handling(data).0.into_owned()
    };
    Some(match bytes {
        [0x00, 0x00, 0xFE, 0xFF, rest @ ..] => utf32(rest, true),
        [0xFF, 0xFE, 0x00, 0x00, rest @ ..] => utf32(rest, false),
        [0x00, 0x00, 0x00, b'<', ..] => utf32(bytes, true),
        [b'<', 0x00, 0x00, 0x00, ..] => utf32(bytes, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, encoding_rs::UTF_16BE),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, encoding_rs::UTF_16LE),
        [0x00, b'<', ..] | [0x00, b'\n' | b'\r' | b' ' | b'\t', 0x00, _, ..] => {
            utf16(bytes, encoding_rs::UTF_16BE)
        }
        [b'<', 0x00, ..] | [b'\n' | b'\r' | b' ' | b'\t', 0x00, _, 0x00, ..] => {
            utf16(bytes, encoding_rs::UTF_16LE)
        }
        _ => return None,
    })
}

pub(super) fn is_utf8_label(e: &str) -> bool {
    e.eq_ignore_ascii_case("utf-8") || e.eq_ignore_ascii_case("utf8")
}

fn is_wide_label(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    e.starts_with("utf-16") || e.starts_with("utf-32") || e.starts_with("ucs") || e == "unicode"
}

/// The `encoding` of the XML declaration, if any.
pub(super) fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let start = head.find("<?xml")?;
    let decl = &head[start..start + head[start..].find("?>")?];
    let j = decl.find("encoding")? + "encoding".len();
    let rest = decl[j..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim().to_string())
}

/// UTF-8 text whose declaration, if it names an encoding, names UTF-8: quick-xml would
/// otherwise decode it a second time.
fn with_utf8_declaration(text: Cow<'_, str>) -> Cow<'_, str> {
    match declared_encoding(text.as_bytes()) {
        Some(e) if !is_utf8_label(&e) => Cow::Owned(strip_declared_encoding(&text)),
        _ => text,
    }
}

/// Once the text is UTF-8, the declaration must say so (or nothing) for feed-rs to agree.
fn strip_declared_encoding(text: &str) -> String {
    let Some(start) = text.find("<?xml") else { return text.to_string() };
    let Some(end) = text[start..].find("?>").map(|e| start + e) else { return text.to_string() };
    let decl = &text[start..end];
    let Some(j) = decl.find("encoding") else { return text.to_string() };
    let after = &decl[j..];
    let Some(q1) = after.find(['"', '\'']) else { return text.to_string() };
    let quote = after.as_bytes()[q1] as char;
    let Some(q2) = after[q1 + 1..].find(quote) else { return text.to_string() };
    let new_decl = format!("{}encoding=\"UTF-8\"{}", &decl[..j], &after[q1 + 1 + q2 + 1..]);
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(&new_decl);
    out.push_str(&text[end..]);
    out
}

#[cfg(test)]
mod tests {
    use crate::parse::{parse_feed, tests::bare};

    #[test]
    fn latin1_without_a_declaration_is_read_with_the_http_charset() {
        let mut bytes = b"<rss version=\"2.0\"><channel><title>Sch".to_vec();
        bytes.push(0xF6);
        bytes.extend_from_slice(b"ne</title></channel></rss>");
        let f = parse_feed(&bytes, None, Some("iso-8859-1")).unwrap();
        assert_eq!(f.title.as_deref(), Some("Sch\u{f6}ne"));
        let f = parse_feed(&bytes, None, None).unwrap();
        assert_eq!(f.title.as_deref(), Some("Sch\u{f6}ne"));
    }

    #[test]
    fn a_declaration_that_lies_about_utf8_bytes_is_overruled() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\u{e9}</title></channel></rss>";
        let f = parse_feed(doc.as_bytes(), None, None).unwrap();
        assert_eq!(f.title.as_deref(), Some("Caf\u{e9}"));
    }

    #[test]
    fn invalid_utf8_bytes_do_not_lose_the_feed() {
        let mut bytes =
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>A"
                .to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(b"B</title><item><title>kept</title></item></channel></rss>");
        let f = parse_feed(&bytes, None, None).unwrap();
        assert_eq!(f.entries.len(), 1);
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    }

    #[test]
    fn utf16_and_utf32_documents_are_decoded_with_or_without_a_bom() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>Gr\u{fc}\u{df}e \u{2603}</title></channel></rss>";
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(utf16(doc, false));
        let utf32: Vec<u8> = doc.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        for bytes in [utf16(doc, true), utf16(doc, false), with_bom, utf32] {
            let f = parse_feed(&bytes, None, None).unwrap();
            assert_eq!(f.title.as_deref(), Some("Gr\u{fc}\u{df}e \u{2603}"));
        }
    }

    #[test]
    fn a_declaration_naming_utf16_for_ascii_bytes_is_ignored() {
        let f = bare(
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>T</title></channel></rss>",
        );
        assert_eq!(f.title.as_deref(), Some("T"));
    }

    #[test]
    fn declared_utf8_that_is_latin1_is_read_as_windows_1252_but_a_stray_bad_byte_is_not() {
        let mut bytes =
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Caf"
                .to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(b"</title></channel></rss>");
        assert_eq!(parse_feed(&bytes, None, None).unwrap().title.as_deref(), Some("Caf\u{e9}"));
        let mut bytes = "<rss version=\"2.0\"><channel><title>\u{e9}t\u{e9} ".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(b"</title></channel></rss>");
        assert_eq!(
            parse_feed(&bytes, None, None).unwrap().title.as_deref(),
            Some("\u{e9}t\u{e9} \u{fffd}")
        );
    }
}
