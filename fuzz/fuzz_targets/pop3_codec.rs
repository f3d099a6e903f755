//! Fuzz the POP3 codec: every parser on arbitrary lines; whatever parses must encode
//! (or be refused with a typed error) and parse back to the same value.
#![no_main]

use correo_pop3::codec::{
    Capability, Command, ReplyLine, ScanListing, Stat, UidListing, apop_timestamp, strip_eol,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = strip_eol(data);

    if let Ok(cmd) = Command::parse(line) {
        // A parsed command never holds CR, LF or NUL: it always encodes.
        let bytes = cmd.to_bytes().expect("parsed command encodes");
        assert_eq!(Command::parse(strip_eol(&bytes)), Ok(cmd));
        let _ = cmd.is_multiline();
    }

    if let Ok(reply) = ReplyLine::parse(line) {
        let mut out = Vec::new();
        if reply.encode(&mut out).is_ok() {
            assert_eq!(ReplyLine::parse(strip_eol(&out)), Ok(reply));
        }
    }

    if let Ok(cap) = Capability::parse(line) {
        let mut out = Vec::new();
        if cap.encode(&mut out).is_ok() {
            assert_eq!(Capability::parse(strip_eol(&out)), Ok(cap));
        }
    }

    if let Ok(scan) = ScanListing::parse(line) {
        let mut out = Vec::new();
        scan.encode(&mut out);
        assert_eq!(ScanListing::parse(strip_eol(&out)), Ok(scan));
    }
    let _ = Stat::parse(line);

    if let Ok(uid) = UidListing::parse(line) {
        let mut out = Vec::new();
        if uid.encode(&mut out).is_ok() {
            assert_eq!(UidListing::parse(strip_eol(&out)), Ok(uid));
        }
    }

    if let Some(ts) = apop_timestamp(line) {
        assert!(ts.starts_with(b"<") && ts.ends_with(b">") && ts.contains(&b'@'));
    }
});
