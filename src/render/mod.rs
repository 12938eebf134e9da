//! Renders a week's roundup draft (Markdown or HTML) from handlebars templates, and lints it.
//!
//! ```text
//! Roundup + [PickedItem] ──► view (escaped / sanitised for the format) ──► templates ──► draft
//!                        └─► lint ──► warnings
//! ```
//!
//! - [`view`]: the only shapes templates see; every string in them is already safe for the
//!   output format (Markdown-escaped, or plain text that handlebars HTML-escapes, or HTML that
//!   passed the `sanitize` allowlist, ammonia), and only http(s) URLs become links (`links`,
//!   which also makes the text-fragment link to a quoted passage). `escape` does the escaping.
//! - `templates`: the defaults from the repository's `templates/`, embedded, overridden file by
//!   file from the configured folder; strict mode, so a misspelt field is an error naming the
//!   file and line.
//! - [`lint()`]: what an editor should fix before publishing (empty intro, unfilled slots,
//!   fair-dealing limits, repeats, one outlet dominating).
//!
//! This module reads template files and nothing else: no database, no network, no clock.
//! Rendering the same data twice gives the same bytes.

mod attribution;
pub(crate) mod editor;
mod escape;
mod helpers;
mod links;
mod lint;
pub(crate) mod pages;
mod sanitize;
mod templates;
pub(crate) mod view;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::{PickedItem, Roundup};

pub(crate) use lint::lint;

/// The editor's `text` (the Markdown subset of the lead, note, intro and outro) as sanitised
/// HTML paragraphs, for the public pages (an index lists each roundup with its intro).
pub(crate) fn editors_html(text: &str) -> String {
    editor::editor_html(text, None)
}

/// The editor's `text` as one line of plain text, markup dropped: a page's description.
pub(crate) fn editors_plain(text: &str) -> String {
    editor::editor_plain(text)
}

/// Output format of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Markdown,
    Html,
}

impl Format {
    /// File extension of a draft in this format.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }
}

/// A lint warning about a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning(pub String);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fair-dealing limits for excerpts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LintLimits {
    /// An excerpt of more words than this is flagged.
    pub max_words: usize,
    /// So is one of more than this share (0–1) of the article's words.
    pub max_share: f64,
}

/// A rendered draft and what rendering noticed (links it had to drop).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    pub text: String,
    pub warnings: Vec<Warning>,
}

/// Why a draft could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum RenderError {
    /// A template file (or the templates folder) could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A template does not compile, or names something that does not exist.
    #[error("{}", located(file, *line, message))]
    Template {
        /// The file, as messages name it (an override's path, or `templates/NAME (built-in)`).
        file: String,
        /// 1-based line, when known.
        line: Option<usize>,
        message: String,
    },
}

fn located(file: &str, line: Option<usize>, message: &str) -> String {
    match line {
        Some(line) => format!("{file}:{line}: {message}"),
        None => format!("{file}: {message}"),
    }
}

/// The templates: built-in defaults, overridden file by file from a folder.
#[derive(Debug, Clone)]
pub(crate) struct Renderer {
    sources: Vec<templates::Source>,
}

impl Renderer {
    /// Reads the overrides in `overrides` (a missing folder means the defaults alone). Templates
    /// are compiled per format when rendering, so a broken HTML override does not stop a
    /// Markdown draft.
    pub(crate) fn new(overrides: &Path) -> Result<Renderer, RenderError> {
        Ok(Renderer { sources: templates::load(overrides)? })
    }

    /// The draft of `roundup` with its `items`, in `format`.
    pub(crate) fn render(
        &self,
        roundup: &Roundup,
        items: &[PickedItem],
        format: Format,
    ) -> Result<Rendered, RenderError> {
        self.render_as(roundup, items, format, false)
    }

    /// The HTML body of the blog post `roundup push` sends: the HTML draft with the view's
    /// `blog` set, so the default template leaves out what goes in the post's own fields (the
    /// title, the intro, the tags and the categories).
    pub(crate) fn render_blog_body(
        &self,
        roundup: &Roundup,
        items: &[PickedItem],
    ) -> Result<Rendered, RenderError> {
        self.render_as(roundup, items, Format::Html, true)
    }

