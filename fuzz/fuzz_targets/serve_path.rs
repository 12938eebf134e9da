//! `serve`'s request-path decoding on any path: every segment it accepts stays inside the public
//! folder and names no hidden file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Some(segments) = roundup::fuzzing::serve_path(raw) {
        for seg in &segments {
            assert!(!seg.is_empty(), "empty segment from {raw:?}");
            assert!(!seg.starts_with('.'), "dot segment {seg:?} from {raw:?}");
            assert!(
                !seg.contains(['/', '\\', '\0']) && !seg.chars().any(char::is_control),
                "segment {seg:?} from {raw:?} holds a separator or control character"
            );
        }
    }
});
