//! `{{quote excerpt}}` (Markdown only): a Markdown block as a blockquote, every line prefixed
//! with `> ` and blank lines with `>`, so a quoted passage of several paragraphs stays one quote.

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};

pub(super) fn quote(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let param = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("quote", 0))?;
    if param.is_value_missing() {
        return Err(handlebars::RenderError::strict_error(param.relative_path()));
    }
    let text = param.value().as_str().unwrap_or_default();
    out.write(&blockquote(text))?;
    Ok(())
}

fn blockquote(text: &str) -> String {
    text.lines()
        .map(|l| if l.trim().is_empty() { ">".to_string() } else { format!("> {l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_a_quote_starts_with_a_quote_marker() {
        assert_eq!(blockquote("One.\n\nTwo."), "> One.\n>\n> Two.");
        assert_eq!(blockquote(""), "");
    }
}
