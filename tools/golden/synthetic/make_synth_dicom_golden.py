#!/usr/bin/python3
"""Checks that DICOM files written by `thorax synth` are read by dcmtk and pydicom, and commits the evidence.

Run once (with Debian's /usr/bin/python3: pydicom 2.3 with the Pillow JPEG handler; dcmtk: dcmdump, dcmdjpeg) after
building the CLI (`dotnet build src/Thorax.Cli -c Release`):

    /usr/bin/python3 tools/golden/synthetic/make_synth_dicom_golden.py

It runs `thorax synth` into a temporary folder, takes the first JPEG Baseline study stored MONOCHROME1 and the first
uncompressed 12-bit study from studies.csv, and writes to tests/data/golden/synthetic/:
  jpeg_baseline8.dcm, uncompressed12.dcm  the files as written by Thorax (64 x 64 px, a few KB);
  synth_dicom.json                        what dcmtk and pydicom report: the transfer syntax (dcmdump), pixel module
                                          and lossy-compression attributes (pydicom), and the SHA-256, minimum, maximum
                                          and mean of the stored values decoded by dcmtk (dcmdjpeg, then pydicom on the
                                          uncompressed result) and by pydicom directly (Pillow/libjpeg).
The C# tests (tests/Thorax.Synthetic.Tests/Writer/DicomInteropGoldenTests.cs) read the committed files with Thorax's
own DICOM reader and compare; the test suite never runs Python or dcmtk.
"""
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "synthetic")
CLI = os.path.join(ROOT, "src", "Thorax.Cli", "bin", "Release", "net10.0", "thorax.dll")
SYNTH_ARGS = ["--n", "12", "--size", "64", "--seed", "5", "--mono1-rate", "0.5", "--dicom", "mixed", "--jpeg-quality", "95"]


def dump_value(path, tag):
    """Value of one element as printed by dcmdump (UID numbers, not names)."""
    out = subprocess.run(["dcmdump", "-q", "-Un", "+P", tag, path], check=True, capture_output=True, text=True).stdout
    line = out.strip().splitlines()[0]
    return line.split("[", 1)[1].split("]", 1)[0]


def multi(ds, keyword):
    """All values of a possibly multi-valued element as strings ([] when absent)."""
    if keyword not in ds:
        return []
    value = ds[keyword].value
    return [str(v) for v in value] if isinstance(value, (list, pydicom.multival.MultiValue)) else [str(value)]


def stats(arr):
    arr = np.ascontiguousarray(arr.astype("<u2" if arr.dtype.itemsize == 2 else "u1"))
    return {"sha256": hashlib.sha256(arr.tobytes()).hexdigest(), "min": int(arr.min()), "max": int(arr.max()),
            "mean": round(float(arr.mean()), 6)}


def describe(path, work):
    ds = pydicom.dcmread(path)
    entry = {
        "transferSyntax": dump_value(path, "0002,0010"),
        "sopInstanceUid": str(ds.SOPInstanceUID),
        "photometric": str(ds.PhotometricInterpretation),
        "rows": int(ds.Rows), "columns": int(ds.Columns),
        "bitsAllocated": int(ds.BitsAllocated), "bitsStored": int(ds.BitsStored),
        "lossyImageCompression": str(ds.get("LossyImageCompression", "")),
        "lossyImageCompressionRatio": multi(ds, "LossyImageCompressionRatio"),
        "lossyImageCompressionMethod": multi(ds, "LossyImageCompressionMethod"),
        "pydicom": stats(ds.pixel_array),
    }
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        plain = os.path.join(work, os.path.basename(path) + ".dcmdjpeg.dcm")
        subprocess.run(["dcmdjpeg", path, plain], check=True)
        decoded = pydicom.dcmread(plain)
        entry["dcmtk"] = stats(decoded.pixel_array)
        entry["dcmtkVsPydicomMaxAbsDiff"] = int(np.abs(decoded.pixel_array.astype(int) - ds.pixel_array.astype(int)).max())
    else:
        entry["dcmtk"] = entry["pydicom"]  # native data: dcmdump parsed it; the values are the stored words
    return entry


def main():
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} not found; build it first: dotnet build src/Thorax.Cli -c Release")
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "synth")
        subprocess.run(["dotnet", CLI, "synth", "--out", data] + SYNTH_ARGS, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(data, "studies.csv"), newline="", encoding="utf-8") as f:
            studies = list(csv.DictReader(f))
        with open(os.path.join(data, "egd-cxr", "master_sheet.csv"), newline="", encoding="utf-8") as f:
            paths = {r["dicom_id"]: r["path"] for r in csv.DictReader(f)}

        def first(pred):
            for r in studies:
                if pred(r):
                    return r
            sys.exit("no study matched; change SYNTH_ARGS")

        picks = {
            "jpeg_baseline8.dcm": first(lambda r: r["encoding"] == "jpegbaseline8" and r["photometric"] == "MONOCHROME1"),
            "uncompressed12.dcm": first(lambda r: r["encoding"] == "uncompressed12"),
        }
        golden = {"command": "thorax synth " + " ".join(SYNTH_ARGS), "pydicom": pydicom.__version__,
                  "dcmtk": subprocess.run(["dcmdjpeg", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
                  "files": {}}
        for name, row in picks.items():
            target = os.path.join(OUT, name)
            shutil.copyfile(os.path.join(data, "mimic-cxr", paths[row["id"]]), target)
            entry = describe(target, work)
            entry["index"] = int(row["index"])
            entry["encoding"] = row["encoding"]
            golden["files"][name] = entry
    with open(os.path.join(OUT, "synth_dicom.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(golden, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
