#!/usr/bin/env python3
"""PyTorch side of `thorax bench ptx`: the cascade's two networks from tools/ptx/ptx_peer.py (the same architectures and
state-dict keys as Thorax's ImageClassifier and Fpn over ResNet-18), one training step (forward + loss + backward + Adam;
classifier BCE-with-logits, segmenter the first place's ComboLoss 3/1/4) at batch 4 and eval inference under
torch.inference_mode() at batch 8, printed as JSON {case: median_ms}. Usable alone:
    /usr/bin/python3 tools/bench/ptx_bench.py --threads 2 --repeats 3 --warmup 1 --size 256
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from _timing import median_ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ptx'))
import ptx_peer  # noqa: E402


def combo(logits, t, wb=3.0, wd=1.0, wf=4.0):
    bce = (logits.clamp(min=0) - logits * t + torch.log1p(torch.exp(-logits.abs()))).mean()
    p = torch.sigmoid(logits)
    inter = (p * t).sum(dim=(0, 2, 3))
    dice = (1 - (2 * inter + 1e-6) / (p.sum(dim=(0, 2, 3)) + t.sum(dim=(0, 2, 3)) + 1e-6)).mean()
    pc, tc = p.clamp(1e-8, 1 - 1e-8), t.clamp(1e-8, 1 - 1e-8)
    pt = (1 - tc) * (1 - pc) + tc * pc
    focal = (-(1 - pt) ** 2 * torch.log(pt)).mean()
    return (wb * bce + wd * dice + wf * focal).clamp(min=1e-5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--train-batch', type=int, default=4)
    ap.add_argument('--infer-batch', type=int, default=8)
    ap.add_argument('--pyramid', type=int, default=256)
    ap.add_argument('--seg-channels', type=int, default=128)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    s, tb, ib = a.size, a.train_batch, a.infer_batch
    x = torch.randn(tb, 3, s, s)
    xi = torch.randn(ib, 3, s, s)
    out = {}
    for name, net, loss_fn, target in [
        ('classifier', ptx_peer.Classifier(), F.binary_cross_entropy_with_logits, (torch.rand(tb) > 0.5).float()),
        ('segmenter', ptx_peer.FPN(pyramid=a.pyramid, segmentation=a.seg_channels), combo, (torch.rand(tb, 1, s, s) > 0.5).float()),
    ]:
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        net.train()

        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn(net(x), target).backward()
            opt.step()
        out[f'{name} train b{tb} {s}px'] = median_ms(step, a.warmup, a.repeats)
        net.eval()

        def infer():
            with torch.inference_mode():
                net(xi)
        out[f'{name} infer b{ib} {s}px'] = median_ms(infer, a.warmup, a.repeats)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
