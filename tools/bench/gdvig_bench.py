#!/usr/bin/env python3
"""PyTorch side of `thorax bench gdvig`: the authors' GD-ViG (IPMI-NWU/GD-ViG GAViG, imported from the local mirror by
tools/golden/gdvig/gdvig_reference.py, as the goldens are made), EGD-CXR variant, 224 px:
  * eval inference under torch.inference_mode() at --batch;
  * one training step at --batch as the authors' engine: CE(logits) + MSE(get_gaze(), gaze) + backward + AdamW
    (lr 1e-4, weight decay 0.01);
  * the KNN graph construction alone, the authors' own DenseDilatedKnnGraph modules on random node features of every
    block's shape (query nodes, avg-pooled keys, max-pooled gaze; not timed: the pooling): the first block of each
    stage in its gaze-directed form (vig.py), and all 12 graphs of each backbone (vig.py's for the GDC, vigunet.py's
    plain ones for the GMG) as one case each.
Printed as JSON {case: median_ms}; case names as the CLI's GdVigBench. Usable alone:
    /usr/bin/python3 tools/bench/gdvig_bench.py --threads 2 --repeats 3 --warmup 1
"""
import argparse
import json
import os
import sys
import tempfile

import torch
import torch.nn.functional as F
from _timing import median_ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "gdvig"))
from gdvig_reference import DEFAULT_MIRROR, import_gavig  # noqa: E402

CHANNELS = [48, 96, 240, 384]  # EGD-CXR (ViG-Ti), fixed in the authors' code
BLOCKS = [2, 2, 6, 2]
REDUCE = [4, 2, 1, 1]
K = 9


def knn_blocks(size):
    """(stage, block index, channels, side, reduce ratio, dilation) of every Grapher, as ViG_Gaze builds them."""
    out, idx, side = [], 0, size // 4
    for s in range(4):
        if s > 0:
            side //= 2
        for _ in range(BLOCKS[s]):
            out.append((s, idx, CHANNELS[s], side, REDUCE[s], idx // 4 + 1))
            idx += 1
    return out


def knn_inputs(b, c, side, r, g):
    """Query nodes [B,C,N,1], keys [B,C,M,1] (avg-pooled when r > 1, else None), gaze [B,1,N,1], key gaze [B,1,M,1]."""
    x = torch.randn(b, c, side, side, generator=g)
    gz = torch.rand(b, 1, side, side, generator=g)
    y = gy = None
    if r > 1:
        y = F.avg_pool2d(x, r, r).reshape(b, c, -1, 1).contiguous()
        gy = F.max_pool2d(gz, r, r).reshape(b, 1, -1, 1).contiguous()
    return x.reshape(b, c, -1, 1).contiguous(), y, gz.reshape(b, 1, -1, 1).contiguous(), gy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--mirror", default=DEFAULT_MIRROR)
    ap.add_argument("--parts", default="model,knn", help="model, knn or both")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    b, s = a.batch, a.size
    parts = set(a.parts.split(","))
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        mods = import_gavig(a.mirror, tmp, "egdcxr")
        if "knn" in parts:
            g = torch.Generator().manual_seed(1)
            blocks = [(blk, knn_inputs(b, blk[2], blk[3], blk[4], g)) for blk in knn_blocks(s)]
            gaze_graphs = [mods["vig"].DenseDilatedKnnGraph(K, blk[5]) for blk, _ in blocks]
            plain_graphs = [mods["vigunet"].DenseDilatedKnnGraph(K, blk[5]) for blk, _ in blocks]
            seen = set()
            for (stage, idx, c, side, r, d), (x, y, gz, gy) in blocks:
                if stage in seen:
                    continue
                seen.add(stage)
                name = f"knn gaze stage{stage + 1} b{b} {x.shape[2]}x{x.shape[2] if y is None else y.shape[2]} c{c} k{K}x{d}"
                graph = gaze_graphs[idx]
                res[name] = median_ms(lambda: graph(x, y, gz, gy), a.warmup, a.repeats)

            def all_gaze():
                for gr, (_, (x, y, gz, gy)) in zip(gaze_graphs, blocks):
                    gr(x, y, gz, gy)

            def all_plain():
                for gr, (_, (x, y, _gz, _gy)) in zip(plain_graphs, blocks):
                    gr(x, y)
            res[f"knn gaze all {len(blocks)} graphs b{b}"] = median_ms(all_gaze, a.warmup, a.repeats)
            res[f"knn plain all {len(blocks)} graphs b{b}"] = median_ms(all_plain, a.warmup, a.repeats)
        if "model" in parts:
            net = mods["GAViG"](num_classes=3)
            x = ((torch.rand(b, 1, s, s) - 0.456) / 0.224) / 255.0
            gaze = torch.rand(b, 1, s, s)
            labels = torch.arange(b) % 3
            opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=0.01)

            def step():
                net.train()
                opt.zero_grad(set_to_none=True)
                logits = net(x)
                loss = F.cross_entropy(logits, labels) + F.mse_loss(net.get_gaze(), gaze)
                loss.backward()
                opt.step()

            def infer():
                net.eval()
                with torch.inference_mode():
                    net(x)
            res[f"gdvig infer b{b} {s}px"] = median_ms(infer, a.warmup, a.repeats)
            res[f"gdvig train b{b} {s}px"] = median_ms(step, a.warmup, a.repeats)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
