#!/usr/bin/env python3
"""Python side of `thorax bench imaging`: the same cases as src/Thorax.Cli/Bench/ImagingBench.cs with pydicom, OpenCV
and SciPy, printed as JSON {case: median_ms}. A case whose module is missing is left out (the CLI shows no peer value).
Run by the CLI with the same thread count (cv2.setNumThreads); with --per-core and --threads > 1 the OpenCV resize,
CLAHE, component and blur cases are repeated with cv2.setNumThreads(1) under keys ending in " 1 thread" (the CLI runs
the Thorax side on one thread for those rows; SciPy's gaussian_filter is single-threaded, so its one timing serves both
rows). Usable alone:
    /usr/bin/python3 tools/bench/imaging_bench.py --dicom ../shared/data/siim/X.dcm --threads 2 --repeats 5 --per-core
Inputs that are not the DICOM are made by integer formulas shared with the C# side, so both sides see the same pixels.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
from _timing import median_ms

ap = argparse.ArgumentParser()
ap.add_argument('--dicom', required=True, help='1024x1024 JPEG-baseline DICOM (SIIM)')
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--repeats', type=int, default=5)
ap.add_argument('--per-core', action='store_true', help='also time the OpenCV cases on one thread (" 1 thread" keys)')
a = ap.parse_args()

# Resize, CLAHE and component samples time batches of calls of at least 2 ms (ImagingBench.MinSampleMs).
MIN_SAMPLE_MS = 2.0


def try_import(name):
    try:
        return __import__(name)
    except ImportError as e:
        print(f'imaging_bench: {name} missing ({e}); its rows are left out', file=sys.stderr)
        return None


def components_mask(size=1024, cell=8):
    """8x8 blocks switched on by an integer hash of the block index (the C# side computes the same formula)."""
    by, bx = np.meshgrid(np.arange(size, dtype=np.int64) // cell, np.arange(size, dtype=np.int64) // cell, indexing='ij')
    return (((bx * 73856093) ^ (by * 19349663)) % 7 < 3).astype(np.uint8) * 255


def blur_input(size=2000):
    y, x = np.meshgrid(np.arange(size, dtype=np.int64), np.arange(size, dtype=np.int64), indexing='ij')
    return (((x * 31 + y * 17) % 255).astype(np.float32) / np.float32(255))


res = {}
pydicom = try_import('pydicom')
cv2 = try_import('cv2')
ndimage = None
try:
    from scipy import ndimage
except ImportError as e:
    print(f'imaging_bench: scipy missing ({e}); its rows are left out', file=sys.stderr)

img = None
if pydicom is not None:
    res['dicom decode jpeg 1024^2'] = median_ms(lambda: pydicom.dcmread(a.dicom).pixel_array, 1, a.repeats)
    img = np.ascontiguousarray(pydicom.dcmread(a.dicom).pixel_array.astype(np.uint8))

if cv2 is not None:
    if img is None:
        img = (np.arange(1024 * 1024, dtype=np.int64).reshape(1024, 1024) % 251).astype(np.uint8)
    mask = components_mask()
    runs = [(a.threads, '')] + ([(1, ' 1 thread')] if a.per_core and a.threads > 1 else [])
    for threads, suffix in runs:
        cv2.setNumThreads(threads)
        for size in (224, 512):
            for name, interp in (('linear', cv2.INTER_LINEAR), ('area', cv2.INTER_AREA)):
                res[f'resize 1024->{size} {name} u8{suffix}'] = median_ms(
                    lambda: cv2.resize(img, (size, size), interpolation=interp), 3, a.repeats * 4,
                    min_sample_ms=MIN_SAMPLE_MS)
        into512 = np.empty((512, 512), np.uint8)
        res[f'resize 1024->512 area u8 into{suffix}'] = median_ms(
            lambda: cv2.resize(img, (512, 512), dst=into512, interpolation=cv2.INTER_AREA), 3, a.repeats * 4,
            min_sample_ms=MIN_SAMPLE_MS)
        clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        res[f'clahe clip2 8x8 1024 u8{suffix}'] = median_ms(lambda: clahe.apply(img), 2, a.repeats * 2,
                                                          min_sample_ms=MIN_SAMPLE_MS)
        res[f'components 8-conn 1024^2{suffix}'] = median_ms(
            lambda: cv2.connectedComponentsWithStats(mask, connectivity=8), 2, a.repeats * 2,
            min_sample_ms=MIN_SAMPLE_MS)
    cv2.setNumThreads(a.threads)

if pydicom is not None and cv2 is not None:
    def model_input(size=224):
        """The CXLSeg input path: read + decode the DICOM, CLAHE (2.0, 8x8), bilinear resize, float32 in [0, 1]."""
        px = pydicom.dcmread(a.dicom).pixel_array.astype(np.uint8)
        eq = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(px)
        return cv2.resize(eq, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32) / np.float32(255)
    res['dicom -> model input 224 f32'] = median_ms(model_input, 1, a.repeats)

big = blur_input()
runs = [(a.threads, '')] + ([(1, ' 1 thread')] if a.per_core and a.threads > 1 else [])
if ndimage is not None:
    t = median_ms(lambda: ndimage.gaussian_filter(big, 150.0, mode='reflect', truncate=4.0), 0, max(1, min(a.repeats, 3)))
    # gaussian_filter is single-threaded whatever the thread count: one measurement serves both rows.
    for _, suffix in runs:
        res['gauss blur s150 2000^2 f32' + suffix] = t
if cv2 is not None:
    # cv2.GaussianBlur with a 1201-tap kernel takes seconds per call: timed once per thread count.
    for threads, suffix in runs:
        cv2.setNumThreads(threads)
        res['cv2 blur s150 2000^2 f32' + suffix] = median_ms(lambda: cv2.GaussianBlur(big, (0, 0), 150.0), 0, 1)
    cv2.setNumThreads(a.threads)

print(json.dumps(res))
