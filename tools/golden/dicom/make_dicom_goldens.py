#!/usr/bin/python3
"""Golden values and a small synthetic DICOM corpus for tests/Thorax.Dicom.Tests.

Run from the repository root:  /usr/bin/python3 tools/golden/dicom/make_dicom_goldens.py
Needs python3-pydicom, python3-numpy, python3-pil and dcmtk (dcmconv, dcmcrle, dcmcjpls, dcmcjpeg and their
decompressors). Writes:
  tests/data/golden/dicom/siim_info.json   pydicom's header values + stored-value stats/sha256 for ../shared/data/siim
  tests/data/golden/dicom/corpus/*.dcm      synthetic images (numpy seed 1234) in many transfer syntaxes
  tests/data/golden/dicom/corpus.json       per file: syntax, geometry, per-frame sha256 of stored values
The stored-value sha256 is over frame values row-major little endian, 1 byte per value for BitsAllocated 8, 2 for 16.
For lossless files the expected hash is that of the source array, and the script checks that dcmtk's decompressor
(read back with pydicom's numpy handler) reproduces it. For the lossy JPEG baseline file it is dcmdjpeg's output,
checked against pydicom's Pillow handler.
"""
import hashlib
import json
import pathlib
import subprocess
import tempfile

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
import io
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[3]
SIIM = ROOT.parent / "shared" / "data" / "siim"
OUT = ROOT / "tests" / "data" / "golden" / "dicom"
CORPUS = OUT / "corpus"
UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's example root; fixed suffixes keep files reproducible


def sha_of(arr, bits_allocated):
    dt = "<u1" if bits_allocated == 8 else "<u2"
    if arr.dtype.kind == "i":
        dt = dt.replace("u", "i")
    return hashlib.sha256(np.ascontiguousarray(arr).astype(dt).tobytes()).hexdigest()


def run(*args):
    subprocess.run(list(map(str, args)), check=True, capture_output=True)


def siim_info():
    rows = []
    for path in sorted(SIIM.glob("*.dcm")):
        ds = pydicom.dcmread(str(path))
        arr = ds.pixel_array  # Pillow (libjpeg) handler
        with tempfile.TemporaryDirectory() as td:
            raw = pathlib.Path(td) / "raw.dcm"
            run("dcmdjpeg", path, raw)
            arr2 = pydicom.dcmread(str(raw)).pixel_array
        assert (arr == arr2).all(), f"pydicom/Pillow and dcmdjpeg disagree for {path.name}"
        rows.append({
            "file": path.name,
            "patient_id": str(ds.PatientID),
            "study_instance_uid": str(ds.StudyInstanceUID),
            "series_instance_uid": str(ds.SeriesInstanceUID),
            "sop_instance_uid": str(ds.SOPInstanceUID),
            "sop_class_uid": str(ds.SOPClassUID),
            "modality": str(ds.Modality),
            "view_position": str(ds.get("ViewPosition", "")),
            "body_part_examined": str(ds.get("BodyPartExamined", "")),
            "patient_sex": str(ds.get("PatientSex", "")),
            "patient_age": str(ds.get("PatientAge", "")),
            "transfer_syntax_uid": str(ds.file_meta.TransferSyntaxUID),
            "rows": int(ds.Rows), "columns": int(ds.Columns),
            "bits_allocated": int(ds.BitsAllocated), "bits_stored": int(ds.BitsStored),
            "photometric_interpretation": str(ds.PhotometricInterpretation),
            "pixel_spacing": [float(v) for v in ds.PixelSpacing],
            "min": int(arr.min()), "max": int(arr.max()), "mean": float(arr.mean()),
            "pixel_sha256": sha_of(arr, int(ds.BitsAllocated)),
        })
    return rows


def synthetic(rows, cols, bits, signed, seed, frames=1):
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    out = []
    for f in range(frames):
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        base = lo + (hi - lo) * (0.15 + 0.6 * np.exp(-(((x - cols / 2) / (cols / 3)) ** 2 + ((y - rows / 2) / (rows / 2.5)) ** 2)))
        base = base + (hi - lo) * 0.05 * np.sin(x / 3.0 + f)
        img = np.clip(base + rng.normal(0, (hi - lo) * 0.02, size=base.shape), lo, hi).round()
        img[0, 0], img[-1, -1] = lo, hi  # full range present
        out.append(img.astype(np.int32))
    return np.stack(out) if frames > 1 else out[0]


