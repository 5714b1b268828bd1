#!/usr/bin/python3
"""Golden data for Thorax.Imaging PNG/JPEG codecs.

Writes small generated PNG/JPEG files plus the sha256 of their decoded pixels (as PIL/numpy decode them) into
tests/data/golden/imaging/codecs/, and sha256 hashes of PIL-decoded real PNGs from ../shared/data (the files
themselves are never copied).

Pixel hash convention: sha256 of the row-major interleaved samples; uint16 samples little-endian.
Decoded layout: grey (H,W), grey+alpha (H,W,2), RGB (H,W,3), RGBA (H,W,4); grey at 1/2/4 bits scaled to 8 bits;
palette expanded to RGB, or RGBA when a tRNS chunk is present.

JPEG write parity (jpeg_write.json): generated grey/RGB inputs (raw .bin, row-major interleaved) saved by PIL with
the listed quality/subsampling; the tests encode the same pixels with Thorax's Jpeg.Encode and require the very same
bytes. For the first PNG under ../shared/data/lungs only sha256 hashes of PIL's JPEG bytes are stored.

Run: /usr/bin/python3 tools/golden/imaging/golden_codecs.py   (from the repository root)
"""
import hashlib
import io
import json
import os
import struct
import zlib

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "imaging", "codecs")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))


def sha(a):
    a = np.ascontiguousarray(a)
    if a.dtype == np.uint16:
        a = a.astype("<u2")
    return hashlib.sha256(a.tobytes()).hexdigest()


def chunk(t, body):
    return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(f, cur, prev, bpp):
    out = bytearray(len(cur))
    for i in range(len(cur)):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f]
        out[i] = (cur[i] - pred) & 0xFF
    return bytes(out)


def pack_rows(samples, depth):
    """samples: (h, w*c) integer array -> list of packed row bytes."""
    rows = []
    for r in samples:
        if depth == 16:
            rows.append(r.astype(">u2").tobytes())
        elif depth == 8:
            rows.append(r.astype(np.uint8).tobytes())
        else:
            bits = "".join(format(int(v), "0%db" % depth) for v in r)
            bits += "0" * (-len(bits) % 8)
            rows.append(bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(samples, depth, colortype, interlace=False, filters=(0, 1, 2, 3, 4), plte=None, trns=None):
    """Minimal PNG writer used for kinds PIL cannot write (forced filters, Adam7, 16-bit colour, 2/4-bit grey).
    samples: (h, w, c) array of raw sample values (palette indices for colour type 3)."""
    h, w, c = samples.shape
    bpp = max(1, c * depth // 8)
    raw = bytearray()
    k = 0
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        rows = pack_rows(sub.reshape(sub.shape[0], -1), depth)
        prev = bytes(len(rows[0]))
        for row in rows:
            f = filters[k % len(filters)]
            k += 1
            raw += bytes([f]) + filter_row(f, row, prev, bpp)
            prev = row
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colortype, 0, 0, int(interlace)))
    if plte is not None:
        out += chunk(b"PLTE", bytes(plte))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    comp = zlib.compress(bytes(raw), 9)
    half = len(comp) // 2  # two IDAT chunks to exercise concatenation
    out += chunk(b"IDAT", comp[:half]) + chunk(b"IDAT", comp[half:]) + chunk(b"IEND", b"")
    return out


def save(name, data, expected, cases, note):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    h, w = expected.shape[:2]
    ch = 1 if expected.ndim == 2 else expected.shape[2]
    cases.append({"file": name, "width": w, "height": h, "channels": ch, "bits": 16 if expected.dtype == np.uint16 else 8,
                  "sha256": sha(expected), "note": note})


def pil_decoded(data):
    im = Image.open(io.BytesIO(data))
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    a = np.array(im)
    if a.dtype == np.int32:
        a = a.astype(np.uint16)
    return a


