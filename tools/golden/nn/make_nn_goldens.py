#!/usr/bin/env python3
"""Golden files for Thorax.Nn, made with torch 1.13 (run with /usr/bin/python3 from the repo root).

Writes into tests/data/golden/nn/:
  layers.json        per-layer forward/backward cases: inputs, weights, grad_output, outputs and gradients
  init.json          seeded initialiser draws (torch.Generator) for comparison with Thorax.Nn.Init
  net.pth            state dict of a small conv-BN-ReLU-pool-linear net (torch.save, zip format)
  net.safetensors    the same state dict (safetensors written by golden_io.write_safetensors)
  net.json           the net's input and eval-mode output
  tensors.pth        fp16/bf16/int/bool tensors, a transposed view and views sharing one storage
  tensors.json       expected values of tensors.pth
  nested.pth         {"model": state_dict, "optimizer": SGD state, "epoch": 3, ...}
  nested.json        expected scalars of nested.pth
  all_dtypes.safetensors  one tensor per safetensors dtype plus __metadata__
  legacy.pth         the pre-1.6 (non-zip) format, which readers must refuse
  module_object.pth  a pickled nn.Linear object (unsupported class), which readers must refuse
Tensors in JSON are {"shape", "dtype", "b64"} with little-endian raw bytes, so values round-trip exactly.
"""
import base64
import collections
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "data", "golden", "nn")
OUT = os.path.normpath(OUT)
os.makedirs(OUT, exist_ok=True)
RNG = np.random.default_rng(20240601)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from golden_io import write_safetensors  # noqa: E402


def enc(t):
    t = t.detach().contiguous().cpu()
    dt = {torch.float32: "float32", torch.int64: "int64", torch.bool: "bool", torch.float64: "float64"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dt, "b64": base64.b64encode(t.numpy().tobytes()).decode("ascii")}


def rand(*shape, scale=1.0):
    return torch.tensor(RNG.standard_normal(shape).astype(np.float32) * scale)


def case(name, module, inputs, ctor, extra=None, outputs_fn=None):
    """Runs forward + backward with a fixed grad_output; records everything the C# test needs."""
    for p in module.parameters():
        with torch.no_grad():
            p.copy_(rand(*p.shape, scale=0.5))
    weights = {k: enc(v) for k, v in module.state_dict().items()}
    xs = [x.clone().requires_grad_(x.dtype.is_floating_point) for x in inputs]
    out = outputs_fn(module, xs) if outputs_fn else module(*xs)
    outs = out if isinstance(out, tuple) else (out,)
    gos = [rand(*o.shape) for o in outs if o is not None]
    loss = sum((o * g).sum() for o, g in zip([o for o in outs if o is not None], gos))
    loss.backward()
    rec = {
        "name": name, "ctor": ctor, "weights": weights,
        "inputs": [enc(x) for x in inputs],
        "grad_outputs": [enc(g) for g in gos],
        "outputs": [enc(o) for o in outs if o is not None],
        "input_grads": [enc(x.grad) if x.grad is not None else None for x in xs],
        "param_grads": {n: enc(p.grad) for n, p in module.named_parameters() if p.grad is not None},
        "state_after": {k: enc(v) for k, v in module.state_dict().items()},
    }
    if extra:
        rec.update(extra)
    return rec


