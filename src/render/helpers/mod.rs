//! Handlebars helpers, one per file (as mdBook's `html_handlebars/helpers/`). They format values
//! that the views have already made safe; none of them reads data from anywhere else.

mod quote;
mod strict;

use handlebars::Handlebars;

use super::Format;

/// Registers the helpers a template of `format` may use.
pub(crate) fn register(hb: &mut Handlebars<'_>, format: Format) {
    strict::register(hb);
    if format == Format::Markdown {
        hb.register_helper("quote", Box::new(quote::quote));
    }
}
