#!/usr/bin/env python3
"""Write a student file (docs/file-format.md) of a given geometry:

    make_student.py PATH KIND ORIENTATIONS KERNEL HEIGHT WIDTH PADDING BLOCKS

Every parameter is 0.01: a student whose output is not zero, so that a
program that goes on with it computes on it."""
import struct
import sys
import zlib

path = sys.argv[1]
kind, n, k, h, w, pad, blocks = (int(a) for a in sys.argv[2:9])
if kind == 1:
    n = 1
pc = k * k
p = pc if kind in (1, 2) else n * pc
transforms = {1: 0, 2: n, 3: n * n}[kind]
if pad == 0:
    out_hw = (h - k + 1) * (w - k + 1)
else:
    out_hw = h * w
count = blocks * out_hw * h * w + blocks * pc + transforms * pc * p
body = b"SYMCLSTU" + struct.pack("<10I", 1, 48, kind, n, k, h, w, pad, blocks, 0)
body += struct.pack("<Q", count) + struct.pack("<f", 0.01) * count
with open(path, "wb") as f:
    f.write(body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF))
