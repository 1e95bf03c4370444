#!/usr/bin/python3
"""Synthetic video clips from real photographs, with ground-truth masks in DAVIS layout: the data
adnet's demo model is trained, validated and shown on (issue 11). Debian's python3-skimage ships
the photographs (skimage.data); numpy and OpenCV do the rest.

Each clip: a background cropped from one photograph, panned and zoomed slowly; one object (the
ground truth) cut from another photograph by a mask (ellipse, polygon, the horse silhouette or a
random blob), moving on a smooth path, scaling, turning, sometimes partly leaving the frame or
passing behind an occluder; often a static distractor cut from the same photograph as the object;
global lighting changes, blur and JPEG noise. The three splits (train, val, demo) draw their
photographs from disjoint sets, and their clips from disjoint seeds, so a model is never shown a
photograph it was trained on.

    /usr/bin/python3 weights/synth_clips.py OUT --split demo --clips 2 --frames 24 --size 427x240

writes OUT/JPEGImages/480p/<clip>/00000.jpg .., OUT/Annotations/480p/<clip>/00000.png (palette
PNG, index 1 = the object) and OUT/ImageSets/2016/<split>.txt."""
import argparse
import os
import sys

import cv2
import numpy as np
import skimage.data as data

# photographs (skimage.data names): backgrounds and object textures, disjoint per split
PHOTOS = {
    "train": {"background": ["coffee", "rocket", "hubble_deep_field", "grass", "brick", "cell",
                             "text"],
              "object": ["astronaut", "chelsea", "immunohistochemistry", "coins", "logo"]},
    "val": {"background": ["gravel", "moon"], "object": ["retina", "clock"]},
    "demo": {"background": ["camera", "page"], "object": ["colorwheel", "cat"]},
}
SEED_BASE = {"train": 1_000_000, "val": 2_000_000, "demo": 3_000_000}
SHAPES = ("ellipse", "polygon", "horse", "blob")


def photo(name):
    """A photograph as 8-bit BGR."""
    img = getattr(data, name)()
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    img = img[..., :3]
    if img.dtype != np.uint8:
        img = (255 * (img.astype(np.float64) / max(float(img.max()), 1e-9))).astype(np.uint8)
    return np.ascontiguousarray(img[..., ::-1])


