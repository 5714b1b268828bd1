#!/usr/bin/python3
"""Golden data for `thorax convert` (tests/Thorax.Cli.Tests/ConvertCommandTests.cs).

Inputs
  * two DICOMs of the committed corpus, only read here: tests/data/golden/dicom/corpus/u12_explicit_le.dcm
    (MONOCHROME2, 12 bits stored, Window Center/Width [2048, 1000]/[4096, 500]) and u16_explicit_le.dcm
    (MONOCHROME2, 16 bits stored, no window);
  * small generated files written into tests/data/golden/cli/: mono1.dcm (MONOCHROME1, 12 bits stored, Rescale
    Slope 2 / Intercept -1000, windows [3000, 2001]/[4001, 701]), grey8.png, rgb8.png, grey16.png, grey_q90.jpg,
    rgb_q90.jpg.

Expected outputs: raw row-major little-endian samples, <case>.u8 (8-bit PNG) or <case>.u16 (16-bit PNG), listed with
their shape and sha256 in convert.json, with the sha256 of every input file (the tests check them, so a
regenerated corpus file is reported instead of failing as a pixel mismatch).

What the expected values reproduce (ConvertCommand -> XrayImage.ReadUnit -> Thorax.Dicom GrayscalePipeline):
  DICOM: modality LUT (pydicom apply_modality_lut) -> VOI -> clamp to [0, 1] -> 1 - v for MONOCHROME1, where VOI is
    * --normalize dataset (the default): pydicom apply_voi_lut with the file's first window (index 0), rescaled from
      pydicom's output range [y_min, y_max] to [0, 1]; without a window, the full range below;
    * --normalize full: (m - m_lo) / (m_hi - m_lo) over the modality values of 0 .. 2^BitsStored - 1;
    * --window C,W: pydicom apply_voi_lut with Window Center/Width replaced by C, W (LINEAR), rescaled to [0, 1].
  PNG 8-bit grey: v / 255; colour PNG/JPEG: PIL's convert("L") first (ITU-R 601 luma, 16-bit fixed point);
  16-bit grey PNG: v / 65535. JPEGs are decoded as PIL decodes them (ISLOW IDCT, fancy upsampling).
  The [0, 1] value is cast to float32 and written as round_half_even(v * 255) (8-bit) or round_half_even(v * 65535)
  (16-bit) in float32 arithmetic, as ConvertCommand does (MathF.Round).
The script refuses inputs where changing a value by 1e-12 changes an output sample, so float64 rounding differences between
pydicom's formula and the C# one cannot flip an output value; the tests then compare exactly.

Run: /usr/bin/python3 tools/golden/cli/make_convert_goldens.py   (from anywhere)
"""
import copy
import hashlib
import json
import os

import cv2
import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "data", "golden", "dicom", "corpus")
OUT = os.path.join(ROOT, "tests", "data", "golden", "cli")

F255 = np.float32(255)
F65535 = np.float32(65535)


def sha(a):
    a = np.ascontiguousarray(a)
    if a.dtype == np.uint16:
        a = a.astype("<u2")
    return hashlib.sha256(a.tobytes()).hexdigest()


# ----------------------------------------------------------------------------------------------- generated inputs

