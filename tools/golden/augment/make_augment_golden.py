#!/usr/bin/env python3
"""Golden values for Thorax.Data.Augmentation: albumentations 1.3 geometric formulas reimplemented with cv2/numpy
(albumentations itself is not installed), applied with fixed parameters to a small deterministic image and mask.

Run: /usr/bin/python3 tools/golden/augment/make_augment_golden.py
Writes tests/data/golden/augment/augment.json (inputs, parameters and expected outputs)."""
import json
import os

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "augment", "augment.json")

W, H = 40, 32
rng = np.random.RandomState(0)
img = cv2.GaussianBlur(rng.rand(H, W).astype(np.float32), (5, 5), 1.5)
img = ((img - img.min()) / (img.max() - img.min())).astype(np.float32)
yy, xx = np.mgrid[0:H, 0:W]
mask = ((((xx - 23.0) / 9.0) ** 2 + ((yy - 14.0) / 7.0) ** 2) <= 1.0).astype(np.uint8)
REFLECT101 = cv2.BORDER_REFLECT_101


def pair(M):
    a = cv2.warpAffine(img, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=REFLECT101)
    m = cv2.warpAffine(mask, M, (W, H), flags=cv2.INTER_NEAREST, borderMode=REFLECT101, borderValue=0)
    return a, m


def remap_pair(mx, my):
    a = cv2.remap(img, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=REFLECT101)
    m = cv2.remap(mask, mx, my, interpolation=cv2.INTER_NEAREST, borderMode=REFLECT101, borderValue=0)
    return a, m


cases = {}

# ShiftScaleRotate (albumentations 1.3 shift_scale_rotate): rotation matrix about (w/2, h/2), then shift in pixels.
angle, scale, dx, dy = 17.5, 1.07, 0.04, -0.03
M = cv2.getRotationMatrix2D((W / 2, H / 2), angle, scale)
M[0, 2] += dx * W
M[1, 2] += dy * H
a, m = pair(M)
cases["shift_scale_rotate"] = {"params": [angle, scale, dx, dy], "image": a, "mask": m}

# Rotate (albumentations 1.3 rotate): centre (w/2 - .5, h/2 - .5).
angle = -23.0
M = cv2.getRotationMatrix2D((W / 2 - 0.5, H / 2 - 0.5), angle, 1.0)
a, m = pair(M)
cases["rotate"] = {"params": [angle], "image": a, "mask": m}

# RandomResizedCrop apply: crop (x, y, w, h) then resize to 24x20 (image linear, mask nearest).
x, y, cw, ch = 5, 3, 27, 22
crop_i, crop_m = img[y:y + ch, x:x + cw], mask[y:y + ch, x:x + cw]
a = cv2.resize(crop_i, (24, 20), interpolation=cv2.INTER_LINEAR)
m = cv2.resize(crop_m, (24, 20), interpolation=cv2.INTER_NEAREST)
cases["random_resized_crop"] = {"params": [x, y, cw, ch, 24, 20], "image": a, "mask": m}

# ElasticTransform (albumentations 1.3 elastic_transform, approximate=False) with fixed jitter and fields.
center_square = np.array((H, W), dtype=np.float32) // 2
square_size = min((H, W)) // 3
pts1 = np.array([center_square + square_size, [center_square[0] + square_size, center_square[1] - square_size],
                 center_square - square_size], dtype=np.float32)
jitter = np.random.RandomState(1).uniform(-3.6, 3.6, size=pts1.shape).astype(np.float32)
pts2 = pts1 + jitter
Ma = cv2.getAffineTransform(pts1, pts2)
frs = np.random.RandomState(2)
from scipy.ndimage import gaussian_filter  # noqa: E402
fdx = np.float32(gaussian_filter(frs.rand(H, W) * 2 - 1, 3) * 20)
fdy = np.float32(gaussian_filter(frs.rand(H, W) * 2 - 1, 3) * 20)
wi = cv2.warpAffine(img, Ma, (W, H), flags=cv2.INTER_LINEAR, borderMode=REFLECT101)
wm = cv2.warpAffine(mask, Ma, (W, H), flags=cv2.INTER_NEAREST, borderMode=REFLECT101)
gx, gy = np.meshgrid(np.arange(W), np.arange(H))
mx, my = np.float32(gx + fdx), np.float32(gy + fdy)
a = cv2.remap(wi, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=REFLECT101)
m = cv2.remap(wm, mx, my, interpolation=cv2.INTER_NEAREST, borderMode=REFLECT101)
cases["elastic"] = {"pts1": pts1, "pts2": pts2, "affine": Ma, "dx": fdx, "dy": fdy, "image": a, "mask": m}

# GridDistortion (albumentations 1.3 grid_distortion, normalized=False).
num_steps = 5
xsteps = [1.2, 0.8, 1.1, 0.95, 1.25, 0.7]
ysteps = [0.9, 1.15, 0.75, 1.3, 1.05, 0.85]


def axis(size, steps):
    step = size // num_steps
    out = np.zeros(size, np.float32)
    prev = 0
    for idx in range(num_steps + 1):
        start = idx * step
        end = start + step
        if end > size:
            end = size
            cur = size
        else:
            cur = prev + step * steps[idx]
        out[start:end] = np.linspace(prev, cur, end - start)
        prev = cur
    return out


xx1, yy1 = axis(W, xsteps), axis(H, ysteps)
mx, my = np.meshgrid(xx1, yy1)
a, m = remap_pair(mx.astype(np.float32), my.astype(np.float32))
cases["grid_distortion"] = {"xsteps": xsteps, "ysteps": ysteps, "xmap": xx1, "ymap": yy1, "image": a, "mask": m}

# OpticalDistortion (albumentations 1.3 optical_distortion).
for name, (k, odx, ody) in {"optical_barrel": (0.35, 1.0, -2.0), "optical_pincushion": (-0.6, 0.0, 0.0)}.items():
    cam = np.array([[W, 0, W * 0.5 + odx], [0, H, H * 0.5 + ody], [0, 0, 1]], dtype=np.float32)
    dist = np.array([k, k, 0, 0, 0], dtype=np.float32)
    m1, m2 = cv2.initUndistortRectifyMap(cam, dist, None, None, (W, H), cv2.CV_32FC1)
    a, m = remap_pair(m1, m2)
    cases[name] = {"params": [k, odx, ody], "map_x": m1, "map_y": m2, "image": a, "mask": m}

# CLAHE on the 8-bit quantised image (clip 3, 4x4 tiles), back to [0, 1].
q = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
cl = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(4, 4)).apply(q)
cases["clahe"] = {"params": [3.0, 4], "image": cl.astype(np.float32) / 255.0}


def enc(v):
    if isinstance(v, np.ndarray):
        return [round(float(t), 7) for t in v.ravel()]
    if isinstance(v, dict):
        return {k: enc(t) for k, t in v.items()}
    return v


doc = {"width": W, "height": H, "image": enc(img), "mask": enc(mask),
       "generator": "tools/golden/augment/make_augment_golden.py", "cv2": cv2.__version__,
       "cases": {k: enc(v) for k, v in cases.items()}}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
print("wrote", OUT, os.path.getsize(OUT), "bytes")
