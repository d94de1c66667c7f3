#!/usr/bin/env python3
"""Write a small uncompressed IDX pair (the MNIST format) for the example
tests, with the standard library only:

    make_idx.py IMAGES LABELS COUNT ROWS COLS

IMAGES: magic 0x00000803, COUNT, ROWS, COLS (big-endian), then COUNT x ROWS x
COLS pixel bytes of a fixed pattern; LABELS: magic 0x00000801, COUNT, then
label i % 10 for image i."""
import struct
import sys


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    images, labels = sys.argv[1], sys.argv[2]
    count, rows, cols = (int(a) for a in sys.argv[3:6])
    pixels = rows * cols
    with open(images, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, rows, cols))
        f.write(bytes((7 * i + 3 * t) % 256 for i in range(count) for t in range(pixels)))
    with open(labels, "wb") as f:
        f.write(struct.pack(">II", 0x801, count))
        f.write(bytes(i % 10 for i in range(count)))


if __name__ == "__main__":
    main()
