#!/usr/bin/python3
"""Goldens for 12-bit lossy JPEG (JPEG Extended, process 2 & 4, 1.2.840.10008.1.2.4.51) decoding.

Run from the repository root:  /usr/bin/python3 tools/golden/dicom/make_jpeg12_goldens.py
Needs python3-pydicom, python3-numpy and dcmtk (dcmcjpeg, dcmdjpeg). Writes tests/data/golden/dicom/jpeg12/:
  *.dcm         12-bit MONOCHROME2 images (BitsAllocated 16) encoded by `dcmcjpeg +ee` (SOF1, 12-bit precision,
                optimised Huffman tables); inputs are generated deterministically (numpy seeds below)
  *_restart.dcm the same JPEG coefficients re-entropy-coded here with a restart interval (DRI + RSTn markers),
                because dcmcjpeg has no restart option; dcmdjpeg must decode it to exactly the same values
  jpeg12.json   per file: geometry, quality, per-frame SHA-256 of dcmdjpeg's stored values (uint16 little endian,
                row-major) and, for small frames, the name of a raw little-endian uint16 file holding those values
dcmdjpeg decodes with dcmtk's bundled IJG 6b compiled for 12-bit samples and the default (ISLOW, accurate integer)
IDCT, so the goldens are what libjpeg's 12-bit ISLOW path produces.
"""
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_dicom_goldens import synthetic, write_native  # noqa: E402  (shared generators, seeds fixed there)

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUT = ROOT / "tests" / "data" / "golden" / "dicom" / "jpeg12"
RAW_LIMIT = 16 * 1024  # keep raw golden value files for frames up to this many bytes


# dcmdjpeg warns about every 12-in-16-bit YCbCr image; the conversion it then does is libjpeg's, which is what we want.
KNOWN_WARNING = "W: BitsStored < BitsAllocated for JPEG compressed image with YCbCr color model"


def run(*args):
    p = subprocess.run(list(map(str, args)), capture_output=True, text=True)
    stderr = "\n".join(line for line in p.stderr.splitlines() if line.strip() and not line.startswith(KNOWN_WARNING))
    if p.returncode != 0 or stderr:
        raise RuntimeError(f"{' '.join(map(str, args))} failed: rc={p.returncode} {p.stderr}")


def decoded_frames(path):
    """dcmdjpeg's stored values for every frame of path, as uint16 arrays."""
    with tempfile.TemporaryDirectory() as td:
        raw = pathlib.Path(td) / "raw.dcm"
        run("dcmdjpeg", path, raw)
        ds = pydicom.dcmread(str(raw))
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        arr = ds.pixel_array.astype(np.uint16)
        n = int(ds.get("NumberOfFrames", 1))
        return [arr] if n == 1 else [arr[i] for i in range(n)]


def jpeg_frames(path):
    ds = pydicom.dcmread(str(path))
    n = int(ds.get("NumberOfFrames", 1))
    return ds, list(generate_pixel_data_frame(ds.PixelData, n))


# ---- minimal baseline-Huffman re-coder (1 component, sequential) used only to add restart markers ----

ZIGZAG_LEN = 64


