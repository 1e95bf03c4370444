#!/usr/bin/python3
"""Reads back with OpenCV and NumPy what tests/test_image.c wrote with adnet's writers.

Usage: check_written_images.py DIR
The images hold patterns given by formulas that test_image.c uses too; the .npy file holds
i * 0.5 - 7.25 for i = 0 .. 29 in shape (2, 3, 5).
"""
import os
import struct
import sys
import zlib

import cv2
import numpy as np

W, H = 37, 23
DAVIS_PALETTE = np.array([[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]])
d = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


y, x = np.mgrid[0:H, 0:W]
grey_want = (x * 7 + y * 13) % 256
index_want = (x // 4 + y // 3) % 5

grey = cv2.imread(os.path.join(d, "grey.png"), cv2.IMREAD_UNCHANGED)
check(grey is not None and grey.dtype == np.uint8 and grey.shape == (H, W)
      and np.array_equal(grey, grey_want), "grey.png: 8-bit greyscale, the pattern written")


def png_chunks(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        pos += 12 + n
    return chunks


def unfilter(raw, width, height, bpp):
    """PNG scanline filters (none, sub, up, average, Paeth), from the PNG specification."""
    stride = width * bpp
    out = np.zeros((height, stride), np.int64)
    pos = 0
    for row in range(height):
        f = raw[pos]
        line = np.frombuffer(raw[pos + 1:pos + 1 + stride], np.uint8).astype(np.int64)
        pos += 1 + stride
        prev = out[row - 1] if row else np.zeros(stride, np.int64)
        cur = np.zeros(stride, np.int64)
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (line[i] + pred) & 255
        out[row] = cur
    return out


data = open(os.path.join(d, "indexed.png"), "rb").read()
chunks = png_chunks(data)
ihdr = dict(zip(["w", "h", "depth", "type", "comp", "filter", "interlace"],
                struct.unpack(">IIBBBBB", chunks[0][1])))
check(ihdr == {"w": W, "h": H, "depth": 8, "type": 3, "comp": 0, "filter": 0, "interlace": 0},
      f"indexed.png: header {ihdr}")
plte = [body for kind, body in chunks if kind == b"PLTE"]
check(len(plte) == 1 and np.array_equal(np.frombuffer(plte[0], np.uint8).reshape(-1, 3), DAVIS_PALETTE),
      "indexed.png: the 5-colour DAVIS palette")
idat = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
check(np.array_equal(unfilter(idat, W, H, 1), index_want), "indexed.png: the indices written")
colour = cv2.imread(os.path.join(d, "indexed.png"), cv2.IMREAD_COLOR)
check(colour is not None and np.array_equal(colour, DAVIS_PALETTE[index_want][:, :, ::-1]),
      "indexed.png: OpenCV sees the palette colours")

jpg = cv2.imread(os.path.join(d, "bgr.jpg"), cv2.IMREAD_COLOR)
c = np.arange(3)
bgr_want = 20 + 3 * x[:, :, None] + 2 * y[:, :, None] + 30 * c
if jpg is None or jpg.shape != (H, W, 3):
    check(False, "bgr.jpg: OpenCV reads a 3-channel image of the size written")
else:
    mse = np.mean((jpg.astype(np.float64) - bgr_want) ** 2)
    psnr = 10 * np.log10(255 ** 2 / max(mse, 1e-12))
    check(psnr > 38, f"bgr.jpg: OpenCV reads it at {psnr:.1f} dB PSNR from the pattern")

path = os.path.join(d, "array.npy")
arr = np.load(path)
check(arr.dtype == np.dtype("<f4") and arr.shape == (2, 3, 5) and
      np.array_equal(arr.ravel(), np.arange(30, dtype=np.float32) * 0.5 - 7.25),
      "array.npy: float32 (2, 3, 5), the values written")
with open(path, "rb") as f:
    version = np.lib.format.read_magic(f)
    np.lib.format.read_array_header_1_0(f)
    check(version == (1, 0) and f.tell() % 64 == 0, f"array.npy: version {version}, data at {f.tell()}")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("check_written_images: all checks passed")
