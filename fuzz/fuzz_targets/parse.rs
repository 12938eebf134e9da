//! The feed adapter (`roundup::parse::parse_feed`) on any bytes: an error, never a panic, and
//! within the parse budget.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://example.com/feed.xml").ok();
    let _ = roundup::parse::parse_feed(data, base.as_ref(), None);
});
