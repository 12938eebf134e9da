//! Where templates come from and how they are compiled: the defaults shipped in the repository's
//! `templates/` folder are embedded in the binary, and a file of the same name in the configured
//! templates folder replaces one of them, file by file (as mdBook's `theme/`). A broken override
//! is an error, never a silent fall-back; the other templates are unaffected.
//!
//! Per format (`md`, `html`) the main template is `roundup.FORMAT.hbs`; every other
//! `NAME.FORMAT.hbs` (built in, or added to the folder) is the partial `{{> NAME}}`.
//! Errors name the file and line: `templates/roundup.md.hbs:12: variable "autor" does not exist`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use handlebars::{Handlebars, RenderErrorReason, TemplateErrorReason};

use super::{Format, RenderError, helpers};

/// The default templates, as shipped in `templates/`.
pub(crate) const BUILT_IN: &[(&str, &str)] = &[
    ("roundup.md.hbs", include_str!("../../templates/roundup.md.hbs")),
    ("item.md.hbs", include_str!("../../templates/item.md.hbs")),
    ("roundup.html.hbs", include_str!("../../templates/roundup.html.hbs")),
    ("item.html.hbs", include_str!("../../templates/item.html.hbs")),
    ("page.html.hbs", include_str!("../../templates/page.html.hbs")),
    ("index.html.hbs", include_str!("../../templates/index.html.hbs")),
    ("head.html.hbs", include_str!("../../templates/head.html.hbs")),
    ("404.html.hbs", include_str!("../../templates/404.html.hbs")),
];

/// The public folder's page templates (`roundup publish`): each is a main template of its own,
/// never a partial of the draft. Every other `NAME.html.hbs` is a partial `{{> NAME}}` in them.
pub(crate) const PAGES: &[&str] = &["page.html.hbs", "index.html.hbs", "404.html.hbs"];

/// One template file and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    /// File name, e.g. `item.md.hbs`.
    pub file: String,
    pub text: String,
    /// The override it was read from; `None` for a built-in default.
    pub path: Option<PathBuf>,
}

impl Source {
    /// How messages name it.
    fn display(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => format!("templates/{} (built-in)", self.file),
        }
    }
}

/// The `.FORMAT.hbs` suffix of a format's templates.
fn suffix(format: Format) -> String {
    format!(".{}.hbs", format.extension())
}

fn is_template_name(name: &str) -> bool {
    [Format::Markdown, Format::Html].into_iter().any(|f| {
        name.strip_suffix(&suffix(f)).is_some_and(|stem| !stem.is_empty() && !stem.starts_with('.'))
    })
}

/// The templates: every built-in default, replaced by the file of the same name in `dir` when
/// there is one, plus any other `NAME.md.hbs` / `NAME.html.hbs` in `dir` (extra partials). A
/// missing `dir` means the defaults alone.
pub(crate) fn load(dir: &Path) -> Result<Vec<Source>, RenderError> {
    let read = |path: PathBuf, file: &str| -> Result<Option<Source>, RenderError> {
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(Source { file: file.to_string(), text, path: Some(path) })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(RenderError::Read { path, source }),
        }
    };
    let mut sources = Vec::new();
    for (file, text) in BUILT_IN {
        let source = read(dir.join(file), file)?.unwrap_or_else(|| Source {
            file: file.to_string(),
            text: text.to_string(),
            path: None,
        });
        sources.push(source);
    }
    let listing = match std::fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(sources),
        Err(source) => return Err(RenderError::Read { path: dir.to_path_buf(), source }),
    };
    let mut extra: Vec<String> = listing
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| is_template_name(name) && !BUILT_IN.iter().any(|(b, _)| b == name))
        .collect();
    extra.sort();
    for file in extra {
        if let Some(source) = read(dir.join(&file), &file)? {
            sources.push(source);
        }
    }
    Ok(sources)
}

/// A format's templates, compiled.
pub(crate) struct Compiled {
    pub hb: Handlebars<'static>,
    /// The main template's registered name.
    pub main: String,
    /// Registered name → how messages name its file.
    files: HashMap<String, String>,
}