    fn render_as(
        &self,
        roundup: &Roundup,
        items: &[PickedItem],
        format: Format,
        blog: bool,
    ) -> Result<Rendered, RenderError> {
        let compiled = templates::compile(&self.sources, format)?;
        let mut warnings = Vec::new();
        let item_views: Vec<view::ItemView<'_>> = view::in_post_order(items)
            .into_iter()
            .map(|item| {
                let (v, dropped) = view::item_view(item, format);
                warnings.extend(dropped);
                v
            })
            .collect();
        let mut data = view::roundup_view(roundup, &item_views, format);
        data.blog = blog;
        let text = compiled.hb.render(&compiled.main, &data).map_err(|e| compiled.error(e))?;
        Ok(Rendered { text: tidy(&text, format), warnings })
    }

    /// One item alone, as the HTML draft renders it (the `item` partial): the desk's preview.
    pub(crate) fn render_item_html(&self, item: &PickedItem) -> Result<Rendered, RenderError> {
        let compiled = templates::compile(&self.sources, Format::Html)?;
        let (v, dropped) = view::item_view(item, Format::Html);
        let text = compiled.hb.render("item", &v).map_err(|e| compiled.error(e))?;
        Ok(Rendered { text: tidy(&text, Format::Html), warnings: dropped.into_iter().collect() })
    }
}

