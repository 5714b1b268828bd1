#!/usr/bin/env python3
"""Golden files for Thorax.Models.Segmentation (U-Net++, Attention U-Net, SA-UNet), made with torch 1.13.

Run from anywhere with /usr/bin/python3. Writes into tests/data/golden/models/:
  unetpp.safetensors, attention_unet.safetensors, sa_unet.safetensors
      state dicts of small, seeded instances (safetensors written by golden_io.write_safetensors)
  segmentation.json
      per model: constructor arguments, a fixed input and the eval-mode outputs for an even and an odd input size;
      parameter counts of the reference-size models (the numbers the C# models must reproduce).
Tensors in JSON are {"shape", "dtype", "b64"} (little-endian float32 bytes), so values round-trip exactly.

The architectures below follow the widely used PyTorch code (facts only, written afresh):
  * U-Net++   : 4uiiurz1/pytorch-nested-unet `NestedUNet` (VGGBlock conv-BN-ReLU x2 with bias, bilinear
                align_corners=True up-sampling, 1x1 heads final1..final4 or final).
  * Attention : LeeJunHyun/Image_Segmentation `AttU_Net` (conv_block, up_conv = nearest x2 + conv-BN-ReLU,
                Attention_block W_g/W_x/psi).
  * SA-UNet   : clguo/SA-UNet (Keras) translated to PyTorch: conv3x3 -> DropBlock -> BN(eps 1e-3, Keras momentum
                0.99 = PyTorch 0.01) -> ReLU, spatial attention conv7x7 without bias, ConvTranspose 3x3 s2 (padding 1,
                output_padding 1), concat [up, skip].
Up-sampling goes to the skip's spatial size (so odd sizes work); for even sizes this is exactly the reference
`scale_factor=2` path, which the script asserts.
"""
import base64
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import sys  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from golden_io import enc, write_safetensors  # noqa: E402

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "data", "golden", "models"))


# the safetensors files' __metadata__ (after the tensor entries in their headers)
SOURCE = {"format": "pt", "source": "tools/golden/models/make_segmentation_goldens.py"}


# ---------------------------------------------------------------- U-Net++

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
    def __init__(self, classes=1, cin=3, widths=(32, 64, 128, 256, 512), deep_supervision=False, scale_up=False):
        super().__init__()
        self.L = len(widths)
        self.deep_supervision = deep_supervision
        self.scale_up = scale_up
        self.pool = nn.MaxPool2d(2, 2)
        for j in range(self.L):
            for i in range(self.L - j):
                if j == 0:
                    block = VGGBlock(cin if i == 0 else widths[i - 1], widths[i], widths[i])
                else:
                    block = VGGBlock(widths[i] * j + widths[i + 1], widths[i], widths[i])
                setattr(self, f"conv{i}_{j}", block)
        if deep_supervision:
            for k in range(1, self.L):
                setattr(self, f"final{k}", nn.Conv2d(widths[0], classes, 1))
        else:
            self.final = nn.Conv2d(widths[0], classes, 1)

    def up(self, x, ref):
        if self.scale_up:
            return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        return F.interpolate(x, size=ref.shape[2:], mode="bilinear", align_corners=True)

    def nodes(self, x):
        X = {(0, 0): self.conv0_0(x)}
        for i in range(1, self.L):
            X[(i, 0)] = getattr(self, f"conv{i}_0")(self.pool(X[(i - 1, 0)]))
        for j in range(1, self.L):
            for i in range(self.L - j):
                parts = [X[(i, k)] for k in range(j)] + [self.up(X[(i + 1, j - 1)], X[(i, 0)])]
                X[(i, j)] = getattr(self, f"conv{i}_{j}")(torch.cat(parts, 1))
        return X

    def heads(self, x):
        X = self.nodes(x)
        return [getattr(self, f"final{k}")(X[(0, k)]) for k in range(1, self.L)]

    def forward(self, x):
        if self.deep_supervision:
            return self.heads(x)
        return self.final(self.nodes(x)[(0, self.L - 1)])


# ---------------------------------------------------------------- Attention U-Net

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

    def forward(self, x, size=None):
        if size is None:
            return self.up(x)
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
    def __init__(self, cin=3, cout=1, widths=(64, 128, 256, 512, 1024), scale_up=False):
        super().__init__()
        self.L = len(widths)
        self.scale_up = scale_up
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
            d = getattr(self, f"Up{k}")(d, None if self.scale_up else skip.shape[2:])
            a = getattr(self, f"Att{k}")(g=d, x=skip)
            d = getattr(self, f"Up_conv{k}")(torch.cat((a, d), 1))
        return self.Conv_1x1(d)


# ---------------------------------------------------------------- SA-UNet

