//! The feeds.toml checker on any text: a config or an error that says something.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(message) = roundup::fuzzing::config(text) {
        assert!(!message.trim().is_empty(), "empty config error for {text:?}");
    }
});
