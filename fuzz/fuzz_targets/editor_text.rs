//! The editor's Markdown subset on any text: never a panic, and its HTML never carries a script.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let [_markdown, html, plain] =
        roundup::fuzzing::editor_text(text, Some("https://example.com/p"));
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script in editor HTML: {html:?}");
    // Text `<` is escaped, so every `<a href="` is a real link: only http(s) ones pass.
    for (at, _) in lower.match_indices("<a href=\"") {
        let target = &lower[at + "<a href=\"".len()..];
        assert!(
            target.starts_with("http://") || target.starts_with("https://"),
            "link in {html:?}"
        );
    }
    assert!(!plain.contains('\n'), "plain text spans lines: {plain:?}");
});