class DropBlock(nn.Module):
    """Keras SA-UNet DropBlock as in Thorax.Models.Segmentation.DropBlock2d: Bernoulli(gamma) seeds in the valid region,
    grown by a stride-1 max-pool with 'same' padding, rescaled by numel / kept; identity in eval (so the goldens, which
    run eval only, do not depend on it). tools/bench/lungs_bench.py trains with it."""

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
    """Conv3x3 -> DropBlock (when keep_prob is given; stateless, identity in eval) -> BN -> ReLU."""

    def __init__(self, cin, cout, keep_prob=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.dropblock = DropBlock(7, keep_prob) if keep_prob is not None else nn.Identity()
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
    def __init__(self, cin=3, classes=1, start=16, levels=3, keep_prob=None):
        super().__init__()
        w = [start * 2 ** i for i in range(levels + 1)]
        self.levels = levels

        def unit(ci, co):
            return ConvUnit(ci, co, keep_prob)
        for i in range(levels):
            setattr(self, f"enc{i + 1}", nn.Sequential(unit(cin if i == 0 else w[i - 1], w[i]), unit(w[i], w[i])))
        self.mid1 = unit(w[levels - 1], w[levels])
        self.attention = SpatialAttention(7)
        self.mid2 = unit(w[levels], w[levels])
        for i in range(levels, 0, -1):
            setattr(self, f"up{i}", nn.ConvTranspose2d(w[i], w[i - 1], 3, stride=2, padding=1, output_padding=1))
            setattr(self, f"dec{i}", nn.Sequential(unit(2 * w[i - 1], w[i - 1]), unit(w[i - 1], w[i - 1])))
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


# ---------------------------------------------------------------- helpers

def randomise(model, seed):
    """Seeded weights plus non-trivial BatchNorm statistics, so the eval-mode forward exercises everything."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                fan_in = m.weight[0].numel() if isinstance(m, nn.Conv2d) else m.weight.shape[0] * m.weight[0, 0].numel()
                bound = (3.0 / fan_in) ** 0.5
                m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1) * bound)
                if m.bias is not None:
                    m.bias.copy_((torch.rand(m.bias.shape, generator=g) * 2 - 1) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(0.8 + 0.4 * torch.rand(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + torch.rand(n, generator=g))
                m.num_batches_tracked.fill_(7)
    return model.eval()


def params(model):
    return sum(p.numel() for p in model.parameters())


def make_input(seed, shape):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    doc = {"torch": torch.__version__, "rtol": 1e-4, "atol": 1e-5}

    # U-Net++ (deep supervision, 5 levels, tiny widths).
    w = [2, 4, 6, 8, 10]
    m = randomise(NestedUNet(classes=2, cin=3, widths=w, deep_supervision=True), 11)
    ref = NestedUNet(classes=2, cin=3, widths=w, deep_supervision=True, scale_up=True)
    ref.load_state_dict(m.state_dict())
    ref.eval()
    write_safetensors(os.path.join(OUT, "unetpp.safetensors"), m.state_dict(), SOURCE, metadata_last=True)
    cases = []
    with torch.no_grad():
        for name, shape in (("even", (1, 3, 16, 16)), ("odd", (1, 3, 19, 23))):
            x = make_input(101, shape)
            heads = m.heads(x)
            if name == "even":
                for a, b in zip(heads, ref(x)):
                    assert torch.equal(a, b), "size-matched up-sampling must equal scale_factor=2 for even sizes"
            cases.append({"name": name, "input": enc(x), "heads": [enc(h) for h in heads],
                          "accurate": enc(torch.stack(heads).mean(0))})
    doc["unetpp"] = {"in_channels": 3, "classes": 2, "widths": w, "deep_supervision": True,
                     "weights": "unetpp.safetensors", "parameters": params(m), "cases": cases}

    # Attention U-Net (5 levels, tiny widths, 1-channel input).
    w = [2, 4, 6, 8, 10]
    m = randomise(AttU_Net(cin=1, cout=1, widths=w), 12)
    ref = AttU_Net(cin=1, cout=1, widths=w, scale_up=True)
    ref.load_state_dict(m.state_dict())
    ref.eval()
    write_safetensors(os.path.join(OUT, "attention_unet.safetensors"), m.state_dict(), SOURCE, metadata_last=True)
    cases = []
    with torch.no_grad():
        for name, shape in (("even", (1, 1, 16, 16)), ("odd", (1, 1, 19, 23))):
            x = make_input(202, shape)
            y = m(x)
            if name == "even":
                assert torch.equal(y, ref(x))
            cases.append({"name": name, "input": enc(x), "output": enc(y)})
    doc["attention_unet"] = {"in_channels": 1, "classes": 1, "widths": w, "weights": "attention_unet.safetensors",
                             "parameters": params(m), "cases": cases}

    # SA-UNet (3 pooling levels, start 4 channels, 3-channel input).
    m = randomise(SAUNet(cin=3, classes=1, start=2, levels=3), 13)
    write_safetensors(os.path.join(OUT, "sa_unet.safetensors"), m.state_dict(), SOURCE, metadata_last=True)
    cases = []
    with torch.no_grad():
        for name, shape in (("even", (1, 3, 16, 16)), ("odd", (1, 3, 19, 23))):
            x = make_input(303, shape)
            cases.append({"name": name, "input": enc(x), "output": enc(m(x))})
    doc["sa_unet"] = {"in_channels": 3, "classes": 1, "start_channels": 2, "levels": 3, "weights": "sa_unet.safetensors",
                      "parameters": params(m), "cases": cases}

    # Parameter counts of the reference-size models.
    doc["reference_parameters"] = {
        "unetpp_3in_1cls_32_to_512": params(NestedUNet(classes=1, cin=3, deep_supervision=False)),
        "unetpp_3in_1cls_32_to_512_deep_supervision": params(NestedUNet(classes=1, cin=3, deep_supervision=True)),
        "attention_unet_3in_1cls_64_to_1024": params(AttU_Net(cin=3, cout=1)),
        "attention_unet_1in_1cls_64_to_1024": params(AttU_Net(cin=1, cout=1)),
        "sa_unet_3in_1cls_start16": params(SAUNet(cin=3, classes=1, start=16)),
        "sa_unet_1in_1cls_start16": params(SAUNet(cin=1, classes=1, start=16)),
    }
    with open(os.path.join(OUT, "segmentation.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    for n in sorted(os.listdir(OUT)):
        print(f"{n}: {os.path.getsize(os.path.join(OUT, n))} bytes")
    print(json.dumps(doc["reference_parameters"]))


if __name__ == "__main__":
    main()
