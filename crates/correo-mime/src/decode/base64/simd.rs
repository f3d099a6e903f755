//! The one place in correo-mime allowed to use `unsafe`: writing into a `Vec`'s spare
//! capacity without zeroing it first, and the AVX2 base64 kernel.
//!
//! Every function here has a safe twin in `super` (the scalar decoder) and the tests
//! compare their output and defects byte for byte.
#![allow(unsafe_code)]

/// Appends `bytes[..adv]` to `out` by writing all 8 bytes into spare capacity (one store)
/// and advancing the length by `adv` (at most 8).
#[inline]
pub(crate) fn write8_advance(out: &mut Vec<u8>, bytes: [u8; 8], adv: usize) {
    out.reserve(8);
    let len = out.len();
    let spare = out.spare_capacity_mut();
    for (d, s) in spare.iter_mut().zip(bytes) {
        d.write(s);
    }
    // SAFETY: `reserve(8)` guarantees capacity >= len + 8, and the loop above initialised
    // the first 8 spare bytes (the zip stops at 8), so the first `min(adv, 8)` of them are
    // initialised.
    unsafe { out.set_len(len + adv.min(8)) };
}

/// True when the CPU has AVX2.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_available() -> bool {
    std::is_x86_feature_detected!("avx2")
}

/// AVX2 fast path (being built): returns the number of input bytes consumed.
#[cfg(target_arch = "x86_64")]
pub(crate) fn decode_avx2(_input: &[u8], _out: &mut Vec<u8>, _width: &mut usize) -> usize {
    0
}