def write_native(path, arr, bits_stored, signed, bits_allocated=16, photometric="MONOCHROME2", extra=None, charset=None,
                 frames=1, name="Doe^Jane", suffix="1"):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = UID_ROOT + "9." + suffix
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_ROOT + "1"
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = UID_ROOT + "2." + suffix
    ds.SeriesInstanceUID = UID_ROOT + "3." + suffix
    ds.Modality = "DX"
    ds.PatientName = name
    ds.PatientID = "SYN-" + suffix
    ds.ViewPosition = "PA"
    ds.ImageLaterality = "U"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = arr.shape[-2], arr.shape[-1]
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_allocated, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelSpacing = [0.139, 0.139]
    ds.ImagerPixelSpacing = [0.15, 0.15]
    # A private block and a nested sequence, which every transcode must keep.
    ds.add_new(0x00090010, "LO", "THORAX TEST")
    ds.add_new(0x00091010, "LO", "private value")
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "T-D3000", "SRT", "Chest"
    ds.add_new(0x00082218, "SQ", Sequence([item]))  # Anatomic Region Sequence
    for k, v in (extra or {}).items():
        setattr(ds, k, v)
    dt = ("<i" if signed else "<u") + ("1" if bits_allocated == 8 else "2")
    ds.PixelData = np.ascontiguousarray(arr).astype(dt).tobytes()
    ds.save_as(str(path), write_like_original=False)
    return ds


def decompressed_frames(path, tool):
    with tempfile.TemporaryDirectory() as td:
        raw = pathlib.Path(td) / "raw.dcm"
        if tool:
            run(tool, path, raw)
        else:
            raw = path
        ds = pydicom.dcmread(str(raw))
        arr = ds.pixel_array
        n = int(ds.get("NumberOfFrames", 1))
        return [arr] if n == 1 else [arr[i] for i in range(n)]


