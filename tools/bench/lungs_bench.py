#!/usr/bin/env python3
"""PyTorch side of `thorax bench lungs`: the four lung-segmentation networks of src/Thorax.Models/Segmentation, one
training step (forward + BCE-with-logits + backward + Adam) at batch 4 and eval inference under torch.inference_mode()
at batch 32, 256 px, printed as JSON {case: median_ms}. Widths: every model from --base channels (the CLI passes the
lung trainer's 16), or each paper's reference width without --base. Inference is plain eager PyTorch as users run it
(model.eval() + inference_mode, no conv-BN folding, no scripting): the Thorax side reports its fused model against this
same figure. Run by the CLI, one model per process, with the same thread count and widths; usable alone:
    /usr/bin/python3 tools/bench/lungs_bench.py --threads 2 --repeats 3 --warmup 1 --base 16 --models unet,sa-unet

The U-Net++, Attention U-Net and SA-UNet classes are copied from tools/golden/models/make_segmentation_goldens.py (the
architectures the C# models are checked against); the plain U-Net follows Thorax.Models.Segmentation.UNet (the widely
used PyTorch U-Net layout), and SA-UNet gets the DropBlock that the golden script leaves out because it only runs eval.
tools/bench/data_bench.py imports UNet from here.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from _timing import median_ms

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


# ---------------------------------------------------------------- U-Net++ (copied from the golden script)

class VGGBlock(nn.Module):
    def __init__(self, cin, cmid, cout):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(cin, cmid, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(cmid)
        self.conv2 = nn.Conv2d(cmid, cout, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(x)))


class NestedUNet(nn.Module):
    """Deep supervision in 'accurate' mode: the mean of the L-1 heads (Thorax's UNetPlusPlus default)."""

    def __init__(self, classes=1, cin=3, widths=(32, 64, 128, 256, 512)):
        super().__init__()
        self.L = len(widths)
        self.pool = nn.MaxPool2d(2, 2)
        for j in range(self.L):
            for i in range(self.L - j):
                if j == 0:
                    block = VGGBlock(cin if i == 0 else widths[i - 1], widths[i], widths[i])
                else:
                    block = VGGBlock(widths[i] * j + widths[i + 1], widths[i], widths[i])
                setattr(self, f"conv{i}_{j}", block)
        for k in range(1, self.L):
            setattr(self, f"final{k}", nn.Conv2d(widths[0], classes, 1))

    def forward(self, x):
        X = {(0, 0): self.conv0_0(x)}
        for i in range(1, self.L):
            X[(i, 0)] = getattr(self, f"conv{i}_0")(self.pool(X[(i - 1, 0)]))
        for j in range(1, self.L):
            for i in range(self.L - j):
                up = F.interpolate(X[(i + 1, j - 1)], size=X[(i, 0)].shape[2:], mode="bilinear", align_corners=True)
                X[(i, j)] = getattr(self, f"conv{i}_{j}")(torch.cat([X[(i, k)] for k in range(j)] + [up], 1))
        heads = [getattr(self, f"final{k}")(X[(0, k)]) for k in range(1, self.L)]
        return torch.stack(heads).mean(0)


# ---------------------------------------------------------------- Attention U-Net (copied from the golden script)

class conv_block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(cin, cout, 3, 1, 1, bias=True), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=True), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        return self.conv(x)


class up_conv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(cin, cout, 3, 1, 1, bias=True),
                                nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x, size):
        x = F.interpolate(x, size=size, mode="nearest")
        for m in list(self.up)[1:]:
            x = m(x)
        return x


class Attention_block(nn.Module):
    def __init__(self, fg, fl, fint):
        super().__init__()
        self.W_g = nn.Sequential(nn.Conv2d(fg, fint, 1, 1, 0, bias=True), nn.BatchNorm2d(fint))
        self.W_x = nn.Sequential(nn.Conv2d(fl, fint, 1, 1, 0, bias=True), nn.BatchNorm2d(fint))
        self.psi = nn.Sequential(nn.Conv2d(fint, 1, 1, 1, 0, bias=True), nn.BatchNorm2d(1), nn.Sigmoid())
        self.relu = nn.ReLU()

    def forward(self, g, x):
        return x * self.psi(self.relu(self.W_g(g) + self.W_x(x)))


