#!/usr/bin/python3
"""Golden data for Thorax.Imaging image operations (OpenCV 4.6 / scipy / skimage as oracles).

Every input is generated here from a fixed numpy seed and stored next to the expected output in
tests/data/golden/imaging/ops/<op>.json. Arrays are {"shape": [...], "dtype": "u8"|"u16"|"f32"|"f64"|"i32",
"data": [row-major flat values]}. Images are (H, W) or (H, W, C) interleaved, channel order as given.

Run: /usr/bin/python3 tools/golden/imaging/golden_ops.py   (from the repository root)
"""
import json
import os

import cv2
import numpy as np
import scipy.ndimage as ndi
import skimage
import skimage.transform

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "imaging", "ops")
DT = {np.uint8: "u8", np.uint16: "u16", np.float32: "f32", np.float64: "f64", np.int32: "i32"}


def arr(a):
    a = np.ascontiguousarray(a)
    kind = DT[a.dtype.type]
    data = a.ravel().tolist()
    if kind == "f64":
        data = [float(v) for v in data]
    return {"shape": list(a.shape), "dtype": kind, "data": data}


def dump(name, doc):
    doc["versions"] = {"cv2": cv2.__version__, "numpy": np.__version__, "skimage": skimage.__version__}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))


def smooth_u8(rng, h, w, c=None, noise=20):
    yy, xx = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(xx / 4.0) * np.cos(yy / 5.0) + 50 * np.sin((xx + yy) / 9.0)
    shape = (h, w) if c is None else (h, w, c)
    if c is not None:
        base = np.stack([base + 20 * k for k in range(c)], axis=2)
    return np.clip(base + rng.normal(0, noise, shape), 0, 255).astype(np.uint8)


def blobs(rng, h, w, p=0.45, smooth=1.2):
    f = ndi.gaussian_filter(rng.random((h, w)), smooth)
    return (f > np.quantile(f, 1 - p)).astype(np.uint8) * 255


INTERP = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "area": cv2.INTER_AREA}


def resize():
    rng = np.random.default_rng(10)
    u8 = smooth_u8(rng, 24, 36)
    u8c3 = smooth_u8(rng, 24, 36, 3)
    f32 = (rng.random((24, 36)) * 4 - 1).astype(np.float32)
    sizes = [(18, 12), (12, 8), (17, 11), (25, 19), (60, 50), (72, 48), (36, 24), (5, 30)]  # (w, h)
    cases = []
    for name, src in [("u8", u8), ("u8c3", u8c3), ("f32", f32)]:
        for interp, flag in INTERP.items():
            for (w, h) in sizes:
                out = cv2.resize(src, (w, h), interpolation=flag)
                cases.append({"input": name, "interp": interp, "width": w, "height": h, "expected": arr(out)})
    aa = []
    src64 = rng.random((40, 52))
    for (h, w) in [(20, 26), (13, 17), (9, 40), (80, 60)]:
        out = skimage.transform.resize(src64, (h, w), order=1, anti_aliasing=True)
        aa.append({"width": w, "height": h, "expected": arr(out.astype(np.float64))})
    dump("resize", {"inputs": {"u8": arr(u8), "u8c3": arr(u8c3), "f32": arr(f32)}, "cases": cases,
                    "antialias_input": arr(src64), "antialias_cases": aa,
                    "note": "cv2.resize(src, (w,h), interpolation); skimage.transform.resize(order=1, anti_aliasing=True, mode='reflect')"})