def corpus():
    CORPUS.mkdir(parents=True, exist_ok=True)
    for old in CORPUS.glob("*.dcm"):
        old.unlink()
    entries = []

    def add(name, source_frames, ba, signed, tool=None, lossy_expected=None):
        path = CORPUS / name
        ds = pydicom.dcmread(str(path))
        if lossy_expected is None:
            back = decompressed_frames(path, tool)
            for a, b in zip(source_frames, back):
                assert (np.asarray(a) == np.asarray(b)).all(), f"{name}: dcmtk/pydicom disagree with the source"
            hashes = [sha_of(np.asarray(f), ba) for f in source_frames]
        else:
            hashes = [sha_of(np.asarray(f), ba) for f in lossy_expected]
        entries.append({
            "file": name, "transfer_syntax_uid": str(ds.file_meta.TransferSyntaxUID),
            "rows": int(ds.Rows), "columns": int(ds.Columns), "frames": len(source_frames),
            "bits_allocated": ba, "bits_stored": int(ds.BitsStored), "signed": signed,
            "photometric_interpretation": str(ds.PhotometricInterpretation),
            "frame_sha256": hashes,
        })

    # 12-bit unsigned, 16 allocated: the reference file and every transcode of it.
    img12 = synthetic(64, 80, 12, False, 1234)
    extra = {"WindowCenter": ["2048", "1000"], "WindowWidth": ["4096", "500"], "RescaleSlope": "1", "RescaleIntercept": "0"}
    write_native(CORPUS / "u12_explicit_le.dcm", img12, 12, False, extra=extra, charset="ISO_IR 100", name="Müller^Zoë")
    add("u12_explicit_le.dcm", [img12], 16, False)
    for name, flag in (("u12_implicit_le.dcm", "+ti"), ("u12_explicit_be.dcm", "+tb"), ("u12_deflated.dcm", "+td")):
        run("dcmconv", flag, CORPUS / "u12_explicit_le.dcm", CORPUS / name)
        add(name, [img12], 16, False, tool="dcmconv")
    run("dcmcrle", CORPUS / "u12_explicit_le.dcm", CORPUS / "u12_rle.dcm")
    add("u12_rle.dcm", [img12], 16, False, tool="dcmdrle")
    run("dcmcjpls", CORPUS / "u12_explicit_le.dcm", CORPUS / "u12_jpegls.dcm")
    add("u12_jpegls.dcm", [img12], 16, False, tool="dcmdjpls")
    run("dcmcjpeg", "+e1", CORPUS / "u12_explicit_le.dcm", CORPUS / "u12_jpeg_sv1.dcm")
    add("u12_jpeg_sv1.dcm", [img12], 16, False, tool="dcmdjpeg")
    for sv in (2, 4, 6, 7):
        name = f"u12_jpeg_lossless_sv{sv}.dcm"
        run("dcmcjpeg", "+el", "+sv", sv, CORPUS / "u12_explicit_le.dcm", CORPUS / name)
        add(name, [img12], 16, False, tool="dcmdjpeg")

    # JPEG 2000 lossless (OpenJPEG through Pillow), wrapped by pydicom.
    ds = pydicom.dcmread(str(CORPUS / "u12_explicit_le.dcm"))
    buf = io.BytesIO()
    Image.fromarray(img12.astype(np.uint16), mode="I;16").save(buf, format="JPEG2000", irreversible=False, no_jp2=True)
    ds.PixelData = encapsulate([buf.getvalue()])
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
    ds.save_as(str(CORPUS / "u12_j2k.dcm"), write_like_original=False)
    back = np.array(Image.open(io.BytesIO(buf.getvalue())))
    assert (back == img12).all()
    entries.append({"file": "u12_j2k.dcm", "transfer_syntax_uid": "1.2.840.10008.1.2.4.90", "rows": 64, "columns": 80,
                    "frames": 1, "bits_allocated": 16, "bits_stored": 12, "signed": False,
                    "photometric_interpretation": "MONOCHROME2", "frame_sha256": [sha_of(img12, 16)]})

    # 16-bit full range, unsigned: RLE, JPEG-LS, JPEG lossless.
    img16 = synthetic(48, 40, 16, False, 99)
    write_native(CORPUS / "u16_explicit_le.dcm", img16, 16, False, suffix="16")
    add("u16_explicit_le.dcm", [img16], 16, False)
    run("dcmcrle", CORPUS / "u16_explicit_le.dcm", CORPUS / "u16_rle.dcm")
    add("u16_rle.dcm", [img16], 16, False, tool="dcmdrle")
    run("dcmcjpls", CORPUS / "u16_explicit_le.dcm", CORPUS / "u16_jpegls.dcm")
    add("u16_jpegls.dcm", [img16], 16, False, tool="dcmdjpls")
    run("dcmcjpeg", "+e1", CORPUS / "u16_explicit_le.dcm", CORPUS / "u16_jpeg_sv1.dcm")
    add("u16_jpeg_sv1.dcm", [img16], 16, False, tool="dcmdjpeg")

    # Signed 12-bit with CT-style rescale, native and RLE.
    s12 = synthetic(40, 48, 12, True, 7)
    write_native(CORPUS / "s12_explicit_le.dcm", s12, 12, True, suffix="12",
                 extra={"RescaleSlope": "1", "RescaleIntercept": "-1024", "WindowCenter": "40", "WindowWidth": "400"})
    add("s12_explicit_le.dcm", [s12], 16, True)
    run("dcmcrle", CORPUS / "s12_explicit_le.dcm", CORPUS / "s12_rle.dcm")
    add("s12_rle.dcm", [s12], 16, True, tool="dcmdrle")

    # 8-bit MONOCHROME1 with UTF-8 names; native, RLE, JPEG baseline (lossy: expected = dcmdjpeg output).
    u8 = synthetic(56, 72, 8, False, 5)
    write_native(CORPUS / "u8_mono1_utf8.dcm", u8, 8, False, bits_allocated=8, photometric="MONOCHROME1",
                 charset="ISO_IR 192", name="José^Γιάννης", suffix="8")
    add("u8_mono1_utf8.dcm", [u8], 8, False)
    run("dcmcrle", CORPUS / "u8_mono1_utf8.dcm", CORPUS / "u8_rle.dcm")
    add("u8_rle.dcm", [u8], 8, False, tool="dcmdrle")
    run("dcmcjpeg", "+eb", CORPUS / "u8_mono1_utf8.dcm", CORPUS / "u8_jpeg_baseline.dcm")
    lossy = decompressed_frames(CORPUS / "u8_jpeg_baseline.dcm", "dcmdjpeg")
    pil = decompressed_frames(CORPUS / "u8_jpeg_baseline.dcm", None)
    assert all((a == b).all() for a, b in zip(lossy, pil)), "dcmdjpeg and Pillow disagree on baseline"
    add("u8_jpeg_baseline.dcm", [u8], 8, False, lossy_expected=lossy)

    # Multi-frame: 3 frames of 32x24 12-bit; RLE with offset table, JPEG-LS, JPEG lossless without offset table.
    mf = synthetic(32, 24, 12, False, 11, frames=3)
    write_native(CORPUS / "mf3_explicit_le.dcm", mf, 12, False, frames=3, suffix="3")
    add("mf3_explicit_le.dcm", list(mf), 16, False)
    run("dcmcrle", "+ot", CORPUS / "mf3_explicit_le.dcm", CORPUS / "mf3_rle.dcm")
    add("mf3_rle.dcm", list(mf), 16, False, tool="dcmdrle")
    run("dcmcjpls", CORPUS / "mf3_explicit_le.dcm", CORPUS / "mf3_jpegls.dcm")
    add("mf3_jpegls.dcm", list(mf), 16, False, tool="dcmdjpls")
    run("dcmcjpeg", "+e1", "-ot", CORPUS / "mf3_explicit_le.dcm", CORPUS / "mf3_jpeg_sv1_no_bot.dcm")
    add("mf3_jpeg_sv1_no_bot.dcm", list(mf), 16, False, tool="dcmdjpeg")

    # Preamble-less: the file meta group starts at byte 0.
    raw = (CORPUS / "u12_explicit_le.dcm").read_bytes()
    (CORPUS / "u12_no_preamble.dcm").write_bytes(raw[132:])
    e = dict(entries[0]); e["file"] = "u12_no_preamble.dcm"; entries.append(e)
    return entries


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if SIIM.is_dir():
        (OUT / "siim_info.json").write_text(json.dumps(siim_info(), indent=1) + "\n")
    (OUT / "corpus.json").write_text(json.dumps(corpus(), indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