def segments(jpeg):
    """(marker, payload) pairs from SOI up to and including SOS, and the entropy-coded data after SOS."""
    assert jpeg[:2] == b"\xff\xd8"
    pos, segs = 2, []
    while True:
        assert jpeg[pos] == 0xFF
        marker = jpeg[pos + 1]
        length = (jpeg[pos + 2] << 8) | jpeg[pos + 3]
        segs.append((marker, jpeg[pos + 4:pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:
            end = jpeg.rindex(b"\xff\xd9")
            while jpeg[end - 1] == 0xFF:  # fill bytes before the EOI marker
                end -= 1
            return segs, jpeg[pos:end]


def parse_dht(payload):
    tables, p = {}, 0
    while p < len(payload):
        tc, th = payload[p] >> 4, payload[p] & 15
        counts = list(payload[p + 1:p + 17])
        values = list(payload[p + 17:p + 17 + sum(counts)])
        tables[(tc, th)] = (counts, values)
        p += 17 + sum(counts)
    return tables


def canonical_codes(counts, values):
    """value -> (code, length) per ITU T.81 Annex C."""
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


def unstuff_bits(data):
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0xFF:
            assert data[i + 1] == 0x00, "unexpected marker inside the scan"
            i += 1
        out.append(b)
        i += 1
    return "".join(f"{b:08b}" for b in out)


def decode_blocks(bits, nblocks, dc, ac):
    """Per block: absolute DC value and the AC symbol stream [(rs, extra_bits_string)]."""
    dec_dc = {(ln, c): v for v, (c, ln) in canonical_codes(*dc).items()}
    dec_ac = {(ln, c): v for v, (c, ln) in canonical_codes(*ac).items()}
    pos = 0

    def symbol(table):
        nonlocal pos
        code = 0
        for ln in range(1, 17):
            code = (code << 1) | int(bits[pos])
            pos += 1
            if (ln, code) in table:
                return table[(ln, code)]
        raise ValueError("bad Huffman code")

    def take(n):
        nonlocal pos
        s = bits[pos:pos + n]
        pos += n
        return s

    blocks, pred = [], 0
    for _ in range(nblocks):
        s = symbol(dec_dc)
        raw = take(s)
        diff = 0
        if s:
            v = int(raw, 2)
            diff = v if v >= 1 << (s - 1) else v - (1 << s) + 1
        pred += diff
        tokens, k = [], 1
        while k < 64:
            rs = symbol(dec_ac)
            r, s = rs >> 4, rs & 15
            tokens.append((rs, take(s)))
            if s:
                k += r + 1
            elif r == 15:
                k += 16
            else:
                break
        blocks.append((pred, tokens))
    return blocks


def add_restarts(jpeg, interval):
    """Re-codes a 1-component sequential JPEG with a restart interval of `interval` MCUs (blocks)."""
    segs, scan = segments(jpeg)
    sof = next(p for m, p in segs if m in (0xC0, 0xC1))
    height, width, ncomp = (sof[1] << 8) | sof[2], (sof[3] << 8) | sof[4], sof[5]
    assert ncomp == 1 and sof[7] == 0x11
    sos = segs[-1][1]
    td, ta = sos[2] >> 4, sos[2] & 15
    tables = {}
    for m, p in segs:
        if m == 0xC4:
            tables.update(parse_dht(p))
    nblocks = ((width + 7) // 8) * ((height + 7) // 8)
    blocks = decode_blocks(unstuff_bits(scan), nblocks, tables[(0, td)], tables[(1, ta)])

    # DC table holding every category 0..15 (differences restart from 0 after each RST): 15 4-bit codes, one 5-bit.
    dc_counts = [0, 0, 0, 15, 1] + [0] * 11
    dc_values = list(range(16))
    dc_codes = canonical_codes(dc_counts, dc_values)
    ac_counts, ac_values = tables[(1, ta)]
    ac_codes = canonical_codes(ac_counts, ac_values)

    out = bytearray()
    acc = []

    def flush_bytes(pad):
        nonlocal acc
        if pad and len(acc) % 8:
            acc += ["1"] * (8 - len(acc) % 8)
        whole = len(acc) - len(acc) % 8
        for i in range(0, whole, 8):
            b = int("".join(acc[i:i + 8]), 2)
            out.append(b)
            if b == 0xFF:
                out.append(0x00)
        acc = acc[whole:]

    def put(code, length):
        if length:
            acc.extend(f"{code:0{length}b}")

    pred, rst = 0, 0
    for i, (dcval, tokens) in enumerate(blocks):
        if i and i % interval == 0:
            flush_bytes(True)
            out += bytes([0xFF, 0xD0 + rst % 8])
            rst += 1
            pred = 0
        diff = dcval - pred
        pred = dcval
        s = abs(diff).bit_length()
        put(*dc_codes[s])
        if s:
            put(diff if diff > 0 else diff + (1 << s) - 1, s)
        for rs, extra in tokens:
            put(*ac_codes[rs])
            acc.extend(extra)
        if len(acc) > 4096:
            flush_bytes(False)
    flush_bytes(True)

    def seg(marker, payload):
        return bytes([0xFF, marker, (len(payload) + 2) >> 8, (len(payload) + 2) & 255]) + bytes(payload)

    result = bytearray(b"\xff\xd8")
    for m, p in segs[:-1]:
        if m != 0xC4:
            result += seg(m, p)
    dht = bytes([0x00 | td]) + bytes(dc_counts) + bytes(dc_values) + bytes([0x10 | ta]) + bytes(ac_counts) + bytes(ac_values)
    result += seg(0xC4, dht)
    result += seg(0xDD, bytes([interval >> 8, interval & 255]))
    result += seg(0xDA, sos) + out + b"\xff\xd9"
    return bytes(result)


def smooth_noisy(rows, cols, seed):
    return synthetic(rows, cols, 12, False, seed)


def hard_edges(rows, cols):
    """0/4095 checker of 5-pixel squares plus a ramp: maximal IDCT overshoot, so range limiting matters."""
    y, x = np.mgrid[0:rows, 0:cols]
    img = np.where(((x // 5) + (y // 5)) % 2 == 0, 0, 4095)
    img[rows // 2:, :] = (x[rows // 2:, :] * 4095 // max(cols - 1, 1))
    return img.astype(np.int32)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in list(OUT.glob("*.dcm")) + list(OUT.glob("*.u16")):
        old.unlink()
    entries = []

    def record(name, quality, source, note, raw_from=None):
        path = OUT / name
        ds, frames = jpeg_frames(path)
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.51", ds.file_meta.TransferSyntaxUID
        for f in frames:
            segs, _ = segments(f)
            sof = [(m, p) for m, p in segs if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC)]
            assert sof and sof[0][1][0] == 12, f"{name}: not a 12-bit precision JPEG"
            sof_marker = sof[0][0]
        values = decoded_frames(path)
        entry = {
            "file": name, "transfer_syntax_uid": str(ds.file_meta.TransferSyntaxUID),
            "rows": int(ds.Rows), "columns": int(ds.Columns), "frames": len(values),
            "bits_allocated": int(ds.BitsAllocated), "bits_stored": int(ds.BitsStored),
            "sof_marker": f"0x{sof_marker:02X}",
            "quality": quality, "note": note,
            "frame_sha256": [hashlib.sha256(v.astype("<u2").tobytes()).hexdigest() for v in values],
            "max_abs_error_vs_source": int(max(np.abs(v.astype(np.int64) - s.astype(np.int64)).max() for v, s in zip(values, source))),
        }
        if raw_from is not None:
            entry["raw_values"] = raw_from  # identical values (asserted by the caller)
        elif values[0].nbytes <= RAW_LIMIT:
            raw = name.replace(".dcm", ".u16")
            (OUT / raw).write_bytes(np.concatenate([v.ravel() for v in values]).astype("<u2").tobytes())
            entry["raw_values"] = raw
        entries.append(entry)
        return values

    def encode(name, img, quality, frames=1, suffix="40", rgb=False):
        native = OUT / ("native_" + name)
        if rgb:
            write_native(native, img[..., 0], 12, False, suffix=suffix)
            ds = pydicom.dcmread(str(native))
            ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
            ds.PixelData = np.ascontiguousarray(img).astype("<u2").tobytes()
            ds.save_as(str(native), write_like_original=False)
            # 4:4:4 YCbCr (YBR_FULL): the managed decoder does no upsampling.
            run("dcmcjpeg", "+ee", "+q", quality, "+un", "+s4", native, OUT / name)
        else:
            write_native(native, img, 12, False, frames=frames, suffix=suffix)
            run("dcmcjpeg", "+ee", "+q", quality, "+un", native, OUT / name)
        native.unlink()

    img = smooth_noisy(64, 80, 1201)
    encode("u12_ext_64x80.dcm", img, 90, suffix="41")
    record("u12_ext_64x80.dcm", 90, [img], "smooth gradient + noise, 64x80")

    img = smooth_noisy(256, 256, 1202)
    encode("u12_ext_256.dcm", img, 75, suffix="42")
    record("u12_ext_256.dcm", 75, [img], "smooth gradient + noise, 256x256")

    odd = smooth_noisy(61, 75, 1203)
    encode("u12_ext_61x75.dcm", odd, 85, suffix="43")
    plain = record("u12_ext_61x75.dcm", 85, [odd], "partial edge blocks: 61 rows x 75 columns")

    # Restart interval 7 blocks (does not divide the 10 blocks per row), re-coded from the file above.
    ds, frames = jpeg_frames(OUT / "u12_ext_61x75.dcm")
    ds.PixelData = encapsulate([add_restarts(frames[0], 7)])
    ds["PixelData"].is_undefined_length = True
    ds.save_as(str(OUT / "u12_ext_61x75_restart.dcm"), write_like_original=False)
    restarted = record("u12_ext_61x75_restart.dcm", 85, [odd], "u12_ext_61x75 re-coded with DRI 7 (RST0..RST7 cycle)",
                       raw_from="u12_ext_61x75.u16")
    assert all((a == b).all() for a, b in zip(plain, restarted)), "restart re-coding changed the decoded values"

    edges = hard_edges(40, 48)
    encode("u12_ext_edges_q100.dcm", edges, 100, suffix="44")
    record("u12_ext_edges_q100.dcm", 100, [edges], "hard 0/4095 edges at quality 100: range limiting")

    mf = synthetic(32, 24, 12, False, 1205, frames=2)
    encode("u12_ext_mf2.dcm", mf, 90, frames=2, suffix="45")
    record("u12_ext_mf2.dcm", 90, list(mf), "2 frames of 32x24")

    # Colour: 12-bit RGB coded as 4:4:4 YCbCr; dcmdjpeg (like TurboJpegCodec for 8-bit) converts back to RGB.
    rng = np.random.RandomState(1206)
    y, x = np.mgrid[0:24, 0:40]
    rgb = np.clip(np.stack([x * 100, y * 170, (x + y) * 60], -1) + rng.randint(0, 200, (24, 40, 3)), 0, 4095).astype(np.int32)
    encode("rgb12_ext_444.dcm", rgb, 90, suffix="46", rgb=True)
    record("rgb12_ext_444.dcm", 90, [rgb], "RGB 24x40 coded as YCbCr 4:4:4 (YBR_FULL); values are dcmdjpeg's RGB")

    (OUT / "jpeg12.json").write_text(json.dumps(entries, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