impl Compiled {
    /// A handlebars render error as `file:line: message`.
    pub(super) fn error(&self, e: handlebars::RenderError) -> RenderError {
        let name = e.template_name.clone().unwrap_or_else(|| self.main.clone());
        let file = self.files.get(&name).cloned().unwrap_or(name);
        let message = match e.reason() {
            RenderErrorReason::MissingVariable(Some(path)) => {
                format!("variable {path:?} does not exist")
            }
            RenderErrorReason::MissingVariable(None) => "a variable does not exist".to_string(),
            RenderErrorReason::PartialNotFound(p) => {
                format!("partial {p:?} does not exist (a partial is a file {p}.FORMAT.hbs)")
            }
            RenderErrorReason::HelperNotFound(h) => format!("helper {h:?} does not exist"),
            RenderErrorReason::TemplateError(t) => return template_error(&file, t),
            other => other.to_string(),
        };
        RenderError::Template { file, line: e.line_no, message }
    }
}

fn template_error(file: &str, e: &handlebars::TemplateError) -> RenderError {
    let message = match e.reason() {
        TemplateErrorReason::InvalidSyntax(s) => format!("invalid template syntax: {s}"),
        other => other.to_string(),
    };
    RenderError::Template { file: file.to_string(), line: e.pos().map(|(l, _)| l), message }
}

/// Compiles the templates of `format`: strict mode, helpers, and escaping by format (HTML
/// escaping for HTML; none for Markdown, whose views are escaped already).
pub(crate) fn compile(sources: &[Source], format: Format) -> Result<Compiled, RenderError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    match format {
        Format::Markdown => hb.register_escape_fn(handlebars::no_escape),
        Format::Html => hb.register_escape_fn(handlebars::html_escape),
    }
    helpers::register(&mut hb, format);
    let suffix = suffix(format);
    let main = format!("roundup{suffix}");
    let mut files = HashMap::new();
    for source in sources {
        let Some(stem) = source.file.strip_suffix(&suffix) else { continue };
        if PAGES.contains(&source.file.as_str()) {
            continue;
        }
        let display = source.display();
        let compiled = if source.file == main {
            files.insert(main.clone(), display.clone());
            hb.register_template_string(&main, &source.text)
        } else {
            files.insert(stem.to_string(), display.clone());
            hb.register_partial(stem, &source.text)
        };
        compiled.map_err(|e| template_error(&display, &e))?;
    }
    Ok(Compiled { hb, main, files })
}

/// Compiles the public page template `page` (one of [`PAGES`]) with every other HTML template
/// but the pages as a partial; HTML escaping, strict mode.
pub(crate) fn compile_page(sources: &[Source], page: &str) -> Result<Compiled, RenderError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::html_escape);
    helpers::register(&mut hb, Format::Html);
    let suffix = suffix(Format::Html);
    let mut files = HashMap::new();
    for source in sources {
        let Some(stem) = source.file.strip_suffix(&suffix) else { continue };
        let display = source.display();
        let compiled = if source.file == page {
            files.insert(page.to_string(), display.clone());
            hb.register_template_string(page, &source.text)
        } else if PAGES.contains(&source.file.as_str()) {
            continue;
        } else {
            files.insert(stem.to_string(), display.clone());
            hb.register_partial(stem, &source.text)
        };
        compiled.map_err(|e| template_error(&display, &e))?;
    }
    Ok(Compiled { hb, main: page.to_string(), files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_are_the_files_shipped_in_templates() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for (file, text) in BUILT_IN {
            let on_disk = std::fs::read_to_string(shipped.join(file)).expect("shipped");
            assert_eq!(&on_disk, text, "{file}");
        }
    }

    #[test]
    fn a_missing_folder_means_the_defaults() {
        let sources = load(Path::new("/nonexistent/roundup/templates")).expect("defaults");
        assert_eq!(sources.len(), BUILT_IN.len());
        assert!(sources.iter().all(|s| s.path.is_none()));
    }

    #[test]
    fn only_format_templates_count_as_extra_partials() {
        assert!(is_template_name("footer.md.hbs"));
        assert!(is_template_name("footer.html.hbs"));
        assert!(!is_template_name(".md.hbs"));
        assert!(!is_template_name("notes.txt"));
        assert!(!is_template_name("feed.xml.hbs"));
    }
}