def shape_mask(kind, size, rng):
    """A binary mask (uint8 0/1) of size x size with the object's outline."""
    m = np.zeros((size, size), np.uint8)
    c = size // 2
    if kind == "ellipse":
        cv2.ellipse(m, (c, c), (int(size * rng.uniform(0.25, 0.45)),
                                int(size * rng.uniform(0.2, 0.45))),
                    rng.uniform(0, 180), 0, 360, 1, -1)
    elif kind == "polygon":
        n = int(rng.integers(5, 9))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = size * rng.uniform(0.2, 0.45, n)
        pts = np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1).astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
    elif kind == "horse":
        h = (~data.horse()).astype(np.uint8)  # the silhouette is the dark part
        ys, xs = np.nonzero(h)
        h = h[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        s = 0.9 * size / max(h.shape)
        h = cv2.resize(h, (max(1, int(h.shape[1] * s)), max(1, int(h.shape[0] * s))),
                       interpolation=cv2.INTER_NEAREST)
        y0, x0 = (size - h.shape[0]) // 2, (size - h.shape[1]) // 2
        m[y0:y0 + h.shape[0], x0:x0 + h.shape[1]] = h
    else:  # a random blob: smoothed noise, thresholded, its largest component
        noise = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0),
                                 size / 8)
        yy, xx = np.mgrid[:size, :size]
        fall = np.exp(-((yy - c) ** 2 + (xx - c) ** 2) / (2 * (size / 4) ** 2))
        m = ((noise / (np.abs(noise).max() + 1e-9) + 1.5 * fall) > 0.8).astype(np.uint8)
        n, lab, stats, _ = cv2.connectedComponentsWithStats(m)
        if n > 1:
            m = (lab == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    return m


def smooth_path(rng, frames, lo, hi, step):
    """A smooth random walk of frames values within [lo, hi] (per component)."""
    lo, hi, step = np.asarray(lo, float), np.asarray(hi, float), np.asarray(step, float)
    p = rng.uniform(lo, hi)
    v = rng.normal(0, step, p.shape)
    out = []
    for _ in range(frames):
        out.append(p.copy())
        v = 0.85 * v + rng.normal(0, step * 0.5, p.shape)
        p = p + v
        bounce = (p < lo) | (p > hi)
        v[bounce] *= -1
        p = np.clip(p, lo, hi)
    return out


def paste(frame, tex, mask, cx, cy, scale, angle):
    """Pastes tex (square) where mask is set, scaled, turned and centred at (cx, cy); returns
    the mask of the pasted pixels in frame coordinates."""
    h, w = frame.shape[:2]
    size = tex.shape[0]
    a = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    a[:, 2] += (cx - size / 2, cy - size / 2)
    t = cv2.warpAffine(tex, a, (w, h), flags=cv2.INTER_LINEAR)
    m = cv2.warpAffine(mask * 255, a, (w, h), flags=cv2.INTER_LINEAR) > 127
    frame[m] = t[m]
    return m


def recolour(img, rng):
    """A photograph seen anew: turned by a multiple of 90 degrees, maybe mirrored, its colours
    mixed by a random 3 x 3 matrix near a channel permutation, with a gain and a gamma. Training
    uses it so that a handful of photographs teach what an object is rather than what these
    photographs look like."""
    img = np.rot90(img, int(rng.integers(4)))
    if rng.random() < 0.5:
        img = img[:, ::-1]
    mix = np.eye(3)[rng.permutation(3)] * rng.uniform(0.6, 1.2) + rng.normal(0, 0.15, (3, 3))
    x = (img.astype(np.float32) / 255.0) @ mix.T.astype(np.float32)
    x = np.clip(x, 0, 1) ** rng.uniform(0.7, 1.4)
    return np.ascontiguousarray((255 * x).astype(np.uint8))


def render_clip(split, seed, frames, width, height, augment=False):
    """One clip: a list of (JPEG bytes, ground truth as a bool array) per frame. augment
    recolours both photographs (see recolour)."""
    rng = np.random.default_rng(seed)
    photos = PHOTOS[split]
    bg = photo(photos["background"][int(rng.integers(len(photos["background"])))])
    obj_name = photos["object"][int(rng.integers(len(photos["object"])))]
    tex_src = photo(obj_name)
    if augment:
        bg, tex_src = recolour(bg, rng), recolour(tex_src, rng)
    size = int(min(width, height) * 0.9)
    # the object's texture: a square crop of its photograph; its outline
    ys = int(rng.integers(0, max(1, tex_src.shape[0] - size)))
    xs = int(rng.integers(0, max(1, tex_src.shape[1] - size)))
    tex = cv2.resize(tex_src[ys:ys + size, xs:xs + size], (size, size))
    mask = shape_mask(SHAPES[int(rng.integers(len(SHAPES)))], size, rng)
    # a distractor of the same photograph (static), and an occluder band (moving)
    distractor = rng.random() < 0.6
    if distractor:
        dmask = shape_mask(SHAPES[int(rng.integers(len(SHAPES)))], size, rng)
        dpos = (rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height)
        dscale = rng.uniform(0.3, 0.5)
    occluder = rng.random() < 0.3
    # background: a crop window panning and zooming slowly over the photograph
    bg = cv2.resize(bg, (max(bg.shape[1], 2 * width), max(bg.shape[0], 2 * height)))
    cam = smooth_path(rng, frames, (0, 0, 1.0), (bg.shape[1] - width * 1.3,
                                                  bg.shape[0] - height * 1.3, 1.3), (3, 2, 0.005))
    path = smooth_path(rng, frames, (-0.05 * width, 0.15 * height, 0.6, -40),
                       (1.05 * width, 0.85 * height, 1.1, 40), (6, 4, 0.01, 1.5))
    light = smooth_path(rng, frames, (0.75,), (1.25,), (0.01,))
    clip = []
    for f in range(frames):
        x0, y0, z = cam[f]
        win = bg[int(y0):int(y0 + height * z), int(x0):int(x0 + width * z)]
        frame = cv2.resize(win, (width, height), interpolation=cv2.INTER_AREA)
        if distractor:
            paste(frame, tex, dmask, dpos[0], dpos[1], dscale, 0)
        cx, cy, scale, angle = path[f]
        gt = paste(frame, tex, mask, cx, cy, scale, angle)
        if occluder and f % 12 < 4:  # a band of background texture passes in front
            bx = int((f % 12) / 4 * width)
            band = slice(max(0, bx - width // 10), min(width, bx + width // 10))
            frame[:, band] = cv2.resize(bg[:height, :width], (width, height))[:, band]
            gt[:, band] = False
        frame = np.clip(frame.astype(np.float32) * light[f][0], 0, 255).astype(np.uint8)
        if rng.random() < 0.3:
            frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.5, 1.5))
        quality = int(rng.integers(70, 95))
        ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError("cv2.imencode failed")
        clip.append((jpeg.tobytes(), gt))
    return clip


def make_clip(out, name, split, seed, frames, width, height):
    """Writes one clip in DAVIS layout under out."""
    vdir = os.path.join(out, "JPEGImages", "480p", name)
    adir = os.path.join(out, "Annotations", "480p", name)
    os.makedirs(vdir, exist_ok=True)
    os.makedirs(adir, exist_ok=True)
    palette = np.zeros((256, 3), np.uint8)
    palette[1] = (128, 0, 0)
    for f, (jpeg, gt) in enumerate(render_clip(split, seed, frames, width, height)):
        with open(os.path.join(vdir, "%05d.jpg" % f), "wb") as fp:
            fp.write(jpeg)
        write_palette_png(os.path.join(adir, "%05d.png" % f), gt.astype(np.uint8), palette)


def write_palette_png(path, index, palette):
    """An 8-bit palette PNG (DAVIS annotations are stored so); OpenCV writes no palettes, PIL
    does."""
    from PIL import Image
    img = Image.fromarray(index, mode="P")
    img.putpalette(palette.reshape(-1).tolist())
    img.save(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--split", choices=sorted(PHOTOS), default="demo")
    ap.add_argument("--clips", type=int, default=2)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--size", default="427x240", help="frame size WxH")
    ap.add_argument("--seed", type=int, default=0, help="first clip's seed within the split")
    a = ap.parse_args(argv)
    width, height = (int(v) for v in a.size.split("x"))
    names = []
    for i in range(a.clips):
        name = "%s-%03d" % (a.split, a.seed + i)
        make_clip(a.out, name, a.split, SEED_BASE[a.split] + a.seed + i, a.frames, width, height)
        names.append(name)
    os.makedirs(os.path.join(a.out, "ImageSets", "2016"), exist_ok=True)
    with open(os.path.join(a.out, "ImageSets", "2016", a.split + ".txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