def layers():
    torch.manual_seed(0)
    cases = []
    cases.append(case("linear", nn.Linear(4, 3), [rand(2, 4)], {"in": 4, "out": 3}))
    cases.append(case("linear_nobias_3d", nn.Linear(5, 2, bias=False), [rand(2, 3, 5)], {"in": 5, "out": 2, "bias": False}))
    cases.append(case("conv1d", nn.Conv1d(2, 3, 3, padding=1), [rand(2, 2, 7)], {"in": 2, "out": 3, "k": 3, "padding": 1}))
    cases.append(case("conv2d", nn.Conv2d(2, 3, 3, stride=2, padding=1), [rand(1, 2, 6, 6)], {"in": 2, "out": 3, "k": 3, "stride": 2, "padding": 1}))
    cases.append(case("conv2d_reflect_groups", nn.Conv2d(4, 4, 3, padding=1, groups=2, padding_mode="reflect", dilation=1),
                      [rand(1, 4, 5, 5)], {"in": 4, "out": 4, "k": 3, "padding": 1, "groups": 2, "mode": "reflect"}))
    cases.append(case("conv_transpose2d", nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), [rand(1, 3, 4, 4)],
                      {"in": 3, "out": 2, "k": 3, "stride": 2, "padding": 1, "output_padding": 1}))
    bn = nn.BatchNorm2d(3, momentum=0.2)
    cases.append(case("batchnorm2d_train", bn, [rand(2, 3, 4, 4)], {"c": 3, "momentum": 0.2}))
    bn1 = nn.BatchNorm1d(4, momentum=None)
    x1, x2 = rand(5, 4), rand(5, 4, scale=2.0)
    bn1(x1)  # first step of the cumulative average; the case runs the second
    # "weights" holds the state after that first step (num_batches_tracked = 1) with re-randomised affine parameters
    cases.append(case("batchnorm1d_cumulative", bn1, [x2], {"c": 4, "momentum": None}))
    bne = nn.BatchNorm2d(3).eval()
    with torch.no_grad():
        bne.running_mean.copy_(rand(3, scale=0.3))
        bne.running_var.copy_(rand(3).abs() + 0.5)
    cases.append(case("batchnorm2d_eval", bne, [rand(2, 3, 2, 2)], {"c": 3, "eval": True}))
    cases.append(case("groupnorm", nn.GroupNorm(2, 4), [rand(2, 4, 3, 3)], {"groups": 2, "c": 4}))
    cases.append(case("layernorm", nn.LayerNorm(5), [rand(2, 3, 5)], {"shape": [5]}))
    cases.append(case("instancenorm2d", nn.InstanceNorm2d(3, affine=True), [rand(2, 3, 4, 4)], {"c": 3, "affine": True}))
    idx = torch.tensor([[0, 2, 5], [1, 0, 2]], dtype=torch.int64)
    cases.append(case("embedding_padding", nn.Embedding(6, 4, padding_idx=0), [idx], {"n": 6, "d": 4, "padding_idx": 0}))

    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    q, kv = rand(2, 3, 8), rand(2, 4, 8)
    kpm = torch.tensor([[False, False, True, False], [False, False, False, True]])
    cases.append(case("mha_batch_first_kpm", mha, [q, kv, kv, kpm], {"e": 8, "h": 2, "batch_first": True},
                      outputs_fn=lambda m, xs: m(xs[0], xs[1], xs[2], key_padding_mask=xs[3])))
    mha2 = nn.MultiheadAttention(6, 3)
    xs = rand(4, 2, 6)
    causal = torch.triu(torch.full((4, 4), float("-inf")), diagonal=1)
    cases.append(case("mha_self_causal", mha2, [xs, causal], {"e": 6, "h": 3, "batch_first": False},
                      outputs_fn=lambda m, xs: m(xs[0], xs[0], xs[0], attn_mask=xs[1], need_weights=True)))

    img = rand(1, 2, 7, 7)
    cases.append(case("maxpool2d", nn.MaxPool2d(3, 2, 1), [img], {"k": 3, "stride": 2, "padding": 1}))
    cases.append(case("avgpool2d", nn.AvgPool2d(3, 2, 1, count_include_pad=False), [img], {"k": 3, "stride": 2, "padding": 1, "count_include_pad": False}))
    cases.append(case("adaptive_avgpool2d", nn.AdaptiveAvgPool2d((2, 3)), [rand(1, 2, 7, 5)], {"h": 2, "w": 3}))
    cases.append(case("upsample_bilinear", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), [rand(1, 1, 3, 3)], {"scale": 2}))
    cases.append(case("upsample_nearest_size", nn.Upsample(size=(5, 4), mode="nearest"), [rand(1, 1, 3, 3)], {"h": 5, "w": 4}))
    cases.append(case("flatten", nn.Flatten(), [rand(2, 2, 2, 2)], {}))
    a = rand(2, 5)
    for name, mod in [("relu", nn.ReLU()), ("leaky_relu", nn.LeakyReLU(0.2)), ("gelu", nn.GELU()), ("gelu_tanh", nn.GELU(approximate="tanh")),
                      ("silu", nn.SiLU()), ("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh()), ("softmax", nn.Softmax(dim=1))]:
        cases.append(case(name, mod, [a], {}))
    return cases


def init_goldens():
    r = {}
    g = torch.Generator().manual_seed(7)
    bound = 1 / math.sqrt(5)
    w = torch.empty(3, 5).uniform_(-bound, bound, generator=g)
    b = torch.empty(3).uniform_(-bound, bound, generator=g)
    r["linear_5_3_seed7"] = {"weight": enc(w), "bias": enc(b)}
    g = torch.Generator().manual_seed(11)
    std = 1.0 * math.sqrt(2.0 / (6 + 4))
    r["xavier_normal_4x6_seed11"] = enc(torch.empty(4, 6).normal_(0, std, generator=g))
    g = torch.Generator().manual_seed(3)
    t = torch.empty(2, 3, 3, 3)
    fan_out = 2 * 9
    r["kaiming_normal_fanout_relu_seed3"] = enc(t.normal_(0, math.sqrt(2.0) / math.sqrt(fan_out), generator=g))
    # trunc_normal_ as torch.nn.init does it, with an explicit generator for the uniform draw
    g = torch.Generator().manual_seed(5)
    mean, sd, lo, hi = 0.0, 0.02, -0.04, 0.04
    cdf = lambda x: (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0
    l, u = cdf((lo - mean) / sd), cdf((hi - mean) / sd)
    t = torch.empty(64).uniform_(2 * l - 1, 2 * u - 1, generator=g)
    t.erfinv_().mul_(sd * math.sqrt(2.0)).add_(mean).clamp_(min=lo, max=hi)
    r["trunc_normal_64_seed5"] = enc(t)
    with open(os.path.join(OUT, "init.json"), "w") as f:
        json.dump(r, f, separators=(",", ":"))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(collections.OrderedDict([
            ("conv0", nn.Conv2d(1, 4, 3, padding=1)), ("norm0", nn.BatchNorm2d(4)), ("relu0", nn.ReLU()), ("pool0", nn.MaxPool2d(2))]))
        self.classifier = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def as_list(t):
    return t.detach().to(torch.float64).flatten().tolist() if t.dtype.is_floating_point else t.detach().to(torch.int64).flatten().tolist()


def checkpoints():
    torch.manual_seed(1)
    net = Net()
    with torch.no_grad():
        for _ in range(3):
            net.train()(torch.randn(4, 1, 8, 8) * 2 + 0.5)
    x = torch.randn(2, 1, 8, 8)
    net.eval()
    with torch.no_grad():
        y = net(x)
    sd = net.state_dict()
    torch.save(sd, os.path.join(OUT, "net.pth"))
    write_safetensors(os.path.join(OUT, "net.safetensors"), sd, {"format": "pt", "source": "make_nn_goldens.py"})
    with open(os.path.join(OUT, "net.json"), "w") as f:
        json.dump({"input": enc(x), "output": enc(y), "keys": list(sd.keys())}, f, separators=(",", ":"))

    # nested checkpoint with an optimizer state
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.randn(2, 1, 8, 8)).sum().backward()
    opt.step()
    nested = {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "best": 0.875, "name": "tiny",
              "flags": [True, False, None], "shape": (2, 3), "big": 2 ** 40, "neg": -5}
    torch.save(nested, os.path.join(OUT, "nested.pth"))
    mb0 = opt.state_dict()["state"][0]["momentum_buffer"]
    with open(os.path.join(OUT, "nested.json"), "w") as f:
        json.dump({"model_keys": list(nested["model"].keys()), "conv0_weight": as_list(nested["model"]["features.conv0.weight"]),
                   "momentum_buffer_0": as_list(mb0), "lr": 0.1, "momentum": 0.9, "num_params": len(list(net.parameters()))},
                  f, separators=(",", ":"))

    # dtypes, views and shared storage
    base = torch.arange(20, dtype=torch.float32) * 0.5 - 3
    mat = torch.tensor(RNG.standard_normal((3, 4)).astype(np.float32))
    t = collections.OrderedDict()
    t["f16"] = torch.tensor([[0.5, -1.25, 3.0, 65504.0], [1e-3, 2.0, -0.0, 7.5]], dtype=torch.float16)
    t["bf16"] = torch.tensor([1.0, -2.5, 3.140625, 1e10, -1e-5], dtype=torch.bfloat16)
    t["i64"] = torch.tensor([[1, -2, 3], [2 ** 40, -(2 ** 50), 0]], dtype=torch.int64)
    t["i32"] = torch.tensor([7, -8, 2 ** 30], dtype=torch.int32)
    t["i16"] = torch.tensor([300, -300], dtype=torch.int16)
    t["i8"] = torch.tensor([-128, 127, 0], dtype=torch.int8)
    t["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    t["bool"] = torch.tensor([True, False, True, True])
    t["f64"] = torch.tensor([1.0 / 3.0, -2.0, 1e-300], dtype=torch.float64)
    t["scalar"] = torch.tensor(42, dtype=torch.int64)
    t["mat_t"] = mat.t()                         # non-contiguous: stride (1, 4)
    t["base"] = base
    t["slice"] = base[5:11].view(2, 3)           # shares base's storage, offset 5
    t["strided"] = base[1::4]                    # shares base's storage, offset 1, stride 4
    t["empty"] = torch.zeros(0, 3)
    torch.save(t, os.path.join(OUT, "tensors.pth"))
    with open(os.path.join(OUT, "tensors.json"), "w") as f:
        json.dump({k: {"shape": list(v.shape), "dtype": str(v.dtype), "values": as_list(v)} for k, v in t.items()}, f, separators=(",", ":"))

    # one tensor per safetensors dtype
    st = collections.OrderedDict((k, t[k].contiguous()) for k in ["f16", "bf16", "i64", "i32", "i16", "i8", "u8", "bool", "f64", "scalar", "mat_t", "empty"])
    write_safetensors(os.path.join(OUT, "all_dtypes.safetensors"), st, {"note": "written by make_nn_goldens.py"})

    torch.save({"w": torch.ones(2)}, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(nn.Linear(2, 2), os.path.join(OUT, "module_object.pth"))


def main():
    with open(os.path.join(OUT, "layers.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": layers()}, f, separators=(",", ":"))
    init_goldens()
    checkpoints()


if __name__ == "__main__":
    main()
