#!/usr/bin/env python3
"""Python side of `thorax bench data`: the same cases as src/Thorax.Cli/Bench/DataBench.cs, printed as JSON
{case: median_ms}. Run by the CLI with the same thread count; usable alone:
    /usr/bin/python3 tools/bench/data_bench.py --rle ../shared/data/siim/train-rle.csv.gz \
        --pairs ../shared/data/lungs/pairs.csv --threads 2 --repeats 3
A case whose modules are missing (cv2, torch, sklearn) is left out; the CLI then shows no peer value for it.
  * SIIM RLE: csv module + the usual numpy rle2mask loop (relative starts, column-major, union of an image's rows),
    each mask made row-major like Thorax's DecodeUnion; stats add pixel count and bounding box per image.
  * loader: torch DataLoader, 2 workers, cv2 read + resize (linear image, nearest mask) + random flip + to tensor.
  * ROC AUC: sklearn.metrics.roc_auc_score on 1,000,000 random scores.
  * U-Net feed: the 4-level U-Net (widths 16..256, tools/bench/lungs_bench.py UNet) with Adam, one step per batch,
    from a pre-built batch and from the loader; the wait is the time spent in next(loader).
"""
import argparse
import csv
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
from _timing import median_ms

RLE_DECODE = 'rle decode 12k union masks 1024^2'
RLE_STATS = 'rle stats (pixels, bbox)'
LOADER = 'loader 256 imgs 512px, 2 workers'
AUC = 'roc_auc 1e6 scores'
STEP_PREBUILT = 'unet16 b8 step, pre-built batch'
STEP_FED = 'unet16 b8 step, loader-fed'
WAIT = 'loader wait per step (mean)'



def warn(what, e):
    print(f'data_bench: {what} skipped ({e})', file=sys.stderr)


# ---------------------------------------------------------------- SIIM RLE

def read_rle(path):
    opener = gzip.open if path.endswith('.gz') else open
    rows = {}
    with opener(path, 'rt', newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            if row:
                rows.setdefault(row[0].strip(), []).append(row[1].strip())
    return rows


def rle2mask(rle, flat):
    array = np.asarray([int(v) for v in rle.split()])
    starts, lengths = array[0::2], array[1::2]
    pos = 0
    for start, length in zip(starts, lengths):
        pos += start
        flat[pos:pos + length] = 1
        pos += length


def union_mask(rles, width=1024, height=1024):
    """Row-major (height, width) 0/1 mask; an image with only '-1' rows gets a fresh zero array without painting."""
    runs = [r for r in rles if r != '-1']
    if not runs:
        return np.zeros((height, width), np.uint8)
    flat = np.zeros(width * height, np.uint8)
    for rle in runs:
        rle2mask(rle, flat)
    return np.ascontiguousarray(flat.reshape(width, height).T)


def rle_decode_all(path):
    for rles in read_rle(path).values():
        union_mask(rles)


def rle_stats_all(path):
    out = {}
    for image_id, rles in read_rle(path).items():
        instances = sum(1 for r in rles if r != '-1')
        if instances == 0:
            out[image_id] = (len(rles), 0, 0, None)
            continue
        m = union_mask(rles)
        ys, xs = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
        out[image_id] = (len(rles), instances, int(m.sum(dtype=np.int64)), (ys[0], xs[0], ys[-1], xs[-1]))
    return out


# ---------------------------------------------------------------- loader + U-Net feed

def make_dataset_class(torch, cv2):
    class LungPairs(torch.utils.data.Dataset):
        def __init__(self, pairs_csv, size, limit=None):
            root = os.path.dirname(os.path.abspath(pairs_csv))
            with open(pairs_csv, newline='', encoding='utf-8-sig') as f:
                rows = list(csv.DictReader(f))
            self.items = [(os.path.join(root, r['image']), os.path.join(root, r['mask']), float(r['tb'])) for r in rows]
            if limit is not None:
                self.items = self.items[:limit]
            self.size = size

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            ip, mp, tb = self.items[i]
            img = cv2.imread(ip, cv2.IMREAD_GRAYSCALE)
            mask = cv2.imread(mp, cv2.IMREAD_GRAYSCALE)
            if img.shape != (self.size, self.size):
                img = cv2.resize(img, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
                mask = cv2.resize(mask, (self.size, self.size), interpolation=cv2.INTER_NEAREST)
            if np.random.random() < 0.5:
                img, mask = img[:, ::-1], mask[:, ::-1]
            x = torch.from_numpy(np.ascontiguousarray(img)).float().div_(255).unsqueeze(0)
            y = torch.from_numpy((mask > 0).astype(np.float32)).unsqueeze(0)
            return x, y, torch.tensor([tb])

    return LungPairs


def seed_worker(worker_id):
    np.random.seed(1234 + worker_id)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rle', required=True)
    ap.add_argument('--pairs', required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--steps', type=int, default=4)
    a = ap.parse_args()
    res = {}

    if os.path.exists(a.rle):
        res[RLE_DECODE] = median_ms(lambda: rle_decode_all(a.rle), 0, a.repeats)
        res[RLE_STATS] = median_ms(lambda: rle_stats_all(a.rle), 0, a.repeats)

    try:
        from sklearn.metrics import roc_auc_score
        rng = np.random.default_rng(0)
        labels = (rng.random(1_000_000) < 0.3).astype(np.int32)
        scores = rng.random(1_000_000) + 0.5 * labels
        res[AUC] = median_ms(lambda: roc_auc_score(labels, scores), 1, a.repeats * 2)
    except ImportError as e:
        warn('roc_auc', e)

    try:
        import cv2
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        warn('loader and U-Net feed', e)
        print(json.dumps(res))
        return
    cv2.setNumThreads(a.threads)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    LungPairs = make_dataset_class(torch, cv2)
    if os.path.exists(a.pairs):
        ds = LungPairs(a.pairs, 512, limit=256)
        dl = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=False, num_workers=2, persistent_workers=True,
                                         worker_init_fn=seed_worker)

        def epoch():
            for _ in dl:
                pass

        res[LOADER] = median_ms(epoch, 1, a.repeats)
        del dl

        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from lungs_bench import UNet
        model = UNet(1, 1, (16, 32, 64, 128, 256))
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(x, y):
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(model(x), y)
            loss.backward()
            opt.step()

        feed_ds = LungPairs(a.pairs, 256)
        first = [feed_ds[i] for i in range(8)]
        x0, y0 = torch.stack([f[0] for f in first]), torch.stack([f[1] for f in first])
        res[STEP_PREBUILT] = median_ms(lambda: step(x0, y0), 1, a.steps)
        feed = torch.utils.data.DataLoader(feed_ds, batch_size=8, shuffle=True, num_workers=2, drop_last=True,
                                           worker_init_fn=seed_worker)
        it = iter(feed)
        steps, waits = [], []
        for k in range(a.steps + 1):
            t0 = time.perf_counter()
            x, y, _ = next(it)
            t1 = time.perf_counter()
            step(x, y)
            t2 = time.perf_counter()
            if k > 0:  # the first batch of the fed run is a warm-up, like the pre-built run's
                waits.append((t1 - t0) * 1000)
                steps.append((t2 - t0) * 1000)
        res[STEP_FED] = statistics.median(steps)
        res[WAIT] = statistics.fmean(waits)
    print(json.dumps(res))


if __name__ == '__main__':
    main()
