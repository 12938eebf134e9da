//! How an error and its causes are shown: the one formatter for the binary's fatal error (one
//! line per cause), and for a failure reported inside a run (a feed's fetch error, a refusal in
//! the picker, a warning) on one line.
//!
//! A cause whose text its error already repeats (a `#[error("…: {source}")]`, or anyhow's
//! context over it) is left out, so no message says the same thing twice.

use std::error::Error;

/// The messages of `e` and its causes, outermost first, without the causes whose text is
/// already part of a message before them.
pub(crate) fn messages(e: &(dyn Error + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.iter().any(|shown| shown.contains(&text)) {
            out.push(text);
        }
        cause = c.source();
    }
    out
}

/// `e` and its causes on one line: `outer: cause: root cause`.
pub(crate) fn one_line(e: &(dyn Error + 'static)) -> String {
    messages(e).join(": ")
}

/// `e` as the binary reports a fatal error: `roundup: error: …`, then one indented
/// `caused by: …` line per cause (each line ends with a newline).
pub fn report(e: &(dyn Error + 'static)) -> String {
    let messages = messages(e);
    let mut out = format!("roundup: error: {}\n", messages[0]);
    for cause in &messages[1..] {
        out.push_str(&format!("  caused by: {cause}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read feeds.toml: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot load the config")]
    struct Wraps(#[source] Repeats);

    fn nested() -> Wraps {
        Wraps(Repeats(std::io::Error::other("permission denied")))
    }

    #[test]
    fn a_cause_the_message_already_repeats_is_shown_once() {
        assert_eq!(
            one_line(&nested()),
            "cannot load the config: cannot read feeds.toml: permission denied"
        );
    }

    #[test]
    fn a_fatal_error_has_a_line_per_cause() {
        assert_eq!(
            report(&nested()),
            "roundup: error: cannot load the config\n  caused by: cannot read feeds.toml: permission denied\n"
        );
    }

    #[test]
    fn anyhow_context_is_a_cause_like_any_other() {
        let e = anyhow::Error::new(std::io::Error::other("disk full")).context("cannot write x.md");
        assert_eq!(one_line(e.as_ref()), "cannot write x.md: disk full");
    }
}
