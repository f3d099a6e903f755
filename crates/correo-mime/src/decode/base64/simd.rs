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
    let Some(dst) = out.spare_capacity_mut().first_chunk_mut::<8>() else {
        return;
    };
    // SAFETY: `dst` is 8 bytes of spare capacity (checked by `first_chunk_mut`); an
    // unaligned write of `[u8; 8]` through its pointer stays inside it, and writing into
    // uninitialised `MaybeUninit` memory is allowed.
    unsafe { dst.as_mut_ptr().cast::<[u8; 8]>().write_unaligned(bytes) };
    // SAFETY: the 8 bytes after `len` were initialised just above, and `min(adv, 8)` of
    // them become part of the vector.
    unsafe { out.set_len(len + adv.min(8)) };
}

/// True when the CPU has AVX2.
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx2_available() -> bool {
    std::is_x86_feature_detected!("avx2")
}

/// The AVX2 fast path, from a clean decoder state (no carried sextets, no padding seen):
/// decodes whole 32-character blocks and whole lines, skipping CRLF/LF line breaks, and
/// stops before the first byte it cannot handle (an invalid or padding character, a line
/// break that is not on a quantum boundary, or fewer than 32 bytes left). Returns the
/// number of input bytes consumed; everything consumed is valid base64 or a line break, so
/// the output equals what the scalar state machine produces for those bytes.
///
/// `width` is the line width the whole-line path tries first; it is learned from the
/// input (any value is correct, a good one is faster).
#[cfg(target_arch = "x86_64")]
pub(crate) fn decode_avx2(input: &[u8], out: &mut Vec<u8>, width: &mut usize) -> usize {
    if !avx2_available() {
        return 0;
    }
    // SAFETY: AVX2 support was checked just above at run time.
    unsafe { avx2::decode(input, out, width) }
}

/// True when the CPU has AVX-512 F, BW and VBMI (and the `avx512` feature is on).
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx512vbmi_available() -> bool {
    cfg!(feature = "avx512")
        && std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vbmi")
}

/// The AVX-512 VBMI fast path: same contract as [`decode_avx2`], 64 characters per step.
#[cfg(target_arch = "x86_64")]
pub(crate) fn decode_avx512vbmi(input: &[u8], out: &mut Vec<u8>, width: &mut usize) -> usize {
    #[cfg(feature = "avx512")]
    if avx512vbmi_available() {
        // SAFETY: AVX-512 F/BW/VBMI support was checked just above at run time (they imply
        // AVX2, which the tail path uses).
        return unsafe { avx512::decode(input, out, width) };
    }
    decode_avx2(input, out, width)
}

#[cfg(target_arch = "x86_64")]
// `loadu`/`storeu` take `__m256i` pointers but need no alignment.
#[allow(clippy::cast_ptr_alignment)]
mod avx2 {
    use std::arch::x86_64::*;

