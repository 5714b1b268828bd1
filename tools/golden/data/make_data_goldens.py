#!/usr/bin/python3
"""Golden values for Thorax.Data tests.

Run from the repository root:  /usr/bin/python3 tools/golden/data/make_data_goldens.py
Writes compact JSON into tests/data/golden/data/. Real inputs are read from ../shared/data (never copied);
for them only hashes/expected values are stored. Synthetic inputs are generated here with fixed numpy seeds
and stored next to the expected outputs.
"""
import gzip, hashlib, json, os, sys
import numpy as np
from scipy import ndimage
from scipy.stats import multivariate_normal

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
OUT = os.path.join(ROOT, "tests", "data", "golden", "data")
os.makedirs(OUT, exist_ok=True)


def dump(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("wrote", name)


def f32list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


# ---------------------------------------------------------------- SIIM RLE (Kaggle rle2mask semantics)
def rle2mask(rle, width, height):
    mask = np.zeros(width * height, dtype=np.uint8)
    if rle.strip() == "-1":
        return mask.reshape(width, height).T
    arr = np.asarray([int(x) for x in rle.split()])
    pos = 0
    for start, length in zip(arr[0::2], arr[1::2]):
        pos += start
        mask[pos:pos + length] = 1
        pos += length
    return mask.reshape(width, height).T  # row-major (row, col) after transpose


def siim_goldens():
    path = os.path.join(SHARED, "siim", "train-rle.csv.gz")
    if not os.path.exists(path):
        print("skip SIIM goldens: no", path)
        return
    rows = {}
    order = []
    with gzip.open(path, "rt") as f:
        header = f.readline()
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            img, rle = line.split(",", 1)
            img, rle = img.strip(), rle.strip()
            if img not in rows:
                rows[img] = []
                order.append(img)
            rows[img].append(rle)
    lines = []
    total = 0
    positive = 0
    per = {}
    for img in sorted(rows):
        m = np.zeros((1024, 1024), dtype=np.uint8)
        inst = 0
        for rle in rows[img]:
            if rle != "-1":
                inst += 1
            m |= rle2mask(rle, 1024, 1024)
        n = int(m.sum())
        total += n
        if n:
            positive += 1
            rr = np.where(m.any(axis=1))[0]
            cc = np.where(m.any(axis=0))[0]
            box = [int(rr[0]), int(cc[0]), int(rr[-1]), int(cc[-1])]
        else:
            box = None
        per[img] = (len(rows[img]), inst, n, box)
        b = "-" if box is None else ",".join(map(str, box))
        lines.append(f"{img},{len(rows[img])},{inst},{n},{b}")
    canon = "\n".join(lines) + "\n"
    picks = ["1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319",
             "1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533",
             "1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819"]
    masks = {}
    from PIL import Image
    for img in picks:
        png = os.path.join(SHARED, "siim", "masks", img + "_mask_union.png")
        a = (np.asarray(Image.open(png).convert("L")) > 0).astype(np.uint8)
        m = np.zeros((1024, 1024), dtype=np.uint8)
        for rle in rows[img]:
            m |= rle2mask(rle, 1024, 1024)
        assert (a == m).all(), img
        masks[img] = {"png_sha256": hashlib.sha256(a.tobytes()).hexdigest(), "pixels": int(a.sum()),
                      "rows": per[img][0], "instances": per[img][1],
                      "bbox": per[img][3]}
    dump("siim_rle_stats.json", {
        "rows": sum(len(v) for v in rows.values()), "images": len(rows), "positive_images": positive,
        "total_union_pixels": total,
        "canonical_format": "sorted ordinal by image_id; 'id,rows,instances,union_pixels,r0,c0,r1,c1|-' joined by \\n, trailing \\n",
        "canonical_sha256": hashlib.sha256(canon.encode()).hexdigest(),
        "union_masks": masks})


# ---------------------------------------------------------------- scipy.ndimage.gaussian_filter (reflect, truncate 4)
def gaussian_goldens():
    rng = np.random.default_rng(20240611)
    cases = []
    for (h, w, sigma) in [(37, 53, 2.5), (40, 30, 15.0), (17, 9, 0.7), (64, 48, 150.0)]:
        x = rng.random((h, w), dtype=np.float32)
        if sigma >= 100:
            x = np.zeros((h, w), dtype=np.float32)
            for _ in range(5):
                x[rng.integers(h), rng.integers(w)] += 1.0
        y = ndimage.gaussian_filter(x, sigma=sigma, mode="reflect", truncate=4.0)
        cases.append({"height": h, "width": w, "sigma": sigma, "input": f32list(x), "output": f32list(y)})
    # EGD-CXR convention: counts at native resolution, sigma in px, then min-max to [0, 1]
    h, w = 90, 120
    pts = rng.integers(0, [w, h], size=(25, 2))
    rec = np.zeros((h, w), dtype=np.float32)
    for x0, y0 in pts:
        rec[y0, x0] += 1
    hm = ndimage.gaussian_filter(rec, sigma=10.0)
    hm = (hm - hm.min()) / (hm.max() - hm.min())
    egd = {"height": h, "width": w, "sigma": 10.0, "points": [[int(a), int(b)] for a, b in pts], "output": f32list(hm)}
    # REFLACX convention: duration-weighted normalised 2-D Gaussian pdf (sigma = pixels per degree) inside the
    # shown rectangle, then divided by the sum.
    h, w = 60, 80
    fx = []
    img = np.zeros((h, w), dtype=np.float64)
    for _ in range(6):
        x0, y0 = float(rng.uniform(5, 75)), float(rng.uniform(5, 55))
        sx, sy = float(rng.uniform(3, 9)), float(rng.uniform(3, 9))
        t0 = float(rng.uniform(0, 10)); t1 = t0 + float(rng.uniform(0.1, 1.0))
        rect = [2, 1, 78, 57]  # xmin, ymin, xmax, ymax (exclusive)
        xs = np.arange(0, rect[2] - rect[0]); ys = np.arange(0, rect[3] - rect[1])
        X, Y = np.meshgrid(xs, ys)
        pos = np.empty(X.shape + (2,)); pos[:, :, 1] = X; pos[:, :, 0] = Y
        g = np.zeros((h, w))
        g[rect[1]:rect[3], rect[0]:rect[2]] = multivariate_normal([y0 - rect[1], x0 - rect[0]], [sy ** 2, sx ** 2]).pdf(pos)
        img += g * (t1 - t0)
        fx.append({"x": x0, "y": y0, "ppd_x": sx, "ppd_y": sy, "start": t0, "end": t1, "rect": rect})
    img /= img.sum()
    reflacx = {"height": h, "width": w, "fixations": fx, "output": f32list(img)}
    dump("gaussian_filter.json", {"cases": cases, "egdcxr": egd, "reflacx": reflacx})


# ---------------------------------------------------------------- resampling (cv2 INTER_LINEAR / INTER_AREA)
def resample_goldens():
    try:
        import cv2
    except ImportError:
        print("skip resample goldens: no cv2")
        return
    rng = np.random.default_rng(7)
    x = rng.random((50, 70), dtype=np.float32)
    out = {"height": 50, "width": 70, "input": f32list(x), "cases": []}
    for (dh, dw, mode) in [(25, 35, "area"), (10, 14, "area"), (20, 30, "linear"), (120, 90, "linear")]:
        interp = cv2.INTER_AREA if mode == "area" else cv2.INTER_LINEAR
        y = cv2.resize(x, (dw, dh), interpolation=interp)
        out["cases"].append({"height": dh, "width": dw, "mode": mode, "output": f32list(y)})
    dump("resample.json", out)


if __name__ == "__main__":
    siim_goldens()
    gaussian_goldens()
    resample_goldens()