def make_mono1(path):
    """24x32 MONOCHROME1, 12 of 16 bits, rescale 2x - 1000, two windows; samples cover 0..4095 incl. both ends."""
    rng = np.random.default_rng(20240601)
    rows, cols = 24, 32
    y, x = np.mgrid[0:rows, 0:cols]
    ramp = (x * 4095 // (cols - 1)).astype(np.int64)
    noise = rng.integers(0, 4096, size=(rows, cols))
    arr = np.where(y % 3 == 0, ramp, noise).astype(np.uint16)
    arr[0, 0], arr[0, -1], arr[-1, 0] = 0, 4095, 2000

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.77.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.1"
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.PatientID = "SYN-CLI-MONO1"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleSlope = "2"
    ds.RescaleIntercept = "-1000"
    ds.WindowCenter = ["3000", "4001"]
    ds.WindowWidth = ["2001", "701"]
    ds.PixelData = arr.astype("<u2").tobytes()
    ds.save_as(path, write_like_original=False)


def make_images():
    rng = np.random.default_rng(7)
    h, w = 20, 30
    y, x = np.mgrid[0:h, 0:w]
    grey8 = np.clip(x * 255 // (w - 1) + rng.integers(-20, 21, size=(h, w)) * (y % 2), 0, 255).astype(np.uint8)
    grey8[0, 0], grey8[0, 1] = 0, 255
    Image.fromarray(grey8, "L").save(os.path.join(OUT, "grey8.png"))

    rgb = np.stack([grey8, np.flipud(grey8), (x * 8 + y * 5).astype(np.uint8)], axis=-1)
    Image.fromarray(rgb, "RGB").save(os.path.join(OUT, "rgb8.png"))

    grey16 = ((x * 65535 // (w - 1)) ^ (y * 1237)).astype(np.uint16)
    grey16[0, 0], grey16[0, 1] = 0, 65535
    assert cv2.imwrite(os.path.join(OUT, "grey16.png"), grey16)
    back = cv2.imread(os.path.join(OUT, "grey16.png"), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint16 and np.array_equal(back, grey16), "16-bit PNG did not round-trip through PIL"

    Image.fromarray(grey8, "L").save(os.path.join(OUT, "grey_q90.jpg"), quality=90)
    Image.fromarray(rgb, "RGB").save(os.path.join(OUT, "rgb_q90.jpg"), quality=90)
    return grey8, rgb, grey16


# ----------------------------------------------------------------------------------------------- reference rendering

def pydicom_output_range(ds):
    """[y_min, y_max] of pydicom's apply_windowing output (it maps the window onto this range)."""
    if ds.PixelRepresentation == 0:
        lo, hi = 0.0, float(2 ** ds.BitsStored - 1)
    else:
        lo, hi = float(-(2 ** (ds.BitsStored - 1))), float(2 ** (ds.BitsStored - 1) - 1)
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        s, b = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        lo, hi = lo * s + b, hi * s + b
    return lo, hi


def modality_range(ds):
    stored = np.array([0, 2 ** ds.BitsStored - 1] if ds.PixelRepresentation == 0
                      else [-(2 ** (ds.BitsStored - 1)), 2 ** (ds.BitsStored - 1) - 1], dtype=np.float64)
    m = np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)
    return float(m.min()), float(m.max())


def render_dicom(path, normalize="dataset", window=None):
    """[0, 1] float64 presentation values, as ConvertCommand defines them (see module docstring)."""
    ds = pydicom.dcmread(path)
    modality = np.asarray(apply_modality_lut(ds.pixel_array, ds), dtype=np.float64)
    if window is not None or (normalize == "dataset" and "WindowCenter" in ds):
        w = copy.deepcopy(ds)
        if window is not None:
            w.WindowCenter, w.WindowWidth = window
            if "VOILUTFunction" in w:
                del w.VOILUTFunction
        y_lo, y_hi = pydicom_output_range(w)
        v = (np.asarray(apply_voi_lut(modality.copy(), w, index=0), dtype=np.float64) - y_lo) / (y_hi - y_lo)
        # independent check: PS3.3 C.11.2.1.2.1 LINEAR straight onto [0, 1]
        c = float(w.WindowCenter[0] if w["WindowCenter"].VM > 1 else w.WindowCenter)
        ww = float(w.WindowWidth[0] if w["WindowWidth"].VM > 1 else w.WindowWidth)
        ref = np.where(modality <= c - 0.5 - (ww - 1) / 2, 0.0,
                       np.where(modality > c - 0.5 + (ww - 1) / 2, 1.0, (modality - (c - 0.5)) / (ww - 1) + 0.5))
        assert np.abs(v - ref).max() < 1e-9, "pydicom window disagrees with PS3.3 LINEAR"
    else:
        lo, hi = modality_range(ds)
        v = (modality - lo) / (hi - lo)
    v = np.clip(v, 0.0, 1.0)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        v = 1.0 - v
    return v


def _quantize(v, bits):
    f = np.asarray(v, dtype=np.float64).astype(np.float32)
    scale = F255 if bits == 8 else F65535
    s = f * scale  # float32 product, as C#'s s[i] * 255f
    return np.clip(np.rint(s), 0, scale).astype(np.uint8 if bits == 8 else np.uint16)


def quantize(v, bits):
    """ConvertCommand's To8/To16; refuses inputs where a 1e-12 change of v (far above float64 rounding
    differences between two implementations of the same formula) would change an output sample."""
    q = _quantize(v, bits)
    for d in (-1e-12, 1e-12):
        assert np.array_equal(q, _quantize(np.clip(np.asarray(v, np.float64) + d, 0, 1), bits)), \
            "a sample sits on a rounding edge; pick another window"
    return q


# ----------------------------------------------------------------------------------------------- main

def main():
    os.makedirs(OUT, exist_ok=True)
    mono1 = os.path.join(OUT, "mono1.dcm")
    make_mono1(mono1)
    grey8, rgb, grey16 = make_images()
    u12 = os.path.join(CORPUS, "u12_explicit_le.dcm")
    u16 = os.path.join(CORPUS, "u16_explicit_le.dcm")

    cases = {}

    def add(name, arr, bits, **info):
        ext = "u8" if bits == 8 else "u16"
        a = np.ascontiguousarray(arr, dtype=np.uint8 if bits == 8 else "<u2")
        with open(os.path.join(OUT, f"{name}.{ext}"), "wb") as f:
            f.write(a.tobytes())
        cases[name] = dict(file=f"{name}.{ext}", bits=bits, height=int(a.shape[0]), width=int(a.shape[1]),
                           sha256=sha(a), min=int(a.min()), max=int(a.max()), **info)

    # corpus u12: default = file's first window (2048/4096 LINEAR), second window via --window, full range
    add("u12_default_8", quantize(render_dicom(u12), 8), 8, input="corpus:u12_explicit_le.dcm", args=[])
    add("u12_default_16", quantize(render_dicom(u12), 16), 16, input="corpus:u12_explicit_le.dcm", args=["--bits", "16"])
    add("u12_window_1000_500_8", quantize(render_dicom(u12, window=(1000, 500)), 8), 8,
        input="corpus:u12_explicit_le.dcm", args=["--window", "1000,500"])
    add("u12_window_1000_500_16", quantize(render_dicom(u12, window=(1000, 500)), 16), 16,
        input="corpus:u12_explicit_le.dcm", args=["--window", "1000,500", "--bits", "16"])
    add("u12_full_8", quantize(render_dicom(u12, "full"), 8), 8, input="corpus:u12_explicit_le.dcm",
        args=["--normalize", "full"])
    # corpus u16: no window -> full range either way
    add("u16_default_8", quantize(render_dicom(u16), 8), 8, input="corpus:u16_explicit_le.dcm", args=[])
    add("u16_default_16", quantize(render_dicom(u16), 16), 16, input="corpus:u16_explicit_le.dcm", args=["--bits", "16"])
    # generated MONOCHROME1 with rescale
    add("mono1_default_8", quantize(render_dicom(mono1), 8), 8, input="cli:mono1.dcm", args=[])
    add("mono1_default_16", quantize(render_dicom(mono1), 16), 16, input="cli:mono1.dcm", args=["--bits", "16"])
    add("mono1_full_8", quantize(render_dicom(mono1, "full"), 8), 8, input="cli:mono1.dcm", args=["--normalize", "full"])
    add("mono1_window_neg_8", quantize(render_dicom(mono1, window=(-200.5, 3001)), 8), 8, input="cli:mono1.dcm",
        args=["--window=-200.5,3001"])
    # PNG / JPEG inputs
    add("grey8_png_8", quantize(grey8.astype(np.float32) / F255, 8), 8, input="cli:grey8.png", args=[])
    assert np.array_equal(quantize(grey8.astype(np.float32) / F255, 8), grey8), "8-bit PNG -> 8-bit PNG is the identity"
    rgb_l = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    add("rgb8_png_8", quantize(rgb_l.astype(np.float32) / F255, 8), 8, input="cli:rgb8.png", args=[])
    add("grey16_png_8", quantize(grey16.astype(np.float32) / F65535, 8), 8, input="cli:grey16.png", args=[])
    add("grey16_png_16", quantize(grey16.astype(np.float32) / F65535, 16), 16, input="cli:grey16.png",
        args=["--bits", "16"])
    jg = np.asarray(Image.open(os.path.join(OUT, "grey_q90.jpg")))
    assert jg.ndim == 2
    add("grey_jpg_8", quantize(jg.astype(np.float32) / F255, 8), 8, input="cli:grey_q90.jpg", args=[])
    jc = np.asarray(Image.open(os.path.join(OUT, "rgb_q90.jpg")).convert("L"))
    add("rgb_jpg_8", quantize(jc.astype(np.float32) / F255, 8), 8, input="cli:rgb_q90.jpg", args=[])

    inputs = {}
    for c in cases.values():
        kind, name = c["input"].split(":", 1)
        with open(os.path.join(CORPUS if kind == "corpus" else OUT, name), "rb") as f:
            inputs[c["input"]] = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "generator": "tools/golden/cli/make_convert_goldens.py",
        "inputs": inputs,
        "pydicom": pydicom.__version__,
        "numpy": np.__version__,
        "cases": cases,
    }
    with open(os.path.join(OUT, "convert.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
