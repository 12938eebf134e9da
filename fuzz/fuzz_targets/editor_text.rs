//! The editor's Markdown subset on any text: never a panic, and its HTML never carries a script.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let [_markdown, html, plain] =
        roundup::fuzzing::editor_text(text, Some("https://example.com/p"));
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script in editor HTML: {html:?}");
    assert!(!lower.contains("href=\"javascript:"), "javascript: link in editor HTML: {html:?}");
    assert!(!plain.contains('\n'), "plain text spans lines: {plain:?}");
});
