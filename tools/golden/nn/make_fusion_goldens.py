#!/usr/bin/env python3
"""Golden file for Thorax.Nn's batch-norm folding (Module.FuseForInference), made with torch 1.13 (run with
/usr/bin/python3 from the repo root).

Writes tests/data/golden/nn/fusion.json: for a few convolution + batch-norm pairs with random parameters and running
statistics, the pair's state dicts, the folded convolution weight and bias from torch.nn.utils.fusion.fuse_conv_bn_eval
(PyTorch's own folding), an input and the folded convolution's output. Tensors are {"shape", "dtype", "b64"} with
little-endian raw bytes, as in make_nn_goldens.py.
"""
import base64
import json
import os

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

OUT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "data", "golden", "nn"))
os.makedirs(OUT, exist_ok=True)
RNG = np.random.default_rng(20240607)


def enc(t):
    t = t.detach().contiguous().cpu()
    assert t.dtype == torch.float32
    return {"shape": list(t.shape), "dtype": "float32", "b64": base64.b64encode(t.numpy().tobytes()).decode("ascii")}


def rand(*shape, scale=1.0, offset=0.0):
    return torch.tensor((RNG.standard_normal(shape) * scale + offset).astype(np.float32))


def randomise(conv, bn):
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(rand(*p.shape, scale=0.5))
        n = bn.num_features
        bn.running_mean.copy_(rand(n, scale=0.7))
        bn.running_var.copy_(torch.tensor(RNG.uniform(0.2, 3.0, n).astype(np.float32)))
        if bn.affine:
            bn.weight.copy_(rand(n, scale=0.5, offset=1.0))
            bn.bias.copy_(rand(n, scale=0.5))


def case(name, conv, bn, x_shape):
    randomise(conv, bn)
    conv.eval()
    bn.eval()
    fused = fuse_conv_bn_eval(conv, bn, transpose=isinstance(conv, nn.ConvTranspose2d))
    x = rand(*x_shape)
    with torch.no_grad():
        y = fused(x)
        y_pair = bn(conv(x))
    assert torch.allclose(y, y_pair, rtol=1e-4, atol=1e-5)
    return {
        "name": name,
        "conv": {k: enc(v) for k, v in conv.state_dict().items()},
        "bn": {k: enc(v) for k, v in bn.state_dict().items() if v.dtype == torch.float32},
        "fused_weight": enc(fused.weight),
        "fused_bias": enc(fused.bias),
        "input": enc(x),
        "output": enc(y),
    }


def main():
    cases = [
        case("conv2d_bias", nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), (2, 3, 5, 6)),
        case("conv2d_nobias_eps", nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3, eps=1e-3), (1, 2, 4, 4)),
        case("conv2d_groups_nonaffine", nn.Conv2d(4, 6, 1, groups=2), nn.BatchNorm2d(6, affine=False), (1, 4, 3, 3)),
        case("conv_transpose2d", nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), nn.BatchNorm2d(2), (1, 3, 4, 4)),
        case("conv_transpose2d_nobias", nn.ConvTranspose2d(2, 4, 2, stride=2, bias=False), nn.BatchNorm2d(4), (1, 2, 3, 3)),
        case("conv1d", nn.Conv1d(2, 3, 3, padding=1), nn.BatchNorm1d(3), (2, 2, 7)),
    ]
    path = os.path.join(OUT, "fusion.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
