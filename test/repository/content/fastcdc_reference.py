#!/usr/bin/env python3
"""Independent reference for Safehold's chunker ("fastcdc-2020"), written from the definition in
src/repository/content/fastcdc.ts alone: one byte at a time, no shared code with the TypeScript.
It prints the chunk lengths of the test inputs of fastcdc-vectors.test.ts so the frozen vectors there
can be re-derived by a second implementation:

    python3 test/repository/content/fastcdc_reference.py   # all vectors, about 15 s

Inputs: AES-256-CTR keystream, key = SHA-256(ASCII label), IV = 16 zero bytes (the same bytes as
`head -c N /dev/zero | openssl enc -aes-256-ctr -K <key hex> -iv <32 zeros> -nosalt`), or the
low-entropy inputs named in the test.
"""
import hashlib
import json
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

LABEL = b"safehold/fastcdc-2020/gear/v1"


def gear_table():
    stream = b"".join(hashlib.sha256(LABEL + i.to_bytes(4, "big")).digest() for i in range(32))
    return [int.from_bytes(stream[4 * i : 4 * i + 4], "little") for i in range(256)]


GEAR = gear_table()


def high_mask(ones):
    return ((1 << ones) - 1) << (31 - ones)


def chunk_lengths(data, min_size, avg_size, max_size, level):
    bits = avg_size.bit_length() - 1
    mask_s, mask_l = high_mask(bits + level), high_mask(bits - level)
    out, start = [], 0
    while start < len(data):
        n = min(len(data) - start, max_size)
        length = n
        h = 0
        for i in range(min_size, n):
            h = ((h << 1) + GEAR[data[start + i]]) & 0xFFFFFFFF
            if h & (mask_s if i < avg_size else mask_l) == 0:
                length = i + 1
                break
        out.append(length)
        start += length
    return out


def keystream(label, n):
    key = hashlib.sha256(label.encode("ascii")).digest()
    enc = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    return enc.update(bytes(n)) + enc.finalize()


def text_pattern(n):
    line = b"The quick brown fox jumps over the lazy dog; 0123456789 lorem ipsum dolor.\r\n"
    return (line * (n // len(line) + 1))[:n]


def dna(n):
    """Low-entropy text: 2 bits per byte, the keystream mapped onto "acgt"."""
    return bytes(b"acgt"[b & 3] for b in keystream(f"safehold fastcdc dna input {n}", n))


KIB, MIB = 1024, 1024 * 1024
DEFAULT = (256 * KIB, MIB, 8 * MIB, 2)
SMALL = (2 * KIB, 8 * KIB, 64 * KIB, 2)

if __name__ == "__main__":
    print("gear sha256", hashlib.sha256(b"".join(g.to_bytes(4, "little") for g in GEAR)).hexdigest())
    cases = [
        ("default", "random", DEFAULT, [0, 1, 256 * KIB, 256 * KIB + 1, MIB, 3 * MIB, 24 * MIB]),
        ("default", "zeros", DEFAULT, [20 * MIB]),
        ("default", "text", DEFAULT, [20 * MIB]),
        ("default", "dna", DEFAULT, [12 * MIB]),
        ("small", "random", SMALL, [0, 100, 2 * KIB, 2 * KIB + 1, 8 * KIB, 64 * KIB, 512 * KIB, 4 * MIB]),
        ("small", "zeros", SMALL, [300 * KIB]),
        ("small", "text", SMALL, [300 * KIB]),
        ("small", "dna", SMALL, [1 * MIB]),
    ]
    for params_name, kind, params, sizes in cases:
        for size in sizes:
            if kind == "random":
                data = keystream(f"safehold fastcdc test input {size}", size)
            elif kind == "dna":
                data = dna(size)
            elif kind == "zeros":
                data = bytes(size)
            else:
                data = text_pattern(size)
            lengths = chunk_lengths(data, *params)
            digest = hashlib.sha256(json.dumps(lengths, separators=(",", ":")).encode()).hexdigest()
            print(params_name, kind, size, len(lengths), digest, json.dumps(lengths, separators=(",", ":")))
            sys.stdout.flush()