def png_cases():
    rng = np.random.default_rng(1234)
    cases = []
    W, H = 13, 11

    def pil_png(im, **kw):
        b = io.BytesIO()
        im.save(b, "PNG", **kw)
        return b.getvalue()

    g8 = rng.integers(0, 256, (H, W), dtype=np.uint8)
    save("pil_grey8.png", pil_png(Image.fromarray(g8)), g8, cases, "PIL L")
    g16 = rng.integers(0, 65536, (H, W), dtype=np.uint16)
    data = pil_png(Image.fromarray(g16, "I;16"))
    assert np.array_equal(pil_decoded(data), g16)
    save("pil_grey16.png", data, g16, cases, "PIL I;16")
    la = rng.integers(0, 256, (H, W, 2), dtype=np.uint8)
    save("pil_la.png", pil_png(Image.fromarray(la, "LA")), la, cases, "PIL LA")
    rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    save("pil_rgb.png", pil_png(Image.fromarray(rgb)), rgb, cases, "PIL RGB")
    rgba = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    save("pil_rgba.png", pil_png(Image.fromarray(rgba)), rgba, cases, "PIL RGBA")
    b1 = rng.integers(0, 2, (H, W), dtype=np.uint8) * 255
    data = pil_png(Image.fromarray(b1).convert("1"))
    assert np.array_equal(pil_decoded(data), b1)
    save("pil_bilevel.png", data, b1, cases, "PIL mode 1 (1-bit grey)")
    for bits in (1, 2, 4, 8):
        n = 1 << bits
        idx = rng.integers(0, n, (H, W), dtype=np.uint8)
        pal = rng.integers(0, 256, (n, 3), dtype=np.uint8)
        im = Image.fromarray(idx, "P")
        im.putpalette(pal.flatten().tolist())
        data = pil_png(im, bits=bits)
        exp = pal[idx]
        assert np.array_equal(pil_decoded(data), exp), bits
        save(f"pil_palette{bits}.png", data, exp, cases, f"PIL P bits={bits}")
    # palette with tRNS
    idx = rng.integers(0, 16, (H, W), dtype=np.uint8)
    pal = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, 10, dtype=np.uint8)  # shorter than palette: rest opaque
    data = write_png(idx[..., None], 4, 3, plte=pal.flatten(), trns=alpha)
    exp = np.concatenate([pal[idx], np.append(alpha, np.full(6, 255, np.uint8))[idx][..., None]], axis=2)
    assert np.array_equal(pil_decoded(data), exp)
    save("raw_palette4_trns.png", data, exp, cases, "palette 4-bit with tRNS")

    # low bit-depth grey, hand-written
    for bits in (1, 2, 4):
        v = rng.integers(0, 1 << bits, (H, W), dtype=np.uint8)
        data = write_png(v[..., None], bits, 0)
        exp = (v.astype(np.int32) * (255 // ((1 << bits) - 1))).astype(np.uint8)
        assert np.array_equal(pil_decoded(data), exp), bits
        save(f"raw_grey{bits}.png", data, exp, cases, f"grey {bits}-bit, all filters")
    # each filter type alone, and 16-bit colour kinds
    for f in range(5):
        data = write_png(rgb, 8, 2, filters=(f,))
        assert np.array_equal(pil_decoded(data), rgb)
        save(f"raw_rgb8_filter{f}.png", data, rgb, cases, f"RGB8, filter {f} on every row")
    for f in range(5):
        data = write_png(g16[..., None], 16, 0, filters=(f,))
        assert np.array_equal(pil_decoded(data), g16)
        save(f"raw_grey16_filter{f}.png", data, g16, cases, f"grey16, filter {f} on every row")
    rgb16 = rng.integers(0, 65536, (H, W, 3), dtype=np.uint16)
    data = write_png(rgb16, 16, 2)
    assert np.array_equal(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)[..., ::-1], rgb16)
    save("raw_rgb16.png", data, rgb16, cases, "RGB16 (checked with cv2.imdecode)")
    rgba16 = rng.integers(0, 65536, (H, W, 4), dtype=np.uint16)
    data = write_png(rgba16, 16, 6)
    assert np.array_equal(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)[..., [2, 1, 0, 3]], rgba16)
    save("raw_rgba16.png", data, rgba16, cases, "RGBA16 (checked with cv2.imdecode)")
    la16 = rng.integers(0, 65536, (H, W, 2), dtype=np.uint16)
    save("raw_la16.png", write_png(la16, 16, 4), la16, cases, "grey+alpha 16")

    # Adam7 interlaced, several sizes including ones with empty passes
    for (w, h) in [(13, 11), (1, 1), (3, 2), (9, 17)]:
        v = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        data = write_png(v, 8, 2, interlace=True)
        assert np.array_equal(pil_decoded(data), v)
        save(f"adam7_rgb8_{w}x{h}.png", data, v, cases, "Adam7 RGB8")
    v = rng.integers(0, 16, (h, w), dtype=np.uint8)
    data = write_png(v[..., None], 4, 0, interlace=True)
    exp = (v * 17).astype(np.uint8)
    assert np.array_equal(pil_decoded(data), exp)
    save("adam7_grey4.png", data, exp, cases, "Adam7 grey 4-bit")
    data = write_png(g16[..., None], 16, 0, interlace=True)
    assert np.array_equal(pil_decoded(data), g16)
    save("adam7_grey16.png", data, g16, cases, "Adam7 grey16")
    idx = rng.integers(0, 4, (H, W), dtype=np.uint8)
    pal = rng.integers(0, 256, (4, 3), dtype=np.uint8)
    data = write_png(idx[..., None], 2, 3, interlace=True, plte=pal.flatten())
    assert np.array_equal(pil_decoded(data), pal[idx])
    save("adam7_palette2.png", data, pal[idx], cases, "Adam7 palette 2-bit")
    return cases


