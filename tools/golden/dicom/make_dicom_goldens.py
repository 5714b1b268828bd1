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
checked against pydicom's Pillow handler. edge_cases() adds sequences/items of undefined length and a CP-246 UN
element (checked value for value against a defined-length twin with pydicom), JPEG lossless selection values 1-7 in
8/12/16-bit, signed JPEG lossless/JPEG-LS, frames over several fragments with and without a Basic Offset Table, and
BitsStored 12 at HighBit 11/15 with random bits outside the stored field (expected: pydicom's raw samples reduced per
PS3.5 8.1.1). The lossy u8_jpeg_baseline.dcm keeps its source's SOP Instance UID (dcmcjpeg +un), so reruns are byte-identical.
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
                 frames=1, name="Doe^Jane", suffix="1", high_bit=None):
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
    ds.BitsAllocated, ds.BitsStored = bits_allocated, bits_stored
    ds.HighBit = bits_stored - 1 if high_bit is None else high_bit
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
    # JPEG-LS near-lossless (NEAR = 3, transfer syntax .81): expected values are dcmdjpls's decode, within 3 of the source.
    run("dcmcjpls", "+en", "+md", "3", "+un", CORPUS / "u12_explicit_le.dcm", CORPUS / "u12_jpegls_near3.dcm")
    near = decompressed_frames(CORPUS / "u12_jpegls_near3.dcm", "dcmdjpls")
    assert int(np.abs(np.asarray(near[0], np.int64) - np.asarray(img12, np.int64)).max()) <= 3, "near-lossless beyond NEAR"
    assert not (np.asarray(near[0]) == np.asarray(img12)).all(), "near-lossless file came out lossless"
    add("u12_jpegls_near3.dcm", [img12], 16, False, lossy_expected=near)
    run("dcmcjpeg", "+e1", CORPUS / "u12_explicit_le.dcm", CORPUS / "u12_jpeg_sv1.dcm")
    add("u12_jpeg_sv1.dcm", [img12], 16, False, tool="dcmdjpeg")
    for sv in (2, 3, 4, 5, 6, 7):
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

    # JPEG 2000 lossy (irreversible 9/7 wavelet, about 10:1; syntax .91): expected values are OpenJPEG's decode through
    # Pillow. The source is kept inside [256, 3839] so that ringing stays within the 12 stored bits.
    src91 = (256 + (img12.astype(np.int64) * 3583) // 4095).astype(np.uint16)
    ds = pydicom.dcmread(str(CORPUS / "u12_explicit_le.dcm"))
    buf = io.BytesIO()
    Image.fromarray(src91, mode="I;16").save(buf, format="JPEG2000", irreversible=True, quality_mode="rates",
                                             quality_layers=[10], no_jp2=True)
    ds.PixelData = encapsulate([buf.getvalue()])
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.91"
    ds.LossyImageCompression = "01"
    ds.save_as(str(CORPUS / "u12_j2k_lossy.dcm"), write_like_original=False)
    lossy91 = np.array(Image.open(io.BytesIO(buf.getvalue())))
    assert lossy91.min() >= 0 and lossy91.max() < 4096, "lossy J2K ringing left the 12 stored bits"
    assert not (lossy91 == src91).all() and int(np.abs(lossy91.astype(np.int64) - src91).max()) < 400
    entries.append({"file": "u12_j2k_lossy.dcm", "transfer_syntax_uid": "1.2.840.10008.1.2.4.91", "rows": 64, "columns": 80,
                    "frames": 1, "bits_allocated": 16, "bits_stored": 12, "signed": False,
                    "photometric_interpretation": "MONOCHROME2", "frame_sha256": [sha_of(lossy91, 16)]})

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
    run("dcmcjpeg", "+eb", "+un", CORPUS / "u8_mono1_utf8.dcm", CORPUS / "u8_jpeg_baseline.dcm")
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

    edge_cases(add, entries)
    return entries


def code_item(value, meaning, scheme="DCM"):
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def nested_sequences(undefined):
    """Sequence elements for the sequence-encoding files, as (tag, VR, value) in tag order. Three levels deep, an empty
    sequence, an empty item and private sequences. undefined=True marks a mix of sequences and items (not all) as
    undefined length, exercising every combination: undefined sequence with defined items, defined sequence with
    undefined items, both undefined, an empty undefined sequence and an empty undefined item."""
    def sq(items, und=False):
        s = Sequence(items)
        return s, und

    def item(ds, und=False):
        if und:
            ds.is_undefined_length_sequence_item = True
        return ds

    out = []
    # (0008,1110) Referenced Study Sequence: empty.
    out.append((0x00081110, "SQ", Sequence([]), undefined))
    # (0008,1115) Referenced Series Sequence: two items, each with (0008,1140) Referenced Image Sequence holding
    # items with (0040,A170) Purpose of Reference Code Sequence (third level).
    series_items = []
    for s in range(2):
        it = Dataset()
        it.SeriesInstanceUID = UID_ROOT + f"7.{s + 1}"
        images = []
        for i in range(2 + s):
            img = Dataset()
            if not (s == 1 and i == 2):  # the last item of the second series is empty
                img.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
                img.ReferencedSOPInstanceUID = UID_ROOT + f"8.{s + 1}.{i + 1}"
                img.ReferencedFrameNumber = str(i + 1)
                purpose = Sequence([item(code_item("121311", f"Localizer {s}.{i}"), und=undefined and (i % 2 == 0))])
                img.PurposeOfReferenceCodeSequence = purpose
                if undefined and i == 1:
                    img["PurposeOfReferenceCodeSequence"].is_undefined_length = True
            images.append(item(img, und=undefined and s == 1))
        it.ReferencedImageSequence = Sequence(images)
        if undefined and s == 1:
            it["ReferencedImageSequence"].is_undefined_length = True
        series_items.append(it)
    out.append((0x00081115, "SQ", Sequence(series_items), undefined))
    # (0009,1020) private sequence whose item has its own private block and a nested private sequence.
    inner = Dataset()
    inner.add_new(0x00110010, "LO", "THORAX NESTED")
    inner.add_new(0x00111001, "LO", "nested private")
    deeper = Dataset()
    deeper.add_new(0x00110010, "LO", "THORAX NESTED")
    deeper.add_new(0x00111001, "LO", "third level")
    inner.add_new(0x00111002, "SQ", Sequence([item(deeper, und=undefined)]))
    inner.CodeValue = "T-D3000"
    out.append((0x00091020, "SQ", Sequence([inner]), False))
    return out


def un_payload():
    """(0009,1030)'s items: two codes, the first with a nested (0008,0121) Equivalent Code Sequence of undefined
    length, the second with a private block. Returned as a Sequence."""
    first = code_item("T-D3000", "Chest", "SRT")
    eq = code_item("51185008", "Thorax", "SCT")
    eq.is_undefined_length_sequence_item = True
    first.EquivalentCodeSequence = Sequence([eq])
    second = code_item("113014", "Study")
    second.add_new(0x00110010, "LO", "THORAX NESTED")
    second.add_new(0x00111001, "LO", "inside UN")
    return Sequence([first, second])


def implicit_items(seq, undefined_items):
    """The items of seq encoded in implicit VR little endian, without the sequence delimiter (PS3.5 6.2.2: the
    value of a UN element of undefined length)."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset
    for it in seq:
        if undefined_items:
            it.is_undefined_length_sequence_item = True
    holder = Dataset()
    holder.add_new(0x00091030, "SQ", seq)
    holder[0x00091030].is_undefined_length = True
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, True
    write_dataset(fp, holder)
    raw = fp.getvalue()
    assert raw[4:8] == b"\xff" * 4 and raw[-8:] == b"\xfe\xff\xdd\xe0" + b"\0" * 4, raw[:16]
    return raw[8:-8]


def plain(ds):
    """Nested (keyword-free) value tree of a pydicom data set: {tag: bytes or [item trees]}; pixel data excluded."""
    out = {}
    for elem in ds:
        if elem.tag == 0x7FE00010:
            continue
        if elem.VR == "SQ":
            out[int(elem.tag)] = [plain(i) for i in elem.value]
        else:
            v = elem.value  # implicit VR private values come back as padded bytes
            out[int(elem.tag)] = v.decode("latin-1").rstrip(" \0") if isinstance(v, bytes) else str(v)
    return out


def high_bit_file(name, source, bits_stored, high_bit, signed, seed, suffix):
    """A native 16-bit file whose samples hold source at [high_bit - bits_stored + 1 .. high_bit] and random bits
    elsewhere. Expected stored values = source; checked against pydicom's raw pixel_array reduced per PS3.5 8.1.1."""
    rng = np.random.RandomState(seed)
    shift = high_bit + 1 - bits_stored
    field = (source.astype(np.int64) & ((1 << bits_stored) - 1)) << shift
    garbage = rng.randint(0, 1 << 16, size=source.shape) & ~(((1 << bits_stored) - 1) << shift) & 0xFFFF
    raw = (field | garbage).astype(np.uint16)
    assert (raw >> (high_bit + 1)).any() or high_bit == 15, "garbage must reach the bits above HighBit"
    assert shift == 0 or (raw & ((1 << shift) - 1)).any(), "garbage must reach the bits below the stored field"
    arr = raw.view(np.int16) if signed else raw
    write_native(CORPUS / name, arr, bits_stored, signed, suffix=suffix, high_bit=high_bit)
    got = pydicom.dcmread(str(CORPUS / name)).pixel_array.astype(np.int64) & 0xFFFF  # pydicom does not mask
    v = (got >> shift) & ((1 << bits_stored) - 1)
    if signed:
        v = np.where(v >= 1 << (bits_stored - 1), v - (1 << bits_stored), v)
    assert (v == source).all(), f"{name}: masked pydicom values differ from the source"
    assert not (got == (source.astype(np.int64) & 0xFFFF)).all(), f"{name}: raw samples should differ from the source"
    return v


def edge_cases(add, entries):
    """Files added for sequence encodings, more JPEG lossless predictors, frames over several fragments, signed
    lossless data and BitsStored/HighBit layouts. Everything is deterministic (fixed seeds and UIDs, dcmtk never
    assigns UIDs for lossless output)."""
    # JPEG lossless 8-bit (MONOCHROME1 source).
    u8 = pydicom.dcmread(str(CORPUS / "u8_mono1_utf8.dcm")).pixel_array
    run("dcmcjpeg", "+e1", CORPUS / "u8_mono1_utf8.dcm", CORPUS / "u8_jpeg_sv1.dcm")
    add("u8_jpeg_sv1.dcm", [u8], 8, False, tool="dcmdjpeg")
    for sv in (3, 7):
        name = f"u8_jpeg_lossless_sv{sv}.dcm"
        run("dcmcjpeg", "+el", "+sv", sv, CORPUS / "u8_mono1_utf8.dcm", CORPUS / name)
        add(name, [u8], 8, False, tool="dcmdjpeg")

    # Signed lossless: 16-bit full range and the 12-bit signed file through JPEG lossless and JPEG-LS.
    s16 = synthetic(48, 64, 16, True, 21)
    write_native(CORPUS / "s16_explicit_le.dcm", s16, 16, True, suffix="161")
    add("s16_explicit_le.dcm", [s16], 16, True)
    run("dcmcjpeg", "+e1", CORPUS / "s16_explicit_le.dcm", CORPUS / "s16_jpeg_sv1.dcm")
    add("s16_jpeg_sv1.dcm", [s16], 16, True, tool="dcmdjpeg")
    run("dcmcjpeg", "+el", "+sv", 5, CORPUS / "s16_explicit_le.dcm", CORPUS / "s16_jpeg_lossless_sv5.dcm")
    add("s16_jpeg_lossless_sv5.dcm", [s16], 16, True, tool="dcmdjpeg")
    run("dcmcjpls", CORPUS / "s16_explicit_le.dcm", CORPUS / "s16_jpegls.dcm")
    add("s16_jpegls.dcm", [s16], 16, True, tool="dcmdjpls")
    s12 = pydicom.dcmread(str(CORPUS / "s12_explicit_le.dcm")).pixel_array
    run("dcmcjpeg", "+e1", CORPUS / "s12_explicit_le.dcm", CORPUS / "s12_jpeg_sv1.dcm")
    add("s12_jpeg_sv1.dcm", [s12], 16, True, tool="dcmdjpeg")
    run("dcmcjpls", CORPUS / "s12_explicit_le.dcm", CORPUS / "s12_jpegls.dcm")
    add("s12_jpegls.dcm", [s12], 16, True, tool="dcmdjpls")

    # BitsStored 12 in 16 allocated with random bits outside the stored field: HighBit 11 (bits 12..15 set) and
    # HighBit 15 (field in the top 12 bits, bits 0..3 set); unsigned and signed.
    img = synthetic(48, 64, 12, False, 41)
    simg = synthetic(48, 64, 12, True, 42)
    for name, src, hb, signed, seed, suffix in (
            ("u12_hb11_garbage.dcm", img, 11, False, 51, "1211"), ("s12_hb11_garbage.dcm", simg, 11, True, 52, "1212"),
            ("u12_hb15.dcm", img, 15, False, 53, "1215"), ("s12_hb15.dcm", simg, 15, True, 54, "1216")):
        expected = high_bit_file(name, src, 12, hb, signed, seed, suffix)
        add(name, [expected], 16, signed, lossy_expected=[expected])

    # Multi-frame 64x48 12-bit, 3 frames, each frame compressed into several fragments (dcmtk: at most 1 KiB per
    # fragment; pydicom: 3 fragments per frame), with and without a Basic Offset Table.
    mf = synthetic(48, 64, 12, False, 61, frames=3)
    src = CORPUS / "mf3_64x48_explicit_le.dcm"
    write_native(src, mf, 12, False, frames=3, suffix="364")
    add(src.name, list(mf), 16, False)
    for name, tool, args, dec in (
            ("mf3_64x48_jpeg_sv1_frag_bot.dcm", "dcmcjpeg", ["+e1", "+fs", 1], "dcmdjpeg"),
            ("mf3_64x48_jpeg_sv1_frag_no_bot.dcm", "dcmcjpeg", ["+e1", "+fs", 1, "-ot"], "dcmdjpeg"),
            ("mf3_64x48_jpegls_frag_no_bot.dcm", "dcmcjpls", ["+fs", 1, "-ot"], "dcmdjpls")):
        run(tool, *args, src, CORPUS / name)
        add(name, list(mf), 16, False, tool=dec)
    codestreams = []
    for f in mf:
        buf = io.BytesIO()
        Image.fromarray(f.astype(np.uint16), mode="I;16").save(buf, format="JPEG2000", irreversible=False, no_jp2=True)
        assert (np.array(Image.open(io.BytesIO(buf.getvalue()))) == f).all()
        codestreams.append(buf.getvalue())
    for name, bot in (("mf3_64x48_j2k_frag_bot.dcm", True), ("mf3_64x48_j2k_frag_no_bot.dcm", False)):
        ds = pydicom.dcmread(str(src))
        ds.PixelData = encapsulate(codestreams, fragments_per_frame=3, has_bot=bot)
        ds["PixelData"].is_undefined_length = True
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
        ds.save_as(str(CORPUS / name), write_like_original=False)
        entries.append({"file": name, "transfer_syntax_uid": "1.2.840.10008.1.2.4.90", "rows": 48, "columns": 64,
                        "frames": 3, "bits_allocated": 16, "bits_stored": 12, "signed": False,
                        "photometric_interpretation": "MONOCHROME2", "frame_sha256": [sha_of(f, 16) for f in mf]})
    for name in ("mf3_64x48_jpeg_sv1_frag_bot.dcm", "mf3_64x48_jpeg_sv1_frag_no_bot.dcm",
                 "mf3_64x48_jpegls_frag_no_bot.dcm", "mf3_64x48_j2k_frag_bot.dcm", "mf3_64x48_j2k_frag_no_bot.dcm"):
        ds = pydicom.dcmread(str(CORPUS / name))
        from pydicom.encaps import generate_pixel_data_fragment, get_frame_offsets
        fp = pydicom.filebase.DicomBytesIO(ds.PixelData)
        fp.is_little_endian = True
        has_bot, offsets = get_frame_offsets(fp)
        frags = list(generate_pixel_data_fragment(fp))
        assert len(frags) >= 2 * 3, f"{name}: only {len(frags)} fragments for 3 frames"
        assert has_bot == name.endswith("_bot.dcm") and not name.endswith("no_bot.dcm") or \
            (not has_bot and name.endswith("no_bot.dcm")), f"{name}: offset table presence"
        # Without a table a frame is found by its codestream's start marker (JPEG SOI FFD8, J2K SOC+SIZ FF4FFF51):
        # exactly one fragment per frame may start with it.
        starts = [i for i, fr in enumerate(frags) if fr[:2] == b"\xff\xd8" or fr[:4] == b"\xff\x4f\xff\x51"]
        assert len(starts) == 3 and starts[0] == 0, f"{name}: frame starts at fragments {starts}"

    # Sequences and items of defined and undefined length, and a UN element of undefined length (CP-246), with a
    # defined-length twin holding the same values.
    seq_img = synthetic(24, 32, 12, False, 71)

    def seq_file(name, undefined):
        write_native(CORPUS / name, seq_img, 12, False, suffix="71")
        ds = pydicom.dcmread(str(CORPUS / name))
        for tag, vr, value, und in nested_sequences(undefined):
            ds.add_new(tag, vr, value)
            ds[tag].is_undefined_length = und
        payload = un_payload()
        if undefined:
            ds.add_new(0x00091030, "UN", implicit_items(payload, undefined_items=False))
            ds[0x00091030].is_undefined_length = True
        else:
            ds.add_new(0x00091030, "SQ", payload)
        ds.save_as(str(CORPUS / name), write_like_original=False)

    seq_file("seq_defined_explicit_le.dcm", False)
    add("seq_defined_explicit_le.dcm", [seq_img], 16, False)
    seq_file("seq_mixed_un_explicit_le.dcm", True)
    add("seq_mixed_un_explicit_le.dcm", [seq_img], 16, False)
    run("dcmconv", "-e", CORPUS / "seq_defined_explicit_le.dcm", CORPUS / "seq_undefined_explicit_le.dcm")
    add("seq_undefined_explicit_le.dcm", [seq_img], 16, False)
    run("dcmconv", "+ti", "-e", CORPUS / "seq_defined_explicit_le.dcm", CORPUS / "seq_undefined_implicit_le.dcm")
    add("seq_undefined_implicit_le.dcm", [seq_img], 16, False, tool="dcmconv")
    # Every variant holds the twin's values (pydicom reads undefined-length UN as an implicit VR sequence).
    twin = plain(pydicom.dcmread(str(CORPUS / "seq_defined_explicit_le.dcm")))
    for name in ("seq_mixed_un_explicit_le.dcm", "seq_undefined_explicit_le.dcm", "seq_undefined_implicit_le.dcm"):
        raw = (CORPUS / name).read_bytes()
        assert raw.count(b"\xfe\xff\x0d\xe0\0\0\0\0") >= 3 and raw.count(b"\xfe\xff\xdd\xe0\0\0\0\0") >= 3, name
        assert plain(pydicom.dcmread(str(CORPUS / name))) == twin, f"{name}: values differ from the defined-length twin"
    assert b"UN\0\0\xff\xff\xff\xff" in (CORPUS / "seq_mixed_un_explicit_le.dcm").read_bytes()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if SIIM.is_dir():
        (OUT / "siim_info.json").write_text(json.dumps(siim_info(), indent=1) + "\n")
    (OUT / "corpus.json").write_text(json.dumps(corpus(), indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
