//! SMTP reply parser: no panic; a parsed reply encodes and parses back to itself; the
//! EHLO capability reader never panics and its output encodes.
#![no_main]

use correo_smtp::reply::{ReplyBuilder, ReplyLimits};
use correo_smtp::{Ehlo, Reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReplyLimits {
        max_line_length: 512,
        max_lines: 32,
    };
    if let Ok(Some((reply, used))) = Reply::parse(data, &limits) {
        assert!(used <= data.len());
        let bytes = reply.to_bytes();
        let relaxed = ReplyLimits {
            max_line_length: 100_000,
            max_lines: 1000,
        };
        let (again, n) = Reply::parse(&bytes, &relaxed).unwrap().expect("complete");
        assert_eq!(n, bytes.len());
        assert_eq!(again.code, reply.code);
        assert_eq!(again.lines.len(), reply.lines.len());
        if let Some(ehlo) = Ehlo::from_reply(&reply) {
            let _ = ehlo.to_reply().to_bytes();
            let _ = ehlo.auth_mechanisms();
            let _ = ehlo.size();
        }
    }
    let mut b = ReplyBuilder::new(limits);
    for line in data.split(|&b| b == b'\n') {
        let _ = b.push_line(line.strip_suffix(b"\r").unwrap_or(line));
    }
});
