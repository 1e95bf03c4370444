#!/usr/bin/python3
"""Writes the image test cases for tests/test_image.c and OpenCV's answers to them.

Usage: make_image_cases.py OUTDIR

Into OUTDIR go images of many kinds (JPEG: colour at every chroma subsampling, progressive,
restart markers, greyscale, CMYK and YCCK, EXIF orientations, odd sizes; PNG: every colour
type and bit depth, palettes with and without transparency, interlaced, eXIf), and .npy files
(float32) with what OpenCV computes from them: cv2.imread(IMREAD_COLOR), cv2.resize with
INTER_LINEAR at several sizes, and the preprocessed network input. manifest.txt lists the
cases, one per line:
    decode FILE REF.npy                  cv2.imread(FILE, IMREAD_COLOR)
    mask FILE REF.npy                    the mask adnet must read (palette index or grey)
    resize SRC.npy W H REF.npy           cv2.resize(SRC, (W, H), INTER_LINEAR)
    preprocess FILE W H REF.npy          resize, float, minus the BGR mean, channels first
Paths are relative to OUTDIR. Nothing here is copied from adnet: PNGs are written by hand
from the PNG specification, JPEGs by OpenCV or by libjpeg-turbo's TurboJPEG (through ctypes,
for the subsamplings and colour spaces OpenCV cannot write).
"""
import ctypes
import ctypes.util
import os
import struct
import sys
import zlib

import cv2
import numpy as np

BGR_MEAN = np.array([104.00698793, 116.66876762, 122.67891434])

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
manifest = []
rng = np.random.default_rng(20191027)


def path(name):
    return os.path.join(out_dir, name)


def save_npy(name, array):
    np.save(path(name), np.ascontiguousarray(array, dtype=np.float32))
    return name


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)
    return name


