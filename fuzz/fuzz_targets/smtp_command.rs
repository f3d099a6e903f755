//! SMTP command parser: no panic on any line; whatever parses encodes, and the encoding
//! parses back to the same command (strict and lenient parsers alike).
#![no_main]

use correo_smtp::{Command, ParseOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lenient = ParseOptions {
        max_line_length: 100_000,
        ..ParseOptions::default()
    };
    let strict = ParseOptions {
        max_line_length: 100_000,
        ..ParseOptions::strict()
    };
    for opts in [&lenient, &strict] {
        let Ok(cmd) = Command::parse(data, opts) else {
            continue;
        };
        let mut out = Vec::new();
        cmd.encode(&mut out).expect("a parsed command encodes");
        let again = Command::parse(&out, opts).unwrap_or_else(|e| {
            panic!(
                "{:?} re-encoded as {:?}: {e}",
                cmd,
                String::from_utf8_lossy(&out)
            )
        });
        assert_eq!(again, cmd, "{:?}", String::from_utf8_lossy(&out));
    }
});