def jpeg_cases():
    rng = np.random.default_rng(99)
    cases = []
    H, W = 29, 37
    yy, xx = np.mgrid[0:H, 0:W]
    base = (xx * 5 + yy * 3) % 256
    grey = np.clip(base + rng.normal(0, 12, (H, W)), 0, 255).astype(np.uint8)
    rgb = np.stack([grey, (255 - base).astype(np.uint8), np.clip(yy * 8, 0, 255).astype(np.uint8)], axis=2)
    for name, im, kw in [
        ("grey_q90.jpg", Image.fromarray(grey), dict(quality=90)),
        ("grey_q50.jpg", Image.fromarray(grey), dict(quality=50)),
        ("rgb_420_q90.jpg", Image.fromarray(rgb), dict(quality=90)),
        ("rgb_444_q75.jpg", Image.fromarray(rgb), dict(quality=75, subsampling=0)),
        ("rgb_422_q80.jpg", Image.fromarray(rgb), dict(quality=80, subsampling=1)),
        ("rgb_progressive.jpg", Image.fromarray(rgb), dict(quality=85, progressive=True)),
    ]:
        b = io.BytesIO()
        im.save(b, "JPEG", **kw)
        data = b.getvalue()
        dec = np.array(Image.open(io.BytesIO(data)))
        save(name, data, dec, cases, f"PIL save {kw}; expected = PIL decode")
    return cases, grey, rgb


def real_pngs():
    out = []
    paths = []
    lungs = os.path.join(SHARED, "lungs")
    if os.path.isdir(lungs):
        names = sorted(os.listdir(os.path.join(lungs, "images")))[::30]
        for n in names:
            paths.append(f"lungs/images/{n}")
            if os.path.exists(os.path.join(lungs, "masks", n)):
                paths.append(f"lungs/masks/{n}")
    for d in ("nih", "siim/masks"):
        full = os.path.join(SHARED, d)
        if os.path.isdir(full):
            paths += [f"{d}/{n}" for n in sorted(os.listdir(full)) if n.endswith(".png")]
    for p in paths:
        im = Image.open(os.path.join(SHARED, p))
        a = pil_decoded(open(os.path.join(SHARED, p), "rb").read())
        out.append({"path": p, "width": im.width, "height": im.height, "mode": im.mode, "sha256": sha(a)})
    return out


