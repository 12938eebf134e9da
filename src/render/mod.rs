//! (stub, to be written) Renders a week's roundup draft from handlebars templates.

use std::fmt;
use std::path::Path;

use crate::model::{PickedItem, Roundup};

/// Output format of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

impl Format {
    /// File extension of a draft in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }
}

/// A lint warning about a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fair-dealing limits for excerpts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LintLimits {
    pub max_words: usize,
    pub max_share: f64,
}

/// A rendered draft and what rendering noticed.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub warnings: Vec<Warning>,
}

/// Why a draft could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Template(String),
}

/// Checks a draft before rendering.
pub fn lint(
    _roundup: &Roundup,
    _items: &[PickedItem],
    _featured: &[(String, String)],
    _limits: &LintLimits,
) -> Vec<Warning> {
    Vec::new()
}

/// The templates: built-in defaults, overridden file by file from a folder.
pub struct Renderer;

impl Renderer {
    pub fn new(_overrides: &Path) -> Result<Renderer, RenderError> {
        Ok(Renderer)
    }

    pub fn render(
        &self,
        roundup: &Roundup,
        _items: &[PickedItem],
        _format: Format,
    ) -> Result<Rendered, RenderError> {
        Ok(Rendered { text: roundup.title.clone(), warnings: Vec::new() })
    }
}
