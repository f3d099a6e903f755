//! Shared helpers for correo's criterion benchmarks.
//!
//! Every benchmark measures correo and at least one peer crate in the same run, so each
//! figure can be read as a ratio that holds on a noisy machine. Run them with
//! `cargo bench -p correo-benches`.

/// Builds a deterministic text body of about `size` bytes: CRLF lines of `width` printable
/// characters, where every 7th line starts with a dot (so dot-stuffing has work to do).
pub fn text_body(size: usize, width: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + width + 2);
    let mut line = 0usize;
    while out.len() < size {
        if line % 7 == 0 {
            out.push(b'.');
        }
        for i in 0..width {
            out.push(b'a' + ((i + line) % 26) as u8);
        }
        out.extend_from_slice(b"\r\n");
        line += 1;
    }
    out
}
