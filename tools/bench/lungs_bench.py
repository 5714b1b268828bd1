#!/usr/bin/env python3
"""PyTorch side of `thorax bench lungs`: the four lung-segmentation networks of src/Thorax.Models/Segmentation, one
training step (forward + BCE-with-logits + backward + Adam) at batch 4 and eval inference under torch.inference_mode()
at batch 32, 256 px (with --bf16 also bf16 inference under torch.autocast('cpu', dtype=torch.bfloat16)), printed as
JSON {case: median_ms}. Widths: every model from --base channels (the CLI passes the
lung trainer's 16), or each paper's reference width without --base. Inference is plain eager PyTorch as users run it
(model.eval() + inference_mode, no conv-BN folding, no scripting): the Thorax side reports its fused model against this
same figure. Run by the CLI, one model per process, with the same thread count and widths; usable alone:
    /usr/bin/python3 tools/bench/lungs_bench.py --threads 2 --repeats 3 --warmup 1 --base 16 --models unet,sa-unet

The U-Net++, Attention U-Net and SA-UNet classes come from tools/golden/models/make_segmentation_goldens.py (the
architectures the C# models are checked against; SA-UNet is built with its DropBlock, which the goldens leave out
because they only run eval); the plain U-Net follows Thorax.Models.Segmentation.UNet (the widely used PyTorch U-Net
layout).
tools/bench/data_bench.py imports UNet from here.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from _timing import median_ms

# The architectures the C# models are checked against, defined once in the golden script.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden', 'models'))
from make_segmentation_goldens import AttU_Net, NestedUNet, SAUNet  # noqa: E402

NAMES = ('unet', 'unetpp', 'attention-unet', 'sa-unet')


# ---------------------------------------------------------------- U-Net (Thorax.Models.Segmentation.UNet)

class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def forward(self, x):
        return self.double_conv(x)


class UNet(nn.Module):
    """Widths top to bottom (last = bottleneck); max-pool down, 2x2 stride-2 transposed conv up, cat [skip, up]."""

    def __init__(self, cin=1, classes=1, widths=(64, 128, 256, 512, 1024)):
        super().__init__()
        self.inc = DoubleConv(cin, widths[0])
        self.downs = nn.ModuleList(nn.Sequential(nn.MaxPool2d(2), DoubleConv(widths[i - 1], widths[i])) for i in range(1, len(widths)))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(widths[i], widths[i - 1], 2, stride=2) for i in range(len(widths) - 1, 0, -1))
        self.convs = nn.ModuleList(DoubleConv(2 * widths[i - 1], widths[i - 1]) for i in range(len(widths) - 1, 0, -1))
        self.outc = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for d in self.downs:
            skips.append(d(skips[-1]))
        x = skips[-1]
        for i, (up, conv) in enumerate(zip(self.ups, self.convs)):
            skip = skips[-2 - i]
            u = up(x)
            dy, dx = skip.shape[2] - u.shape[2], skip.shape[3] - u.shape[3]
            if dy or dx:
                u = F.pad(u, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
            x = conv(torch.cat([skip, u], 1))
        return self.outc(x)


# ---------------------------------------------------------------- U-Net++, Attention U-Net, SA-UNet: the golden script's

class NestedUNetMean(NestedUNet):
    """Deep supervision in 'accurate' mode: the mean of the L-1 heads (Thorax's UNetPlusPlus default)."""

    def __init__(self, classes, cin, widths):
        super().__init__(classes, cin, widths, deep_supervision=True)

    def forward(self, x):
        return torch.stack(self.heads(x)).mean(0)


def create(name, cin=1, classes=1, base=None):
    """Same widths as Thorax's SegmentationModels.Create(name, cin, classes, baseChannels: base); None = reference."""
    def widths(default):
        b = base or default
        return tuple(b * 2 ** i for i in range(5))
    if name == 'unet':
        return UNet(cin, classes, widths(64))
    if name == 'unetpp':
        return NestedUNetMean(classes, cin, widths(32))
    if name == 'attention-unet':
        return AttU_Net(cin, classes, widths(64))
    if name == 'sa-unet':
        return SAUNet(cin, classes, base or 16, 3, keep_prob=0.9)  # with DropBlock, as Thorax's SAUNet trains
    raise ValueError(f"unknown model '{name}'; valid: {', '.join(NAMES)}")


def train_case(name, batch, size):
    return f'{name} train b{batch} {size}px'


def infer_case(name, batch, size):
    return f'{name} infer b{batch} {size}px'


def infer_bf16_case(name, batch, size):
    return f'{name} infer bf16 b{batch} {size}px'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=torch.get_num_threads())
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--base', type=int, default=None, help='channels of the first level; default each paper\'s width')
    ap.add_argument('--models', default=','.join(NAMES))
    ap.add_argument('--train-batch', type=int, default=4)
    ap.add_argument('--infer-batch', type=int, default=32)
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--bf16', action='store_true',
                    help='also time bf16 inference under torch.autocast(\'cpu\', dtype=torch.bfloat16)')
    ap.add_argument('--no-mkldnn', action='store_true', help='torch.backends.mkldnn.enabled = False')
    a = ap.parse_args()
    if a.no_mkldnn:
        torch.backends.mkldnn.enabled = False
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    res = {}
    s = a.size
    x = torch.randn(a.train_batch, 1, s, s)
    y = (torch.rand(a.train_batch, 1, s, s) > 0.5).float()
    xi = torch.randn(a.infer_batch, 1, s, s)
    for name in [m.strip() for m in a.models.split(',') if m.strip()]:
        model = create(name, base=a.base)
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(model(x), y)
            loss.backward()
            opt.step()

        res[train_case(name, a.train_batch, s)] = median_ms(step, a.warmup, a.repeats)
        model.eval()

        def infer():
            with torch.inference_mode():
                model(xi)

        res[infer_case(name, a.infer_batch, s)] = median_ms(infer, a.warmup, a.repeats)
        if a.bf16:
            # PyTorch 1.13's only bf16 path for these networks: model.to(torch.bfloat16) fails in conv_transpose2d
            # (the oneDNN bf16 path rejects the weight shape; without oneDNN, slow_conv_transpose2d has no bf16
            # kernel), so the weights stay float32 and autocast casts them per operation.
            def infer_bf16():
                with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16):
                    model(xi)

            try:
                res[infer_bf16_case(name, a.infer_batch, s)] = median_ms(infer_bf16, a.warmup, a.repeats)
            except RuntimeError as e:  # e.g. no bf16 convolution kernel without oneDNN
                print(f'lungs_bench: {infer_bf16_case(name, a.infer_batch, s)} skipped ({e})', file=sys.stderr)
        del model, opt
    print(json.dumps(res))


if __name__ == '__main__':
    main()