/// The draft's final layout: Markdown never has more than one blank line in a row (a template's
/// optional parts may leave several); blank lines are empty; both formats end with exactly one
/// newline.
fn tidy(text: &str, format: Format) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut blank_run = 0;
    for line in text.trim_matches('\n').split('\n') {
        let blank = line.trim().is_empty();
        blank_run = if blank { blank_run + 1 } else { 0 };
        if format == Format::Markdown && blank_run > 1 {
            continue;
        }
        out.push_str(if blank { "" } else { line });
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::view::tests::{item, roundup};
    use super::*;

    fn defaults() -> Renderer {
        Renderer::new(Path::new("/nonexistent/roundup/templates")).expect("defaults")
    }

    /// A temp dir holding the given override files.
    fn overrides(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write override");
        }
        dir
    }

    fn err_text(r: Result<Rendered, RenderError>) -> String {
        match r {
            Ok(r) => panic!("expected an error, rendered:\n{}", r.text),
            Err(e) => e.to_string(),
        }
    }

    fn picks() -> Vec<PickedItem> {
        let mut a = item(1, "LGIU", "Council budgets under pressure", "https://lgiu.example/a");
        a.excerpt =
            Some("Councils across England face a gap.\n\nThe sector is out of savings.".into());
        let mut b = item(2, "LocalGov", "Housing *now*", "https://localgov.example/b");
        b.lead = Some("A sharp piece on housing.".into());
        b.entry.author = None;
        vec![a, b]
    }

    #[test]
    fn the_default_markdown_names_outlet_author_and_link_and_quotes_the_excerpt() {
        let out = defaults().render(&roundup(), &picks(), Format::Markdown).expect("renders");
        let t = &out.text;
        assert!(t.starts_with("# That was the local government week that was\n"), "{t}");
        assert!(
            t.contains(
                "Over at **[LGIU](https://lgiu.example/)**, Jane Smith writes about \
                 [Council budgets under pressure](https://lgiu.example/a):"
            ),
            "{t}"
        );
        assert!(
            t.contains(
                "> Councils across England face a gap.\n>\n> The sector is out of savings.\n"
            ),
            "{t}"
        );
        assert!(t.contains("A sharp piece on housing."), "{t}");
        assert!(t.contains("Housing \\*now\\*"), "{t}");
        assert!(t.contains("Worth a read."), "{t}");
        assert!(!t.contains("\n\n\n"), "{t}");
        assert!(t.ends_with('\n') && !t.ends_with("\n\n"));
        assert!(out.warnings.is_empty());
    }

    /// Seen in Chromium on a published page: a pick with neither a quote nor the editor's lead
    /// read "… writes about Title:" with nothing after the colon.
    #[test]
    fn the_written_lead_in_ends_with_a_colon_only_before_a_quote() {
        let quoted = &picks()[..1];
        let mut bare = item(1, "LGIU", "Council budgets under pressure", "https://lgiu.example/a");
        bare.excerpt = None;
        let md = |items: &[PickedItem]| {
            defaults().render(&roundup(), items, Format::Markdown).expect("renders").text
        };
        let html = |items: &[PickedItem]| {
            defaults().render(&roundup(), items, Format::Html).expect("renders").text
        };
        let lead_md =
            "Jane Smith writes about [Council budgets under pressure](https://lgiu.example/a)";
        let lead_html = "Jane Smith writes about <a href=\"https://lgiu.example/a\">Council budgets under pressure</a>";
        assert!(md(quoted).contains(&format!("{lead_md}:\n")), "{}", md(quoted));
        assert!(md(&[bare.clone()]).contains(&format!("{lead_md}.\n")), "{}", md(&[bare.clone()]));
        assert!(html(quoted).contains(&format!("{lead_html}:</p>")), "{}", html(quoted));
        assert!(html(&[bare.clone()]).contains(&format!("{lead_html}.</p>")), "{}", html(&[bare]));
    }

    #[test]
    fn an_author_who_is_the_outlet_is_named_once_and_a_site_suffix_is_dropped() {
        let mut bbc = item(1, "BBC News", "Budget day - BBC News", "https://bbc.example/a");
        bbc.entry.author = Some("BBC News".into());
        bbc.entry.outlet_url = Some("https://bbc.example/".into());
        let mut blog = item(2, "Rowan Manning", "Why I quit", "https://rowan.example/b");
        blog.entry.author = Some("Rowan Manning".into());
        blog.lead = Some("Rowan has thoughts.".into());
        let mut guardian = item(3, "The Guardian", "Bins | Rafael Behr", "https://g.example/c");
        guardian.entry.author = Some("Rafael Behr".into());
        guardian.lead = Some("Behr on bins.".into());
        let items = [bbc, blog, guardian];
        let md = defaults().render(&roundup(), &items, Format::Markdown).unwrap().text;
        assert!(
            md.contains(
                "Over at **[BBC News](https://bbc.example/)**, [Budget day](https://bbc.example/a):"
            ),
            "{md}"
        );
        assert!(md.contains("> — [BBC News](https://bbc.example/a#:~:text="), "{md}");
        assert!(md.contains("> — [Why I quit](https://rowan.example/b#:~:text="), "{md}");
        assert!(md.contains("), Rowan Manning\n"), "{md}");
        assert!(md.contains("> — Rafael Behr, [Bins](https://g.example/c#:~:text="), "{md}");
        assert!(!md.contains("BBC News writes") && !md.contains("Rafael Behr |"), "{md}");
        assert_eq!(md.matches("Rowan Manning").count(), 1, "{md}");
        let html = defaults().render(&roundup(), &items, Format::Html).unwrap().text;
        assert!(
            html.contains("<figcaption>— <cite><a href=\"https://bbc.example/a#:~:text"),
            "{html}"
        );
        assert!(html.contains(">Bins</a></cite>, The Guardian</figcaption>"), "{html}");
        assert_eq!(html.matches("Rowan Manning").count(), 1, "{html}");
    }

    #[test]
    fn the_default_html_escapes_text_and_quotes_with_a_cite_link() {
        let mut items = picks();
        items[0].entry.title = Some("<script>alert(1)</script> & </blockquote>".into());
        let out = defaults().render(&roundup(), &items, Format::Html).expect("renders");
        let t = &out.text;
        assert!(!t.contains("<script"), "{t}");
        assert!(
            t.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/blockquote&gt;"),
            "{t}"
        );
        assert!(t.contains("<blockquote cite=\"https://lgiu.example/a#:~:text&#x3D;"), "{t}");
        assert!(t.contains("<p>Councils across England face a gap.</p>"), "{t}");
    }

    #[test]
    fn the_blog_body_leaves_out_the_title_intro_tags_and_categories_and_keeps_the_rest() {
        let mut r = roundup();
        r.intro = Some("This week's **intro**.".into());
        r.tags = vec!["housing".into()];
        r.categories = vec!["Weekly".into()];
        let draft = defaults().render(&r, &picks(), Format::Html).unwrap().text;
        let body = defaults().render_blog_body(&r, &picks()).unwrap().text;
        for gone in ["<h1>", "roundup-intro", "roundup-tags", "roundup-categories"] {
            assert!(draft.contains(gone), "{draft}");
            assert!(!body.contains(gone), "{body}");
        }
        for kept in ["roundup-dates", "<blockquote cite=", "Councils across England", "Worth"] {
            assert!(body.contains(kept), "{kept} missing:\n{body}");
        }
    }

    #[test]
    fn rendering_twice_gives_the_same_bytes() {
        let r = defaults();
        for format in [Format::Markdown, Format::Html] {
            let a = r.render(&roundup(), &picks(), format).unwrap().text;
            let b = r.render(&roundup(), &picks(), format).unwrap().text;
            assert_eq!(a, b);
        }
    }

    #[test]
    fn an_override_replaces_only_its_own_file() {
        let dir = overrides(&[("item.md.hbs", "* {{title}} ({{outlet}})")]);
        let r = Renderer::new(dir.path()).unwrap();
        let md = r.render(&roundup(), &picks(), Format::Markdown).unwrap().text;
        assert!(md.contains("* Council budgets under pressure (LGIU)"), "{md}");
        assert!(md.starts_with("# That was the local government week that was\n"), "{md}");
        let html = r.render(&roundup(), &picks(), Format::Html).unwrap().text;
        assert!(html.contains("<blockquote"), "the HTML item is still the default: {html}");
    }

    #[test]
    fn an_extra_file_in_the_folder_is_a_partial() {
        let dir = overrides(&[
            ("roundup.md.hbs", "{{title}}\n{{> signoff}}\n"),
            ("signoff.md.hbs", "Ends {{week}}."),
        ]);
        let md = Renderer::new(dir.path())
            .unwrap()
            .render(&roundup(), &picks(), Format::Markdown)
            .unwrap()
            .text;
        assert_eq!(md, "That was the local government week that was\nEnds 2024-W48.\n");
    }

    #[test]
    fn an_unknown_field_is_an_error_naming_the_file_and_line() {
        let dir = overrides(&[("roundup.md.hbs", "# {{title}}\n\nBy {{autor}}\n")]);
        let e = err_text(Renderer::new(dir.path()).unwrap().render(
            &roundup(),
            &picks(),
            Format::Markdown,
        ));
        let file = dir.path().join("roundup.md.hbs");
        assert_eq!(e, format!("{}:3: variable \"autor\" does not exist", file.display()));
    }

    #[test]
    fn an_unknown_field_in_an_if_is_an_error_too() {
        let dir =
            overrides(&[("item.md.hbs", "{{title}}\n{{#if exerpt}}\n{{excerpt}}\n{{/if}}\n")]);
        let e = err_text(Renderer::new(dir.path()).unwrap().render(
            &roundup(),
            &picks(),
            Format::Markdown,
        ));
        let file = dir.path().join("item.md.hbs");
        assert_eq!(e, format!("{}:2: variable \"exerpt\" does not exist", file.display()));
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let dir = overrides(&[(
            "roundup.html.hbs",
            "<h1>{{title}}</h1>\n{{#if intro}}\n{{{intro}}}\n{{/each}}\n",
        )]);
        let r = Renderer::new(dir.path()).unwrap();
        let e = err_text(r.render(&roundup(), &picks(), Format::Html));
        let file = dir.path().join("roundup.html.hbs");
        assert!(e.starts_with(&format!("{}:4: ", file.display())), "{e}");
        assert!(e.contains("\"if\" was opened, but \"each\" is closing"), "{e}");
        // The Markdown templates are not affected by a broken HTML override.
        r.render(&roundup(), &picks(), Format::Markdown).expect("markdown still renders");
    }

    #[test]
    fn an_unreadable_override_is_an_error_naming_it() {
        let dir = overrides(&[]);
        std::fs::create_dir(dir.path().join("item.md.hbs")).unwrap();
        let e = Renderer::new(dir.path()).unwrap_err().to_string();
        assert_eq!(e, format!("cannot read {}", dir.path().join("item.md.hbs").display()));
    }

    #[test]
    fn a_missing_partial_is_an_error_naming_the_file() {
        let dir = overrides(&[("roundup.md.hbs", "{{title}}\n{{> footer}}\n")]);
        let e = err_text(Renderer::new(dir.path()).unwrap().render(
            &roundup(),
            &picks(),
            Format::Markdown,
        ));
        assert!(e.contains("roundup.md.hbs:2: partial \"footer\" does not exist"), "{e}");
    }

    #[test]
    fn tidy_keeps_one_blank_line_in_markdown() {
        assert_eq!(tidy("\n\na\n \n\n\nb  \n\n", Format::Markdown), "a\n\nb  \n");
        assert_eq!(tidy("a\n\n\nb", Format::Html), "a\n\n\nb\n");
    }
}