def clahe():
    rng = np.random.default_rng(11)
    cases = []
    for (h, w) in [(64, 64), (75, 100), (37, 53)]:
        src = smooth_u8(rng, h, w, noise=35)
        for clip, tiles in [(2.0, (8, 8)), (40.0, (8, 8)), (4.0, (4, 3)), (0.0, (2, 2)), (1.0, (5, 7))]:
            out = cv2.createCLAHE(clipLimit=clip, tileGridSize=tiles).apply(src)
            cases.append({"input": arr(src), "clip": clip, "tiles_x": tiles[0], "tiles_y": tiles[1], "expected": arr(out)})
    cases16 = []
    for (h, w) in [(48, 40), (33, 50)]:
        src = (smooth_u8(rng, h, w, noise=30).astype(np.uint16) * 180 + rng.integers(0, 180, (h, w))).astype(np.uint16)
        for clip, tiles in [(2.0, (8, 8)), (3.0, (4, 4))]:
            out = cv2.createCLAHE(clipLimit=clip, tileGridSize=tiles).apply(src)
            cases16.append({"input": arr(src), "clip": clip, "tiles_x": tiles[0], "tiles_y": tiles[1], "expected": arr(out)})
    eq = []
    for (h, w) in [(30, 40), (64, 64)]:
        src = (smooth_u8(rng, h, w) // 3 + 40).astype(np.uint8)
        eq.append({"input": arr(src), "expected": arr(cv2.equalizeHist(src))})
    const = np.full((5, 6), 77, np.uint8)
    eq.append({"input": arr(const), "expected": arr(cv2.equalizeHist(const))})
    dump("clahe", {"cases": cases, "cases16": cases16, "equalize": eq})


def gaussian():
    rng = np.random.default_rng(12)
    src = (rng.random((30, 41)) * 10).astype(np.float32)
    cases = []
    for sigma in (0.5, 1.0, 2.5, 7.0, 20.0):
        for mode in ("reflect", "mirror", "nearest", "constant"):
            out = ndi.gaussian_filter(src.astype(np.float64), sigma, mode=mode, truncate=4.0)
            cases.append({"sigma": sigma, "mode": mode, "expected": arr(out)})
    aniso = ndi.gaussian_filter(src.astype(np.float64), (3.0, 1.5), mode="reflect")
    dump("gaussian", {"input": arr(src), "cases": cases,
                      "anisotropic": {"sigma_y": 3.0, "sigma_x": 1.5, "expected": arr(aniso)},
                      "note": "scipy.ndimage.gaussian_filter(float64(src), sigma, mode, truncate=4.0)"})


BORDERS = {"reflect101": cv2.BORDER_REFLECT_101, "reflect": cv2.BORDER_REFLECT, "replicate": cv2.BORDER_REPLICATE}


def gaussian_cv():
    """cv2.GaussianBlur with explicit kernel sizes, the sigma = 0 rules and auto kernel sizes, float32 and uint8."""
    rng = np.random.default_rng(19)
    f32 = (rng.random((14, 19)) * 10 - 2).astype(np.float32)
    u8 = smooth_u8(rng, 14, 19, noise=40)
    # (ksize (w, h), sigmaX, sigmaY, border)
    specs = [((3, 3), 0, 0, "reflect101"), ((5, 5), 0, 0, "reflect101"), ((7, 7), 0, 0, "reflect101"),
             ((9, 9), 0, 0, "reflect101"), ((15, 15), 0, 0, "reflect101"), ((5, 3), 1.2, 0, "reflect101"),
             ((9, 9), 2.0, 0, "reflect101"), ((0, 0), 1.5, 0, "reflect101"), ((0, 0), 2.2, 0.7, "reflect101"),
             ((11, 5), 3.0, 1.0, "reflect101"), ((1, 7), 0, 2.0, "reflect101"), ((7, 1), 1.1, 0, "reflect101"),
             ((21, 21), 5.0, 0, "reflect101"), ((5, 5), 1.0, 0, "reflect"), ((5, 5), 1.0, 0, "replicate")]
    cases = []
    for name, src in (("f32", f32), ("u8", u8)):
        for (k, sx, sy, border) in specs:
            out = cv2.GaussianBlur(src, k, sigmaX=sx, sigmaY=sy, borderType=BORDERS[border])
            cases.append({"input": name, "ksize_x": k[0], "ksize_y": k[1], "sigma_x": sx, "sigma_y": sy,
                          "border": border, "expected": arr(out)})
    kernels = []
    for (n, sigma) in [(1, 0), (3, 0), (5, 0), (7, 0), (9, 0), (5, 1.3), (11, 2.5), (4 * 2 + 1, 0.6)]:
        kernels.append({"ksize": n, "sigma": sigma, "expected": arr(cv2.getGaussianKernel(n, sigma).ravel().astype(np.float64))})
    dump("gaussian_cv", {"inputs": {"f32": arr(f32), "u8": arr(u8)}, "cases": cases, "kernels": kernels,
                         "note": "cv2.GaussianBlur(src, (kw, kh), sigmaX, sigmaY, borderType); cv2.getGaussianKernel(n, sigma)"})


SHAPES = {"rect": cv2.MORPH_RECT, "ellipse": cv2.MORPH_ELLIPSE, "cross": cv2.MORPH_CROSS}


def morphology():
    rng = np.random.default_rng(13)
    binary = blobs(rng, 30, 40)
    grey = smooth_u8(rng, 30, 40)
    fl = (rng.random((30, 40)) * 2 - 1).astype(np.float32)
    kernels = []
    for shape, flag in SHAPES.items():
        for (w, h) in [(1, 1), (3, 3), (5, 5), (7, 4), (4, 7), (9, 9), (1, 5), (15, 15), (6, 6)]:
            kernels.append({"shape": shape, "width": w, "height": h,
                            "expected": arr(cv2.getStructuringElement(flag, (w, h)))})
    cases = []
    for shape, flag in SHAPES.items():
        for (w, h) in [(3, 3), (5, 5), (7, 4), (6, 6)]:
            k = cv2.getStructuringElement(flag, (w, h))
            for name, src in [("binary", binary), ("grey", grey), ("float", fl)]:
                for op, f in [("erode", lambda s: cv2.erode(s, k)), ("dilate", lambda s: cv2.dilate(s, k)),
                              ("open", lambda s: cv2.morphologyEx(s, cv2.MORPH_OPEN, k)),
                              ("close", lambda s: cv2.morphologyEx(s, cv2.MORPH_CLOSE, k))]:
                    cases.append({"input": name, "shape": shape, "width": w, "height": h, "op": op,
                                  "expected": arr(f(src))})
    dump("morphology", {"inputs": {"binary": arr(binary), "grey": arr(grey), "float": arr(fl)},
                        "kernels": kernels, "cases": cases})


def components():
    rng = np.random.default_rng(14)
    cases = []
    for i, (h, w, p) in enumerate([(30, 40, 0.35), (31, 23, 0.5), (16, 16, 0.2), (64, 50, 0.3)]):
        src = blobs(rng, h, w, p, smooth=0.8 + 0.3 * i)
        for conn in (4, 8):
            n, labels, stats, cents = cv2.connectedComponentsWithStats(src, connectivity=conn, ltype=cv2.CV_32S)
            cases.append({"input": arr(src), "connectivity": conn, "count": int(n), "labels": arr(labels.astype(np.int32)),
                          "stats": arr(stats.astype(np.int32)), "centroids": arr(cents.astype(np.float64))})
    holes = []
    for i in range(3):
        src = blobs(rng, 30, 40, 0.55, smooth=1.0 + i) > 0
        holes.append({"input": arr(src.astype(np.uint8) * 255),
                      "expected": arr(ndi.binary_fill_holes(src).astype(np.uint8) * 255)})
    # SIIM 1st-place remove_smallest: findContours(RETR_TREE, CHAIN_APPROX_SIMPLE), keep contourArea > min, draw filled
    contour = []
    for i in range(4):
        src = blobs(rng, 40, 48, 0.3, smooth=0.7 + 0.4 * i)
        for min_area in (0, 3, 10, 40):
            contours, _ = cv2.findContours(src.copy(), cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
            areas = [float(cv2.contourArea(c)) for c in contours]
            keep = [c for c in contours if cv2.contourArea(c) > min_area]
            out = cv2.drawContours(np.zeros(src.shape, np.uint8), keep, -1, (255), thickness=cv2.FILLED)
            contour.append({"input": arr(src), "min_area": min_area, "expected": arr(out),
                            "areas": sorted(areas)})
    dump("components", {"cases": cases, "fill_holes": holes, "remove_by_contour": contour})


def polygons():
    rng = np.random.default_rng(15)
    cases = []
    shapes = [
        [[[3, 2], [30, 5], [20, 25]]],
        [[[1, 1], [38, 1], [38, 28], [1, 28]]],
        [[[5, 5], [35, 5], [35, 25], [20, 12], [5, 25]]],                       # concave
        [[[2, 2], [30, 27], [30, 2], [2, 27]]],                                 # self-intersecting bow-tie
        [[[10, 3], [10, 20]]],                                                  # degenerate
        [[[4, 4], [15, 4], [15, 15], [4, 15]], [[20, 10], [36, 12], [28, 27]]], # two polygons in one call
        [[[-5, -3], [25, 10], [45, 40]]],                                       # partly outside
        [[[8, 8], [30, 8], [30, 22], [8, 22]], [[13, 12], [25, 12], [25, 18], [13, 18]]],  # nested (even-odd hole)
    ]
    for _ in range(8):
        n = int(rng.integers(3, 12))
        shapes.append([rng.integers(0, 40, (n, 2)).tolist()])
    for pts in shapes:
        img = np.zeros((30, 40), np.uint8)
        cv2.fillPoly(img, [np.array(p, np.int32) for p in pts], 255)
        cases.append({"polygons": pts, "expected": arr(img)})
    dump("polygons", {"width": 40, "height": 30, "cases": cases, "note": "cv2.fillPoly(img, pts, 255), lineType=8, shift=0"})


def warps():
    rng = np.random.default_rng(16)
    u8 = smooth_u8(rng, 23, 37)
    u8c3 = smooth_u8(rng, 23, 37, 3)
    f32 = (rng.random((23, 37)) * 3 - 1).astype(np.float32)
    mats = [
        cv2.getRotationMatrix2D((18.5, 11.5), 17.0, 1.0),
        cv2.getRotationMatrix2D((10.0, 7.0), -33.3, 1.25),
        cv2.getRotationMatrix2D((18.0, 11.0), 90.0, 0.8),
        np.array([[1.0, 0.0, 3.4], [0.0, 1.0, -2.2]]),
        np.array([[0.9, 0.15, 1.0], [-0.2, 1.1, 2.0]]),
    ]
    cases = []
    for mi, m in enumerate(mats):
        for name, src in [("u8", u8), ("u8c3", u8c3), ("f32", f32)]:
            for interp, flag in [("linear", cv2.INTER_LINEAR), ("nearest", cv2.INTER_NEAREST)]:
                for border, bflag, value in [("constant", cv2.BORDER_CONSTANT, 0.0), ("constant", cv2.BORDER_CONSTANT, 17.0),
                                             ("reflect101", cv2.BORDER_REFLECT_101, 0.0),
                                             ("replicate", cv2.BORDER_REPLICATE, 0.0), ("reflect", cv2.BORDER_REFLECT, 0.0)]:
                    out = cv2.warpAffine(src, m, (37, 23), flags=flag, borderMode=bflag, borderValue=(value, value, value, value))
                    cases.append({"input": name, "matrix": m.ravel().tolist(), "interp": interp, "border": border,
                                  "value": value, "expected": arr(out)})
    rot = [{"cx": c[0], "cy": c[1], "angle": a, "scale": s, "expected": cv2.getRotationMatrix2D(c, a, s).ravel().tolist()}
           for c, a, s in [((18.5, 11.5), 17.0, 1.0), ((0.0, 0.0), -90.0, 2.0), ((3.0, 4.0), 45.0, 0.5)]]
    dump("warp", {"inputs": {"u8": arr(u8), "u8c3": arr(u8c3), "f32": arr(f32)}, "cases": cases, "rotation_matrices": rot,
                  "note": "cv2.warpAffine(src, M, (37,23), flags, borderMode, borderValue)"})


def colormaps():
    ramp = np.arange(256, dtype=np.uint8).reshape(1, 256)
    out = {}
    for name, flag in [("jet", cv2.COLORMAP_JET), ("viridis", cv2.COLORMAP_VIRIDIS)]:
        bgr = cv2.applyColorMap(ramp, flag)[0]
        out[name] = arr(bgr[:, ::-1].copy())  # RGB
    rng = np.random.default_rng(17)
    grey = smooth_u8(rng, 20, 30)
    heat = smooth_u8(rng, 20, 30, noise=5)
    mask = blobs(rng, 20, 30)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    colored = cv2.applyColorMap(heat, cv2.COLORMAP_JET)[..., ::-1]
    blend = cv2.addWeighted(rgb, 0.6, np.ascontiguousarray(colored), 0.4, 0.0)
    masked = rgb.copy()
    red = np.zeros_like(rgb); red[...] = (255, 0, 0)
    mixed = cv2.addWeighted(rgb, 0.5, red, 0.5, 0.0)
    masked[mask > 0] = mixed[mask > 0]
    dump("colormap", {"lut": out, "grey": arr(grey), "heat": arr(heat), "mask": arr(mask),
                      "heat_overlay_alpha04": arr(blend), "mask_overlay_red_alpha05": arr(masked),
                      "note": "LUT rows are RGB for input 0..255; overlays = cv2.addWeighted(grey3, 1-a, colour, a, 0)"})


def resize_u16():
    """uint16 cv2.resize (X-ray DICOMs are 12-16 bit): full-range and 12-bit-range noise, 1 and 3 channels."""
    import hashlib

    rng = np.random.default_rng(20)
    inputs = {"u16": rng.integers(0, 65536, (47, 61)).astype(np.uint16),
              "u16_12bit": rng.integers(0, 4096, (47, 61)).astype(np.uint16),
              "u16c3": rng.integers(0, 65536, (47, 61, 3)).astype(np.uint16),
              "u16_even": rng.integers(0, 65536, (48, 60)).astype(np.uint16),
              "u16_12bit_even": rng.integers(0, 4096, (48, 60)).astype(np.uint16),
              "u16c3_even": rng.integers(0, 65536, (24, 30, 3)).astype(np.uint16),
              # strong upscales of a thin strip: linear 57x95 has a sample where OpenCV's unclamped y fraction at the
              # border matters, cubic 27x113 one where its SIMD-block vs scalar-tail summation order matters
              "u16_strip": np.random.default_rng(22).integers(0, 65536, (6, 38)).astype(np.uint16)}
    # (w, h) per input: fractional downscales (~3x, 61x47 -> 23x17, one axis only), upscales, and on the even-sized
    # inputs exact integer factors (2x, 3x, 4x2, 5x24), identity and 2x upscale
    sizes = {"u16": [(20, 15), (23, 17), (97, 71), (61, 20), (7, 40)],
             "u16_12bit": [(20, 15), (23, 17), (97, 71)],
             "u16c3": [(23, 17), (97, 71)],
             "u16_even": [(30, 24), (20, 16), (15, 24), (12, 2), (60, 48), (120, 96)],
             "u16_12bit_even": [(30, 24), (20, 16)],
             "u16c3_even": [(15, 12), (10, 8), (45, 36)],
             "u16_strip": [(57, 95), (27, 113)]}
    cases = []
    for name, src in inputs.items():
        for interp, flag in INTERP.items():
            for (w, h) in sizes[name]:
                out = cv2.resize(src, (w, h), interpolation=flag)
                cases.append({"input": name, "interp": interp, "width": w, "height": h, "expected": arr(out)})
    # Large images (several row bands, long SIMD runs) as SHA-256 of the little-endian output samples; the input is
    # a formula the test rebuilds: v = ((((x * 7919) ^ (y * 104729)) & 0x3FFF) + 41 x + 29 y + 12345 c) & 0xFFFF
    large = []
    for (w0, h0, cn), targets in [((1024, 818, 1), [("nearest", 700, 555), ("linear", 700, 555), ("cubic", 700, 555),
                                                   ("area", 700, 555), ("area", 512, 409), ("linear", 512, 409),
                                                   ("area", 256, 409), ("area", 205, 136), ("linear", 2000, 1600),
                                                   ("cubic", 1500, 1100), ("area", 1500, 1100)]),
                                  ((500, 400, 3), [("linear", 333, 277), ("cubic", 640, 512), ("area", 250, 200),
                                                   ("area", 333, 277), ("nearest", 640, 512)])]:
        yy, xx, cc = np.meshgrid(np.arange(h0, dtype=np.int64), np.arange(w0, dtype=np.int64),
                                 np.arange(cn, dtype=np.int64), indexing="ij")
        src = ((((xx * 7919) ^ (yy * 104729)) & 0x3FFF) + 41 * xx + 29 * yy + 12345 * cc) & 0xFFFF
        src = src.astype(np.uint16)
        if cn == 1:
            src = src[:, :, 0]
        for interp, w, h in targets:
            out = np.ascontiguousarray(cv2.resize(src, (w, h), interpolation=INTERP[interp]))
            large.append({"src_width": w0, "src_height": h0, "channels": cn, "interp": interp, "width": w, "height": h,
                          "sha256": hashlib.sha256(out.astype("<u2").tobytes()).hexdigest()})
    dump("resize_u16", {"inputs": {k: arr(v) for k, v in inputs.items()}, "cases": cases, "large": large,
                        "note": "cv2.resize(src, (w,h), interpolation) on uint16"})


def resize_blocks():
    """Integer-factor block means that are not 2x2, and 2x2 with every channel count: OpenCV's resizeAreaFast vector
    path only covers 2x2 blocks with 1, 3 or 4 channels (round half up); 4x1, 1x4, 3x2 blocks and 2 channels take the
    generic sum * (1/area) (round half to even for integers)."""
    rng = np.random.default_rng(23)
    inputs, cases = {}, []
    for cn in (1, 2, 3, 4):
        shape = (16, 24) if cn == 1 else (16, 24, cn)
        inputs[f"u8c{cn}"] = rng.integers(0, 256, shape, dtype=np.uint8)
    inputs["f32c1"] = (rng.random((16, 24)) * 4 - 1).astype(np.float32)
    inputs["f32c2"] = (rng.random((16, 24, 2)) * 4 - 1).astype(np.float32)
    sizes = [(6, 16), (24, 4), (12, 8), (8, 8), (6, 4), (12, 16), (24, 8)]  # (w, h): 4x1, 1x4, 2x2, 3x2, 4x4, 2x1, 1x2
    for name, src in inputs.items():
        for interp in ("area", "linear"):
            for (w, h) in sizes:
                out = cv2.resize(src, (w, h), interpolation=INTERP[interp])
                cases.append({"input": name, "interp": interp, "width": w, "height": h, "expected": arr(out)})
    dump("resize_blocks", {"inputs": {k: arr(v) for k, v in inputs.items()}, "cases": cases,
                           "note": "cv2.resize at integer factors other than 2x2, and 2x2 with 1-4 channels"})


def mask_filters():
    """MaskOps.RemoveSmallComponents = skimage.morphology.remove_small_objects(mask, min_size, connectivity) (keeps
    objects of at least min_size pixels; connectivity 1 = 4-neighbours, 2 = 8); MaskOps.KeepLargestComponents(k) keeps
    the k largest skimage.measure.label components (ties: lower label first, labels in raster order of first pixel)."""
    import skimage.measure
    import skimage.morphology
    rng = np.random.default_rng(31)
    inputs, small, largest = [], [], []
    for i, (h, w, p) in enumerate([(40, 48, 0.3), (33, 29, 0.45), (64, 64, 0.2)]):
        src = blobs(rng, h, w, p, smooth=0.7 + 0.3 * i)
        inputs.append(arr(src))
        for conn in (4, 8):
            sk_conn = 1 if conn == 4 else 2
            for min_size in (1, 2, 5, 12, 40):
                out = skimage.morphology.remove_small_objects(src > 0, min_size=min_size, connectivity=sk_conn)
                small.append({"input": i, "connectivity": conn, "min_size": min_size,
                              "expected": arr(out.astype(np.uint8) * 255)})
            labels = skimage.measure.label(src > 0, connectivity=sk_conn)
            sizes = np.bincount(labels.ravel())[1:]
            order = sorted(range(len(sizes)), key=lambda k: (-sizes[k], k))
            for k in (0, 1, 3):
                keep = {order[j] + 1 for j in range(min(k, len(order)))}
                out = np.isin(labels, list(keep)) if keep else np.zeros_like(src, dtype=bool)
                largest.append({"input": i, "connectivity": conn, "count": k,
                                "expected": arr(out.astype(np.uint8) * 255)})
    dump("mask_filters", {"inputs": inputs, "remove_small": small, "keep_largest": largest})


def morphology_u16():
    """cv2.erode / dilate / morphologyEx(OPEN, CLOSE) on uint16 (full range and 12-bit values), every element shape."""
    rng = np.random.default_rng(37)
    inputs = {"u16": rng.integers(0, 65536, (18, 21), dtype=np.uint16),
              "u12": (ndi.gaussian_filter(rng.random((18, 21)), 1.5) * 4095 / 0.7).clip(0, 4095).astype(np.uint16),
              "u16c3": rng.integers(0, 65536, (9, 11, 3), dtype=np.uint16)}
    cases = []
    for shape, flag in SHAPES.items():
        for (w, h) in [(3, 3), (7, 4)]:
            k = cv2.getStructuringElement(flag, (w, h))
            for name, src in inputs.items():
                for op, f in [("erode", lambda s: cv2.erode(s, k)), ("dilate", lambda s: cv2.dilate(s, k)),
                              ("open", lambda s: cv2.morphologyEx(s, cv2.MORPH_OPEN, k)),
                              ("close", lambda s: cv2.morphologyEx(s, cv2.MORPH_CLOSE, k))]:
                    cases.append({"input": name, "shape": shape, "width": w, "height": h, "op": op,
                                  "expected": arr(f(src))})
    dump("morphology_u16", {"inputs": {k: arr(v) for k, v in inputs.items()}, "cases": cases})


def gaussian_cv_u16():
    """cv2.GaussianBlur on uint16 (OpenCV 4.x blurs CV_16U in fixed point: 16-bit kernels, 32-bit row sums, rounded
    48-bit column sums), full-range and 12-bit inputs, 3 channels, 1-pixel-wide images, every border incl. constant.
    Large images (several row bands, long SIMD runs) as SHA-256 of the little-endian output samples, for uint16 and
    also for uint8 (the fixed-point 8-bit path); their inputs are formulas the test rebuilds:
    u16: ((((x * 7919) ^ (y * 104729)) & 0x3FFF) + 41 x + 29 y + 12345 c) & 0xFFFF,
    u8:  ((((x * 7919) ^ (y * 104729)) & 0x3F) + 3 x + 5 y + 85 c) & 0xFF."""
    import hashlib

    rng = np.random.default_rng(41)
    yy, xx = np.mgrid[0:17, 0:23]
    u12 = 2048 + 1200 * np.sin(xx / 4.0) * np.cos(yy / 5.0) + 500 * np.sin((xx + yy) / 7.0) + rng.normal(0, 150, (17, 23))
    inputs = {"u16": rng.integers(0, 65536, (17, 23)).astype(np.uint16),
              "u12": np.clip(u12, 0, 4095).astype(np.uint16),
              "u16c3": rng.integers(0, 65536, (11, 13, 3)).astype(np.uint16),
              "u16_row": rng.integers(0, 65536, (1, 23)).astype(np.uint16),
              "u16_col": rng.integers(0, 65536, (23, 1)).astype(np.uint16)}
    # (ksize (w, h), sigmaX, sigmaY); (0, 0) with sigma 5 is a 41-tap kernel, longer than every image side
    specs = [((3, 3), 0, 0), ((5, 5), 1.1, 0), ((0, 0), 2.0, 0), ((7, 3), 1.5, 0.8), ((0, 0), 5.0, 0)]
    borders = dict(BORDERS, constant=cv2.BORDER_CONSTANT)
    cases = []
    for name, src in inputs.items():
        for (k, sx, sy) in specs:
            for border, flag in borders.items():
                out = cv2.GaussianBlur(src, k, sigmaX=sx, sigmaY=sy, borderType=flag)
                cases.append({"input": name, "ksize_x": k[0], "ksize_y": k[1], "sigma_x": sx, "sigma_y": sy,
                              "border": border, "expected": arr(out)})
    large_specs = specs + [((0, 0), 12.0, 0), ((1, 9), 0, 0), ((9, 1), 0, 0)]
    large = []
    for depth in ("u16", "u8"):
        for (w0, h0, cn) in [(301, 203, 1), (160, 97, 3)]:
            y, x, c = np.meshgrid(np.arange(h0, dtype=np.int64), np.arange(w0, dtype=np.int64),
                                  np.arange(cn, dtype=np.int64), indexing="ij")
            if depth == "u16":
                src = (((((x * 7919) ^ (y * 104729)) & 0x3FFF) + 41 * x + 29 * y + 12345 * c) & 0xFFFF).astype(np.uint16)
            else:
                src = (((((x * 7919) ^ (y * 104729)) & 0x3F) + 3 * x + 5 * y + 85 * c) & 0xFF).astype(np.uint8)
            if cn == 1:
                src = src[:, :, 0]
            for (k, sx, sy) in large_specs:
                for border in (borders if cn == 1 else ("reflect101", "constant")):
                    out = np.ascontiguousarray(cv2.GaussianBlur(src, k, sigmaX=sx, sigmaY=sy, borderType=borders[border]))
                    large.append({"depth": depth, "width": w0, "height": h0, "channels": cn, "ksize_x": k[0],
                                  "ksize_y": k[1], "sigma_x": sx, "sigma_y": sy, "border": border,
                                  "sha256": hashlib.sha256(out.astype("<u2" if depth == "u16" else "u1").tobytes()).hexdigest()})
    dump("gaussian_cv_u16", {"inputs": {k: arr(v) for k, v in inputs.items()}, "cases": cases, "large": large,
                             "note": "cv2.GaussianBlur(src, (kw, kh), sigmaX, sigmaY, borderType) on uint16 (and uint8 in large)"})


def warps_u16():
    """uint16 cv2.warpAffine (X-ray DICOMs are 12-16 bit). OpenCV 4.6 takes the float path for 16U (float weight
    tables, float accumulation, cvRound half to even), unlike 8U's 15-bit fixed point; cubic's border branch sums
    cval + sum((S - cval) * w), so a border value also matters for the non-constant modes."""
    rng = np.random.default_rng(41)
    yy, xx = np.mgrid[0:19, 0:23]
    smooth = 2048 + 1200 * np.sin(xx / 3.1) * np.cos(yy / 4.3) + 35 * xx - 20 * yy + rng.normal(0, 60, (19, 23))
    inputs = {"u16": rng.integers(0, 65536, (19, 23)).astype(np.uint16),
              "u12": np.clip(smooth, 0, 4095).astype(np.uint16),
              "u16c3": rng.integers(0, 65536, (9, 11, 3)).astype(np.uint16)}
    shear = np.array([[1.0, 0.3, 2.37], [-0.1, 0.95, -1.61]])
    # (matrix, (w, h)) per input: rotation about the centre with scale (same size), shear + non-integer translation
    # and an off-centre rotation (other sizes)
    pairs = {"u16": [(cv2.getRotationMatrix2D((11.0, 9.0), 23.0, 1.15), (23, 19)), (shear, (15, 13)),
                     (cv2.getRotationMatrix2D((4.3, 13.7), -71.0, 0.7), (12, 10))],
             "u12": [(cv2.getRotationMatrix2D((11.0, 9.0), -37.5, 0.85), (23, 19)), (shear, (15, 13)),
                     (cv2.getRotationMatrix2D((4.3, 13.7), 120.0, 1.3), (12, 10))],
             "u16c3": [(cv2.getRotationMatrix2D((5.0, 4.0), 31.0, 1.2), (11, 9)), (shear, (9, 5)),
                       (cv2.getRotationMatrix2D((2.2, 6.6), -100.0, 0.75), (6, 5))]}
    borders = [("constant", cv2.BORDER_CONSTANT, 0.0), ("constant", cv2.BORDER_CONSTANT, 40000.5),
               ("replicate", cv2.BORDER_REPLICATE, 0.0), ("reflect", cv2.BORDER_REFLECT, 0.0),
               ("reflect101", cv2.BORDER_REFLECT_101, 0.0), ("reflect101", cv2.BORDER_REFLECT_101, 1234.0)]
    cases = []
    for name, src in inputs.items():
        for m, (w, h) in pairs[name]:
            for interp in ("nearest", "linear", "cubic"):
                for border, bflag, value in borders:
                    if interp != "cubic" and (value == 1234.0 or (border == "constant" and value == 0.0)):
                        continue  # constant 0 takes the same path as 40000.5; the value only alters reflect in cubic
                    out = cv2.warpAffine(src, m, (w, h), flags=INTERP[interp], borderMode=bflag,
                                         borderValue=(value, value, value, value))
                    cases.append({"input": name, "matrix": m.ravel().tolist(), "interp": interp, "border": border,
                                  "value": value, "width": w, "height": h, "expected": arr(out)})
    # Larger images (several row bands, mostly interior taps) as SHA-256 of the little-endian output samples; the
    # input is resize_u16's large-case formula: v = ((((x*7919) ^ (y*104729)) & 0x3FFF) + 41x + 29y + 12345c) & 0xFFFF
    import hashlib
    large = []
    for (w0, h0, cn) in [(320, 256, 1), (96, 80, 3)]:
        yy, xx, cc = np.meshgrid(np.arange(h0, dtype=np.int64), np.arange(w0, dtype=np.int64),
                                 np.arange(cn, dtype=np.int64), indexing="ij")
        src = (((((xx * 7919) ^ (yy * 104729)) & 0x3FFF) + 41 * xx + 29 * yy + 12345 * cc) & 0xFFFF).astype(np.uint16)
        src = src[:, :, 0] if cn == 1 else src
        m = cv2.getRotationMatrix2D((w0 / 2 - 0.3, h0 / 2 + 0.45), 13.0, 1.07)
        for interp in ("nearest", "linear", "cubic"):
            for border, bflag in [("constant", cv2.BORDER_CONSTANT), ("reflect101", cv2.BORDER_REFLECT_101)]:
                w, h = w0 + 7, h0 - 5
                out = np.ascontiguousarray(cv2.warpAffine(src, m, (w, h), flags=INTERP[interp], borderMode=bflag,
                                                          borderValue=(777, 777, 777, 777)))
                large.append({"src_width": w0, "src_height": h0, "channels": cn, "matrix": m.ravel().tolist(),
                              "interp": interp, "border": border, "value": 777.0, "width": w, "height": h,
                              "sha256": hashlib.sha256(out.astype("<u2").tobytes()).hexdigest()})
    dump("warps_u16", {"inputs": {k: arr(v) for k, v in inputs.items()}, "cases": cases, "large": large,
                       "note": "cv2.warpAffine(src, M, (w,h), flags, borderMode, borderValue) on uint16"})


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in (resize, clahe, gaussian, gaussian_cv, morphology, components, polygons, warps, colormaps, resize_u16,
              resize_blocks, mask_filters, morphology_u16, gaussian_cv_u16, warps_u16):
        f()
        print("done", f.__name__)


if __name__ == "__main__":
    main()
