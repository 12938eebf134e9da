//! Article extraction (`roundup::extract::extract`) on any page: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    if let Ok(article) = roundup::extract::extract(&html, Some("https://example.com/post/1")) {
        let _ = article.text();
    }
});