class AttU_Net(nn.Module):
    def __init__(self, cin=3, cout=1, widths=(64, 128, 256, 512, 1024)):
        super().__init__()
        self.L = len(widths)
        self.Maxpool = nn.MaxPool2d(2, 2)
        for i in range(self.L):
            setattr(self, f"Conv{i + 1}", conv_block(cin if i == 0 else widths[i - 1], widths[i]))
        for k in range(self.L, 1, -1):
            w_hi, w_lo = widths[k - 1], widths[k - 2]
            setattr(self, f"Up{k}", up_conv(w_hi, w_lo))
            setattr(self, f"Att{k}", Attention_block(w_lo, w_lo, max(w_lo // 2, 1)))
            setattr(self, f"Up_conv{k}", conv_block(2 * w_lo, w_lo))
        self.Conv_1x1 = nn.Conv2d(widths[0], cout, 1, 1, 0)

    def forward(self, x):
        xs = [self.Conv1(x)]
        for i in range(2, self.L + 1):
            xs.append(getattr(self, f"Conv{i}")(self.Maxpool(xs[-1])))
        d = xs[-1]
        for k in range(self.L, 1, -1):
            skip = xs[k - 2]
            d = getattr(self, f"Up{k}")(d, skip.shape[2:])
            a = getattr(self, f"Att{k}")(g=d, x=skip)
            d = getattr(self, f"Up_conv{k}")(torch.cat((a, d), 1))
        return self.Conv_1x1(d)


# ---------------------------------------------------------------- SA-UNet (golden script + DropBlock)

class DropBlock(nn.Module):
    """Keras SA-UNet DropBlock as in Thorax.Models.Segmentation.DropBlock2d: Bernoulli(gamma) seeds in the valid region,
    grown by a stride-1 max-pool with 'same' padding, rescaled by numel / kept; identity in eval."""

    def __init__(self, block_size=7, keep_prob=0.9):
        super().__init__()
        self.bs, self.keep = block_size, keep_prob

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        half = self.bs // 2
        if not self.training or h - 2 * half < 1 or w - 2 * half < 1:
            return x
        gamma = min(max((1 - self.keep) / self.bs ** 2 * h * w / ((h - self.bs + 1) * (w - self.bs + 1)), 0.0), 1.0)
        with torch.no_grad():
            seeds = (torch.rand_like(x) < gamma).to(x.dtype)
            valid = F.pad(torch.ones(h - 2 * half, w - 2 * half, dtype=x.dtype), [half, half, half, half])
            before = (self.bs - 1) // 2
            blocks = F.max_pool2d(F.pad(seeds * valid, [before, self.bs - 1 - before, before, self.bs - 1 - before]), self.bs, 1)
            kept = 1 - blocks
            keep = kept * (x.numel() / kept.sum().clamp(min=1))
        return x * keep


class ConvUnit(nn.Module):
    """Conv3x3 -> DropBlock -> BN(eps 1e-3, momentum 0.01) -> ReLU."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.dropblock = DropBlock(7, 0.9)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)

    def forward(self, x):
        return F.relu(self.bn(self.dropblock(self.conv(x))))


class SpatialAttention(nn.Module):
    def __init__(self, k=7):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, k, padding=k // 2, bias=False)

    def forward(self, x):
        s = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
        return x * torch.sigmoid(self.conv(s))


class SAUNet(nn.Module):
    def __init__(self, cin=3, classes=1, start=16, levels=3):
        super().__init__()
        w = [start * 2 ** i for i in range(levels + 1)]
        self.levels = levels
        for i in range(levels):
            setattr(self, f"enc{i + 1}", nn.Sequential(ConvUnit(cin if i == 0 else w[i - 1], w[i]), ConvUnit(w[i], w[i])))
        self.mid1 = ConvUnit(w[levels - 1], w[levels])
        self.attention = SpatialAttention(7)
        self.mid2 = ConvUnit(w[levels], w[levels])
        for i in range(levels, 0, -1):
            setattr(self, f"up{i}", nn.ConvTranspose2d(w[i], w[i - 1], 3, stride=2, padding=1, output_padding=1))
            setattr(self, f"dec{i}", nn.Sequential(ConvUnit(2 * w[i - 1], w[i - 1]), ConvUnit(w[i - 1], w[i - 1])))
        self.out = nn.Conv2d(w[0], classes, 1)

    def forward(self, x):
        skips = []
        for i in range(self.levels):
            x = getattr(self, f"enc{i + 1}")(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.mid2(self.attention(self.mid1(x)))
        for i in range(self.levels, 0, -1):
            skip = skips[i - 1]
            u = getattr(self, f"up{i}")(x)
            dy, dx = skip.shape[2] - u.shape[2], skip.shape[3] - u.shape[3]
            if dy or dx:
                u = F.pad(u, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
            x = getattr(self, f"dec{i}")(torch.cat([u, skip], 1))
        return self.out(x)


def create(name, cin=1, classes=1, base=None):
    """Same widths as Thorax's SegmentationModels.Create(name, cin, classes, baseChannels: base); None = reference."""
    def widths(default):
        b = base or default
        return tuple(b * 2 ** i for i in range(5))
    if name == 'unet':
        return UNet(cin, classes, widths(64))
    if name == 'unetpp':
        return NestedUNet(classes, cin, widths(32))
    if name == 'attention-unet':
        return AttU_Net(cin, classes, widths(64))
    if name == 'sa-unet':
        return SAUNet(cin, classes, base or 16, 3)
    raise ValueError(f"unknown model '{name}'; valid: {', '.join(NAMES)}")


def train_case(name, batch, size):
    return f'{name} train b{batch} {size}px'


def infer_case(name, batch, size):
    return f'{name} infer b{batch} {size}px'


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
    a = ap.parse_args()
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
        del model, opt
    print(json.dumps(res))


if __name__ == '__main__':
    main()