    /// Writes 32-byte vectors into a `Vec`'s spare capacity and commits only bytes known
    /// to be initialised: `init` counts the bytes after `out.len()` that stores have
    /// written contiguously from `out.len()`.
    struct SpareWriter<'a> {
        out: &'a mut Vec<u8>,
        init: usize,
    }

    impl SpareWriter<'_> {
        /// Stores `v` at `out.len() + rel`. Returns false (and stores nothing) when the
        /// capacity is too small or the store would leave a gap in the initialised region.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn store(&mut self, rel: usize, v: __m256i) -> bool {
            let len = self.out.len();
            if rel > self.init || self.out.capacity() - len < rel + 32 {
                return false;
            }
            let spare = self.out.spare_capacity_mut();
            let Some(dst) = spare.get_mut(rel..rel + 32) else {
                return false;
            };
            // SAFETY: `dst` is 32 bytes of this Vec's spare capacity (checked by `get_mut`);
            // an unaligned store of 32 bytes to it is in bounds, and writing to
            // uninitialised `MaybeUninit<u8>` memory through a raw pointer is allowed.
            unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast::<__m256i>(), v) };
            self.init = self.init.max(rel + 32);
            true
        }

        /// Appends `n` (at most the initialised count) bytes to the Vec's length.
        #[inline]
        fn commit(&mut self, n: usize) {
            let n = n.min(self.init);
            let len = self.out.len();
            // SAFETY: the `n` bytes after `len` lie inside the capacity and were written by
            // `store` (the region `len..len + init` is contiguous and initialised).
            unsafe { self.out.set_len(len + n) };
            self.init -= n;
        }
    }

    /// Loads 32 bytes at `off`, or `None` if fewer than 32 bytes remain there.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(input: &[u8], off: usize) -> Option<__m256i> {
        let chunk: &[u8; 32] = input.get(off..)?.first_chunk::<32>()?;
        // SAFETY: `chunk` is a reference to exactly 32 readable bytes; `loadu` has no
        // alignment requirement.
        Some(unsafe { _mm256_loadu_si256(chunk.as_ptr().cast::<__m256i>()) })
    }

    /// Validates and translates 32 characters, and packs their sextets: returns the 24
    /// decoded bytes (in the low 24 bytes of the vector) and a mask with bit `k` set when
    /// character `k` is in the base64 alphabet.
    ///
    /// Validation: a character is valid when `LUT_LO[low nibble] & LUT_HI[high nibble]`
    /// is zero; each bit of the tables stands for a class of high nibble (0x2_, 0x3_,
    /// 0x4_/0x6_, 0x5_/0x7_, everything else) and `LUT_LO` sets the bit of every class for
    /// which that low nibble is not in the alphabet.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn decode_block(chars: __m256i) -> (__m256i, u32) {
        let lut_lo = _mm256_setr_epi8(
            0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B,
            0x1B, 0x1A, //
            0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B,
            0x1B, 0x1A,
        );
        let lut_hi = _mm256_setr_epi8(
            0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
            0x10, 0x10, //
            0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
            0x10, 0x10,
        );
        // Offset to add per high nibble ('/' is moved to index 1 below): '+' +19, '/' +16,
        // digits +4, 'A'-'Z' -65, 'a'-'z' -71.
        let lut_roll = _mm256_setr_epi8(
            0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, //
            0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
        );
        let nib = _mm256_set1_epi8(0x0f);
        let hi = _mm256_and_si256(_mm256_srli_epi32::<4>(chars), nib);
        let lo = _mm256_and_si256(chars, nib);
        let bad = _mm256_and_si256(
            _mm256_shuffle_epi8(lut_lo, lo),
            _mm256_shuffle_epi8(lut_hi, hi),
        );
        let valid = _mm256_movemask_epi8(_mm256_cmpeq_epi8(bad, _mm256_setzero_si256())) as u32;
        let is_slash = _mm256_cmpeq_epi8(chars, _mm256_set1_epi8(b'/' as i8));
        let roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(is_slash, hi));
        let sextets = _mm256_add_epi8(chars, roll);
        // [a b c d] per 32-bit lane -> a<<18 | b<<12 | c<<6 | d.
        let pairs = _mm256_maddubs_epi16(sextets, _mm256_set1_epi32(0x0140_0140));
        let quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x0001_1000));
        let bytes = _mm256_shuffle_epi8(
            quads,
            _mm256_setr_epi8(
                2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, //
                2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
            ),
        );
        let packed = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
        (packed, valid)
    }

    /// See `super::decode_avx2`.
    #[target_feature(enable = "avx2")]
    pub(crate) fn decode(input: &[u8], out: &mut Vec<u8>, width: &mut usize) -> usize {
        out.reserve(input.len() / 4 * 3 + 64);
        let mut i = 0usize;
        let mut line_start: Option<usize> = None;
        loop {
            let done = lines(input.get(i..).unwrap_or_default(), out, *width);
            if done > 0 {
                i += done;
                line_start = Some(i);
            }
            // Generic path: one block of 32.
            let rest = input.get(i..).unwrap_or_default();
            let Some(chars) = load(rest, 0) else {
                return i;
            };
            let (bytes, valid) = decode_block(chars);
            let mut w = SpareWriter { out, init: 0 };
            if !w.store(0, bytes) {
                return i;
            }
            if valid == u32::MAX {
                w.commit(24);
                i += 32;
                continue;
            }
            let idx = valid.trailing_ones() as usize;
            let q = idx / 4 * 4;
            w.commit(q / 4 * 3);
            i += q;
            if q != idx {
                return i;
            }
            let eol = match (rest.get(idx), rest.get(idx + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\n'), _) => 1,
                _ => return i,
            };
            if let Some(ls) = line_start {
                let seen = i - ls;
                if seen >= 32 && seen % 4 == 0 {
                    *width = seen;
                }
            }
            i += eol;
            line_start = Some(i);
        }
    }

    /// Decodes whole lines of `lw` characters (a multiple of 4, at least 32) each followed
    /// by CRLF or LF, from the start of `rest`, while every character is valid. Returns the
    /// number of bytes consumed (whole lines with their line breaks).
    #[target_feature(enable = "avx2")]
    fn lines(rest: &[u8], out: &mut Vec<u8>, lw: usize) -> usize {
        if lw < 32 || lw % 4 != 0 {
            return 0;
        }
        let per_line = lw / 4 * 3;
        let mut i = 0;
        loop {
            let eol = match (rest.get(i + lw), rest.get(i + lw + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\n'), _) => 1,
                _ => return i,
            };
            let Some(chars) = rest.get(i..i + lw) else {
                return i;
            };
            // The last block stores 32 bytes at (lw - 32) / 4 * 3 = per_line - 24.
            if out.capacity() - out.len() < per_line + 8 {
                return i;
            }
            let src = chars.as_ptr();
            let dst = out.spare_capacity_mut().as_mut_ptr().cast::<u8>();
            let mut all = u32::MAX;
            let mut o = 0;
            // Blocks at 0, 32, ... and a last one ending exactly at `lw` (overlapping the one
            // before it on a quantum boundary, so the overlapping output is identical).
            loop {
                let last = o + 32 >= lw;
                if last {
                    o = lw - 32;
                }
                // SAFETY: o + 32 <= lw == chars.len(), so 32 bytes are readable at src + o
                // (unaligned load).
                let v = unsafe { _mm256_loadu_si256(src.add(o).cast::<__m256i>()) };
                let (bytes, valid) = decode_block(v);
                all &= valid;
                // SAFETY: o / 4 * 3 + 32 <= (lw - 32) / 4 * 3 + 32 == per_line + 8, and the
                // spare capacity is at least that (checked above): the unaligned 32-byte
                // store stays inside the allocation, into uninitialised spare memory.
                unsafe { _mm256_storeu_si256(dst.add(o / 4 * 3).cast::<__m256i>(), bytes) };
                if last {
                    break;
                }
                o += 32;
            }
            if all != u32::MAX {
                return i;
            }
            let len = out.len();
            // SAFETY: the stores above covered output bytes 0..per_line + 8 after `len`
            // without gaps (block k covers [24k, 24k + 32), the last block starts at
            // per_line - 24, no later than the end of the block before it), all inside the
            // capacity.
            unsafe { out.set_len(len + per_line) };
            i += lw + eol;
        }
    }
}

// `loadu`/`storeu` take `__m512i` pointers but need no alignment. The AVX-512 intrinsics
// need Rust 1.89, above the workspace MSRV: the `avx512` cargo feature says so, and can be
// turned off on older compilers.
#[cfg(all(target_arch = "x86_64", feature = "avx512"))]
#[allow(clippy::cast_ptr_alignment, clippy::incompatible_msrv)]
mod avx512 {
    use std::arch::x86_64::*;

    /// Sextet of each 7-bit character, 0x80 when it is not in the alphabet.
    static LUT: [u8; 128] = {
        let mut t = [0x80u8; 128];
        let alphabet = super::super::ALPHABET;
        let mut i = 0;
        while i < 64 {
            t[alphabet[i] as usize] = i as u8;
            i += 1;
        }
        t
    };

    /// For each output byte, the byte of the packed 32-bit lanes it comes from.
    static PACK: [u8; 64] = {
        let mut t = [0u8; 64];
        let mut k = 0;
        while k < 16 {
            t[3 * k] = (4 * k + 2) as u8;
            t[3 * k + 1] = (4 * k + 1) as u8;
            t[3 * k + 2] = (4 * k) as u8;
            k += 1;
        }
        t
    };

    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    fn table(bytes: &[u8; 64]) -> __m512i {
        // SAFETY: `bytes` is 64 readable bytes; the load is unaligned.
        unsafe { _mm512_loadu_si512(bytes.as_ptr().cast()) }
    }

    /// Validates, translates and packs 64 characters: the 48 decoded bytes (low 48 of the
    /// vector) and a mask with bit `k` set when character `k` is in the alphabet.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    fn decode_block(
        chars: __m512i,
        lut_lo: __m512i,
        lut_hi: __m512i,
        pack: __m512i,
    ) -> (__m512i, u64) {
        // Index the 128-entry table by the low 7 bits; a set high bit in the character or
        // the table entry marks it invalid.
        let sextets = _mm512_permutex2var_epi8(lut_lo, chars, lut_hi);
        let invalid = _mm512_movepi8_mask(_mm512_or_si512(sextets, chars));
        let pairs = _mm512_maddubs_epi16(sextets, _mm512_set1_epi32(0x0140_0140));
        let quads = _mm512_madd_epi16(pairs, _mm512_set1_epi32(0x0001_1000));
        (_mm512_permutexvar_epi8(pack, quads), !invalid)
    }

    /// See `super::decode_avx512vbmi`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) fn decode(input: &[u8], out: &mut Vec<u8>, width: &mut usize) -> usize {
        let (lo, hi) = LUT.split_at(64);
        let (Some(lo), Some(hi)) = (lo.first_chunk::<64>(), hi.first_chunk::<64>()) else {
            return 0;
        };
        let lut_lo = table(lo);
        let lut_hi = table(hi);
        let pack = table(&PACK);
        out.reserve(input.len() / 4 * 3 + 128);
        let mut i = 0usize;
        let mut line_start: Option<usize> = None;
        loop {
            let rest = input.get(i..).unwrap_or_default();
            let lw = *width;
            if lw >= 64 && lw % 4 == 0 {
                let done = lines(rest, out, lw, lut_lo, lut_hi, pack);
                if done > 0 {
                    i += done;
                    line_start = Some(i);
                    continue;
                }
            }
            // Generic path: one block of 64; below that, the AVX2 path takes the rest.
            let Some(chunk) = rest.first_chunk::<64>() else {
                return i + super::avx2::decode(rest, out, width);
            };
            if out.capacity() - out.len() < 64 {
                return i;
            }
            let (bytes, valid) = decode_block(table(chunk), lut_lo, lut_hi, pack);
            let len = out.len();
            let dst = out.spare_capacity_mut().as_mut_ptr();
            // SAFETY: at least 64 bytes of spare capacity (checked above); unaligned store
            // into uninitialised spare memory.
            unsafe { _mm512_storeu_si512(dst.cast(), bytes) };
            let idx = valid.trailing_ones() as usize;
            let q = idx / 4 * 4;
            // SAFETY: the store above initialised 64 >= q / 4 * 3 bytes after `len`.
            unsafe { out.set_len(len + q / 4 * 3) };
            i += q;
            if idx == 64 {
                continue;
            }
            if q != idx {
                return i;
            }
            let eol = match (rest.get(idx), rest.get(idx + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\n'), _) => 1,
                _ => return i,
            };
            if let Some(ls) = line_start {
                let seen = i - ls;
                if seen >= 32 && seen % 4 == 0 {
                    *width = seen;
                }
            }
            i += eol;
            line_start = Some(i);
        }
    }

    /// Whole lines of `lw` (>= 64, a multiple of 4) characters plus CRLF/LF; returns the
    /// bytes consumed.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    fn lines(
        rest: &[u8],
        out: &mut Vec<u8>,
        lw: usize,
        lut_lo: __m512i,
        lut_hi: __m512i,
        pack: __m512i,
    ) -> usize {
        let per_line = lw / 4 * 3;
        let mut i = 0;
        loop {
            let eol = match (rest.get(i + lw), rest.get(i + lw + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\n'), _) => 1,
                _ => return i,
            };
            let Some(chars) = rest.get(i..i + lw) else {
                return i;
            };
            // The last block stores 64 bytes at (lw - 64) / 4 * 3 = per_line - 48.
            if out.capacity() - out.len() < per_line + 16 {
                return i;
            }
            let src = chars.as_ptr();
            let dst = out.spare_capacity_mut().as_mut_ptr().cast::<u8>();
            let mut all = u64::MAX;
            let mut o = 0;
            loop {
                let last = o + 64 >= lw;
                if last {
                    o = lw - 64;
                }
                // SAFETY: o + 64 <= lw == chars.len(): 64 readable bytes at src + o.
                let v = unsafe { _mm512_loadu_si512(src.add(o).cast()) };
                let (bytes, valid) = decode_block(v, lut_lo, lut_hi, pack);
                all &= valid;
                // SAFETY: o / 4 * 3 + 64 <= (lw - 64) / 4 * 3 + 64 == per_line + 16 <= spare
                // capacity (checked above): the unaligned store stays inside the allocation.
                unsafe { _mm512_storeu_si512(dst.add(o / 4 * 3).cast(), bytes) };
                if last {
                    break;
                }
                o += 64;
            }
            if all != u64::MAX {
                return i;
            }
            let len = out.len();
            // SAFETY: the stores covered output bytes 0..per_line + 16 after `len` without
            // gaps (block k covers [48k, 48k + 64); the last starts at per_line - 48, no later
            // than the end of the one before it), inside the capacity.
            unsafe { out.set_len(len + per_line) };
            i += lw + eol;
        }
    }
}