def jpeg_write_cases():
    """PIL-encoded JPEGs of generated inputs (sizes not multiples of 8/16) plus the inputs themselves.
    subsampling None = PIL's default (no subsampling argument); quality None = PIL's default (no quality argument)."""
    rng = np.random.default_rng(2024)
    cases = []

    def source(w, h, channels):
        yy, xx = np.mgrid[0:h, 0:w]
        smooth = 128 + 90 * np.sin(xx / 7.0) * np.cos(yy / 5.0)
        edge = np.where((xx - w // 3) ** 2 + (yy - h // 2) ** 2 < (min(w, h) // 3) ** 2, 60.0, 0.0)
        planes = []
        for k in range(channels):
            shift = [0.0, 40.0 * np.cos(xx / 11.0), -35.0 * np.sin(yy / 4.0)][k]
            planes.append(np.clip(smooth + edge * (1 - 2 * (k % 2)) + shift + rng.normal(0, 10, (h, w)), 0, 255))
        a = np.stack(planes, axis=2).astype(np.uint8)
        return a[..., 0] if channels == 1 else a

    inputs = {}
    for name, w, h, ch in [("grey_61x37", 61, 37, 1), ("rgb_61x37", 61, 37, 3), ("grey_1x1", 1, 1, 1),
                           ("rgb_17x9", 17, 9, 3)]:
        a = source(w, h, ch)
        fname = f"jpegw_src_{name}.bin"
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(a.tobytes())
        inputs[name] = (fname, a)

    specs = [("grey_61x37", q, None) for q in (75, 90, 95)]
    specs += [("rgb_61x37", q, s) for q in (75, 90, 95) for s in (0, 1, 2)]
    specs += [("grey_61x37", None, None), ("rgb_61x37", None, None), ("rgb_61x37", 90, None),
              ("grey_61x37", 1, None), ("rgb_61x37", 100, 0), ("grey_1x1", 75, None), ("rgb_17x9", 80, 1),
              ("rgb_17x9", 50, 2)]
    for src, q, s in specs:
        fname, a = inputs[src]
        kw = {}
        if q is not None:
            kw["quality"] = q
        if s is not None:
            kw["subsampling"] = s
        b = io.BytesIO()
        Image.fromarray(a).save(b, "JPEG", **kw)
        data = b.getvalue()
        tag = "_".join([src, "qdef" if q is None else f"q{q}"] + ([] if a.ndim == 2 else ["sdef" if s is None else f"s{s}"]))
        name = f"jpegw_{tag}.jpg"
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        dec = np.array(Image.open(io.BytesIO(data)))
        cases.append({"file": name, "source": fname, "width": a.shape[1], "height": a.shape[0],
                      "channels": 1 if a.ndim == 2 else 3, "quality": q, "subsampling": s,
                      "sha256": hashlib.sha256(data).hexdigest(), "decoded_sha256": sha(dec),
                      "note": f"PIL save {kw}"})
    return cases


def jpeg_write_real():
    """Hashes of PIL's JPEG bytes for the first PNG under ../shared/data/lungs (the file is never copied)."""
    images = os.path.join(SHARED, "lungs", "images")
    if not os.path.isdir(images):
        return []
    names = sorted(n for n in os.listdir(images) if n.endswith(".png"))
    if not names:
        return []
    rel = f"lungs/images/{names[0]}"
    im = Image.open(os.path.join(SHARED, rel))
    im.load()
    out = []
    for mode, q, s in [(im.mode, 75, None), (im.mode, 95, None), ("RGB", 75, None), ("RGB", 90, 0)]:
        src = im if mode == im.mode else im.convert(mode)
        kw = {"quality": q}
        if s is not None:
            kw["subsampling"] = s
        b = io.BytesIO()
        src.save(b, "JPEG", **kw)
        data = b.getvalue()
        out.append({"path": rel, "source_mode": im.mode, "mode": mode, "width": im.width, "height": im.height,
                    "quality": q, "subsampling": s, "length": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                    "note": f"PIL convert({mode!r}).save JPEG {kw}"})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    pngs = png_cases()
    jpegs, grey, rgb = jpeg_cases()
    with open(os.path.join(OUT, "jpeg_source_grey.bin"), "wb") as f:
        f.write(grey.tobytes())
    with open(os.path.join(OUT, "jpeg_source_rgb.bin"), "wb") as f:
        f.write(rgb.tobytes())
    doc = {"png": pngs, "jpeg": jpegs, "jpeg_source": {"width": grey.shape[1], "height": grey.shape[0]},
           "real_png": real_pngs()}
    with open(os.path.join(OUT, "codecs.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(f"{len(pngs)} png, {len(jpegs)} jpeg, {len(doc['real_png'])} real png")
    wcases = jpeg_write_cases()
    wreal = jpeg_write_real()
    with open(os.path.join(OUT, "jpeg_write.json"), "w") as f:
        json.dump({"pil_version": Image.__version__, "cases": wcases, "real": wreal}, f, indent=1)
    print(f"{len(wcases)} jpeg write cases, {len(wreal)} real jpeg write cases")


if __name__ == "__main__":
    main()
