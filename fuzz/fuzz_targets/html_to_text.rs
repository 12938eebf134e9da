//! HTML to text on any input: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|html: &str| {
    let _ = roundup::fuzzing::html_to_text(html);
});