def photo(h, w, c=3):
    """Smooth structure plus noise: exercises both the IDCT and chroma upsampling."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [127 + 110 * np.sin(x / (5.0 + 2 * k) + k) * np.cos(y / (9.0 - k) - k) for k in range(c)]
    img = np.stack(planes, -1) + rng.normal(0, 18, (h, w, c))
    return np.clip(img, 0, 255).astype(np.uint8)


def add_decode(name):
    ref = cv2.imread(path(name), cv2.IMREAD_COLOR)
    assert ref is not None, name
    manifest.append(f"decode {name} {save_npy(name + '.bgr.npy', ref)}")
    return ref


# ---- JPEG ----------------------------------------------------------------------------------

def load_turbojpeg():
    lib = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
    lib.tjInitCompress.restype = ctypes.c_void_p
    lib.tjCompress2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                                ctypes.POINTER(ctypes.c_ulong), ctypes.c_int, ctypes.c_int,
                                ctypes.c_int]
    lib.tjFree.argtypes = [ctypes.c_void_p]
    lib.tjDestroy.argtypes = [ctypes.c_void_p]
    lib.tjGetErrorStr2.argtypes = [ctypes.c_void_p]
    lib.tjGetErrorStr2.restype = ctypes.c_char_p
    return lib


TJ = load_turbojpeg()
TJPF_BGR, TJPF_GRAY, TJPF_CMYK = 1, 6, 11
TJSAMP = {"444": 0, "422": 1, "420": 2, "gray": 3, "440": 4, "411": 5}
TJFLAG_PROGRESSIVE = 16384


def tj_compress(img, pixel_format, subsamp, quality=90, flags=0):
    handle = TJ.tjInitCompress()
    img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    buf, size = ctypes.c_void_p(), ctypes.c_ulong(0)
    if TJ.tjCompress2(handle, img.ctypes.data, w, 0, h, pixel_format, ctypes.byref(buf),
                      ctypes.byref(size), subsamp, quality, flags) != 0:
        raise RuntimeError(TJ.tjGetErrorStr2(handle).decode())
    data = ctypes.string_at(buf, size.value)
    TJ.tjFree(buf)
    TJ.tjDestroy(handle)
    return data


for samp in ["444", "422", "420", "440", "411"]:
    for (h, w) in [(37, 53), (16, 16)]:
        add_decode(write(f"tj_{samp}_{w}x{h}.jpg", tj_compress(photo(h, w), TJPF_BGR, TJSAMP[samp])))
    add_decode(write(f"tj_{samp}_progressive.jpg",
                     tj_compress(photo(45, 61), TJPF_BGR, TJSAMP[samp], 85, TJFLAG_PROGRESSIVE)))
add_decode(write("tj_gray.jpg", tj_compress(photo(33, 41, 1), TJPF_GRAY, TJSAMP["gray"])))
for (h, w) in [(1, 1), (1, 7), (9, 1), (3, 2)]:
    add_decode(write(f"tj_420_{w}x{h}.jpg", tj_compress(photo(h, w), TJPF_BGR, TJSAMP["420"])))

# OpenCV's own JPEG writer: baseline 4:2:0, progressive, restart markers, greyscale, and a
# DAVIS-sized frame (480p) that the preprocessing cases also use.
cv2.imwrite(path("cv_davis.jpg"), photo(480, 854), [cv2.IMWRITE_JPEG_QUALITY, 95])
davis = add_decode("cv_davis.jpg")
cv2.imwrite(path("cv_progressive.jpg"), photo(61, 77), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
add_decode("cv_progressive.jpg")
cv2.imwrite(path("cv_restart.jpg"), photo(61, 77), [cv2.IMWRITE_JPEG_RST_INTERVAL, 3])
add_decode("cv_restart.jpg")
cv2.imwrite(path("cv_gray.jpg"), photo(29, 31, 1)[:, :, 0])
add_decode("cv_gray.jpg")

# CMYK: TurboJPEG writes 4-channel input as YCCK with an Adobe APP14 marker. Setting that
# marker's transform byte to 0 declares the same component data plain CMYK: a different image,
# but a valid CMYK JPEG, which is all the test needs.
for samp in ["444", "420"]:
    ycck = tj_compress(photo(35, 45, 4), TJPF_CMYK, TJSAMP[samp])
    add_decode(write(f"tj_ycck_{samp}.jpg", ycck))
    adobe = ycck.find(b"Adobe")
    assert adobe > 0 and ycck[adobe + 11] == 2
    cmyk = bytearray(ycck)
    cmyk[adobe + 11] = 0
    add_decode(write(f"tj_cmyk_{samp}.jpg", bytes(cmyk)))


def tiff_orientation(value, big_endian):
    e = ">" if big_endian else "<"
    # an IFD with two entries, the orientation second, so the reader must walk the entries
    entries = [struct.pack(e + "HHI4s", 0x010F, 2, 4, b"adn\0"),  # Make, ASCII, inline
               struct.pack(e + "HHIHH", 0x0112, 3, 1, value, 0)]
    return ((b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8) +
            struct.pack(e + "H", len(entries)) + b"".join(entries) + struct.pack(e + "I", 0))


def with_exif_app1(jpeg, value, big_endian):
    payload = b"Exif\0\0" + tiff_orientation(value, big_endian)
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    app0_end = 4 + struct.unpack(">H", jpeg[4:6])[0]  # after OpenCV's JFIF APP0
    return jpeg[:app0_end] + app1 + jpeg[app0_end:]


ok, plain = cv2.imencode(".jpg", photo(20, 30))
for value in range(1, 9):
    add_decode(write(f"exif_{value}.jpg", with_exif_app1(plain.tobytes(), value, value % 2 == 0)))

# ---- PNG -----------------------------------------------------------------------------------

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_rows(samples, depth):
    """Rows of samples (h x n integers) to PNG scanline bytes at a bit depth."""
    if depth == 16:
        return samples.astype(">u2").view(np.uint8).reshape(samples.shape[0], -1)
    if depth == 8:
        return samples.astype(np.uint8)
    per_byte = 8 // depth
    h, n = samples.shape
    padded = np.zeros((h, -(-n // per_byte) * per_byte), np.uint8)
    padded[:, :n] = samples
    groups = padded.reshape(h, -1, per_byte).astype(np.uint16)
    out = np.zeros(groups.shape[:2], np.uint16)
    for i in range(per_byte):
        out |= groups[:, :, i] << (8 - depth * (i + 1))
    return out.astype(np.uint8)


ADAM7 = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)]


def png_bytes(pixels, depth, color_type, palette=None, trns=None, interlace=False, extra=b"",
              extra_after=b""):
    """pixels: h x w x samples integers. Scanlines use filter 0 (none)."""
    h, w = pixels.shape[:2]
    flat = pixels.reshape(h, w, -1)

    def scanlines(px):
        rows = pack_rows(px.reshape(px.shape[0], -1), depth)
        return np.concatenate([np.zeros((rows.shape[0], 1), np.uint8), rows], 1).tobytes()

    if interlace:
        raw = b"".join(scanlines(flat[y0::dy, x0::dx]) for (y0, x0, dy, dx) in ADAM7
                       if flat[y0::dy, x0::dx].size)
    else:
        raw = scanlines(flat)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type,
                                                              0, 0, int(interlace)))
    if palette is not None:
        data += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).ravel()))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += extra + chunk(b"IDAT", zlib.compress(raw, 9)) + extra_after + chunk(b"IEND", b"")
    return data


GREY, RGB, PALETTE, GREY_ALPHA, RGBA = 0, 2, 3, 4, 6
SAMPLES = {GREY: 1, RGB: 3, PALETTE: 1, GREY_ALPHA: 2, RGBA: 4}
h, w = 13, 19
for color_type, depths in [(GREY, [1, 2, 4, 8, 16]), (RGB, [8, 16]), (PALETTE, [1, 2, 4, 8]),
                           (GREY_ALPHA, [8, 16]), (RGBA, [8, 16])]:
    for depth in depths:
        top = (1 << depth) - 1
        px = rng.integers(0, top + 1, (h, w, SAMPLES[color_type]))
        palette = None
        if color_type == PALETTE:
            palette = rng.integers(0, 256, (1 << depth, 3))
        for interlace in [False, True]:
            name = f"png_t{color_type}_d{depth}{'_i' if interlace else ''}.png"
            write(name, png_bytes(px, depth, color_type, palette, interlace=interlace))
            add_decode(name)
            if color_type == PALETTE and not interlace:
                manifest.append(f"mask {name} {save_npy(name + '.mask.npy', px[:, :, 0])}")
            if color_type in (GREY, GREY_ALPHA) and depth <= 8 and not interlace:
                grey = cv2.imread(path(name), cv2.IMREAD_GRAYSCALE)
                # the levels a mask must have: scaled to 0..255 as the PNG spec suggests
                assert np.array_equal(grey, px[:, :, 0] * (255 // top)), name
                manifest.append(f"mask {name} {save_npy(name + '.mask.npy', grey)}")

# transparency that must be ignored: palette tRNS (expanded to alpha, then dropped), a grey
# and an RGB tRNS colour key
px = rng.integers(0, 16, (h, w, 1))
pal = rng.integers(0, 256, (16, 3))
add_decode(write("png_palette_trns.png", png_bytes(px, 8, PALETTE, pal, trns=bytes(range(0, 160, 10)))))
add_decode(write("png_grey_trns.png", png_bytes(rng.integers(0, 256, (h, w, 1)), 8, GREY,
                                                trns=struct.pack(">H", 7))))
add_decode(write("png_rgb_trns.png", png_bytes(rng.integers(0, 256, (h, w, 3)), 8, RGB,
                                               trns=struct.pack(">HHH", 1, 2, 3))))
# PNGs written by OpenCV itself (its filter choices and compression)
cv2.imwrite(path("cv_bgr.png"), photo(40, 50))
add_decode("cv_bgr.png")
cv2.imwrite(path("cv_bgra16.png"), (rng.integers(0, 65536, (21, 17, 4))).astype(np.uint16))
add_decode("cv_bgra16.png")
# eXIf orientation, before and after the image data
for value, where in [(6, "before"), (3, "after"), (8, "after"), (5, "before")]:
    exif = chunk(b"eXIf", tiff_orientation(value, value % 2 == 0))
    px = rng.integers(0, 256, (9, 14, 3))
    data = png_bytes(px, 8, RGB, extra=exif if where == "before" else b"",
                     extra_after=exif if where == "after" else b"")
    add_decode(write(f"png_exif_{value}_{where}.png", data))

# headers that claim an enormous image (30000 x 30000) over a few bytes of data: adnet must
# refuse them before allocating (test_image.c reads these by name)
write("huge.png", png_bytes(np.zeros((2, 2, 1), int), 8, GREY).replace(
    chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, GREY, 0, 0, 0)),
    chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, GREY, 0, 0, 0))))
ok, small = cv2.imencode(".jpg", photo(8, 8))
small = bytearray(small.tobytes())
sof = small.find(b"\xff\xc0")
small[sof + 5:sof + 9] = struct.pack(">HH", 30000, 30000)
write("huge.jpg", bytes(small))

# ---- resizing and preprocessing --------------------------------------------------------------

def add_resize(name, src, sizes):
    src_name = save_npy(name + ".src.npy", src)
    for (dw, dh) in sizes:
        ref = cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR)
        manifest.append(f"resize {src_name} {dw} {dh} {save_npy(f'{name}.{dw}x{dh}.npy', ref)}")


# the DAVIS frame at the evaluation's sizes (spec: 857x481 and the multi-scale 641x353,
# 1281x721), plus scales the area path (1/2) and odd factors
add_resize("davis", davis, [(857, 481), (641, 353), (1281, 721), (427, 240), (285, 160),
                            (300, 500)])
noise = rng.integers(0, 256, (480, 854, 3), dtype=np.uint8)  # no smoothness to hide errors
add_resize("noise", noise, [(857, 481), (641, 353), (854, 480)])
add_resize("small", rng.integers(0, 256, (90, 120, 3), dtype=np.uint8),
           [(100, 75), (240, 180), (40, 30), (121, 91), (1, 1), (120, 1), (1, 90), (7, 300)])
add_resize("grey", rng.integers(0, 256, (45, 61), dtype=np.uint8),
           [(20, 15), (100, 80), (61, 45), (62, 44)])
for (sh, sw) in [(1, 1), (1, 2), (2, 1), (3, 5), (7, 3)]:
    add_resize(f"tiny{sw}x{sh}", rng.integers(0, 256, (sh, sw, 3), dtype=np.uint8),
               [(1, 1), (5, 4), (2, 9), (13, 11)])

for (dw, dh) in [(857, 481), (641, 353)]:
    resized = cv2.resize(davis, (dw, dh), interpolation=cv2.INTER_LINEAR)
    tensor = (resized.astype(np.float64) - BGR_MEAN).astype(np.float32).transpose(2, 0, 1)
    manifest.append(f"preprocess cv_davis.jpg {dw} {dh} {save_npy(f'pre.{dw}x{dh}.npy', tensor)}")

with open(path("manifest.txt"), "w") as f:
    f.write("\n".join(manifest) + "\n")
print(f"{len(manifest)} image cases in {out_dir}")
