#!/usr/bin/env python3
"""Writes a small, valid GIF89a (a 64x40 colour pattern) with a hand-written LZW encoder.

Used to rebuild the seed's Gmail message (whose base64 GIF is truncated in the seed text).
Run: python3 make_gif.py > ../noot-noot.gif
"""
import sys

W, H = 64, 40
palette = []
for i in range(16):
    palette.append(((i * 17) & 255, (255 - i * 13) & 255, (i * 40) & 255))
pixels = [((x // 4) ^ (y // 5)) & 15 for y in range(H) for x in range(W)]

def lzw(data, min_code_size=4):
    clear = 1 << min_code_size
    eoi = clear + 1
    out_bits = []
    dictionary = {bytes([i]): i for i in range(clear)}
    next_code = eoi + 1
    code_size = min_code_size + 1
    def emit(code):
        for b in range(code_size):
            out_bits.append((code >> b) & 1)
    emit(clear)
    w = b""
    for p in data:
        wc = w + bytes([p])
        if wc in dictionary:
            w = wc
        else:
            emit(dictionary[w])
            if next_code < 4096:
                dictionary[wc] = next_code
                next_code += 1
                if next_code > (1 << code_size) and code_size < 12:
                    code_size += 1
            else:
                emit(clear)
                dictionary = {bytes([i]): i for i in range(clear)}
                next_code = eoi + 1
                code_size = min_code_size + 1
            w = bytes([p])
    if w:
        emit(dictionary[w])
    emit(eoi)
    while len(out_bits) % 8:
        out_bits.append(0)
    return bytes(sum(out_bits[i + j] << j for j in range(8)) for i in range(0, len(out_bits), 8))

out = bytearray(b"GIF89a")
out += W.to_bytes(2, "little") + H.to_bytes(2, "little")
out += bytes([0xF3, 0, 0])  # global colour table, 16 entries
for r, g, b in palette:
    out += bytes([r, g, b])
out += b"\x21\xf9\x04\x00\x00\x00\x00\x00"  # graphic control extension
out += b"\x2c" + (0).to_bytes(2, "little") * 2 + W.to_bytes(2, "little") + H.to_bytes(2, "little") + b"\x00"
out += bytes([4])
data = lzw(pixels)
for i in range(0, len(data), 255):
    block = data[i:i + 255]
    out += bytes([len(block)]) + block
out += b"\x00\x3b"
sys.stdout.buffer.write(bytes(out))
