#!/usr/bin/env python3
"""Golden files for Thorax.Models.Vig (Vision GNN, GMG, GDC, GD-ViG), made with /usr/bin/python3 (torch 1.13, numpy).

Oracles: the authors' own modules, imported at generation time from the local mirrors that the repository's `fetch`
tool makes (nothing of their code is in this script or in the repository):
  * huawei-noah/Efficient-AI-Backbones  vig_pytorch/{pyramid_vig.py, vig.py, gcn_lib/*}   (--vig-mirror)
  * IPMI-NWU/GD-ViG  End2End_{SIIMACR,EGDCXR}/models/GAViG/{GAViG.py, vig.py, vigunet.py}   (--gdvig-mirror)
The files are extracted with `git archive HEAD` into a temporary folder and put on sys.path.

vig_pytorch imports a few pieces of `timm`, which is not installable here; a stand-in module tree is written into the
temporary folder from the documented behaviour of those pieces (DropPath = per-sample stochastic depth, identity in
eval; to_2tuple; trunc_normal_ = truncated normal init; register_model = identity decorator; ImageNet mean/std
constants). None of them influences an eval-mode forward except as identities. numpy >= 1.24 removed `np.float`,
which gcn_lib/pos_embed.py uses; the script aliases it to float before the import.

Writes into tests/data/golden/gdvig/:
  vig_reduced.json, pvig_reduced.pth, isovig_reduced.pth
      huawei pyramid ViG (channels [16,32,48,64], blocks [2,2,4,2] (dilations 1,1,1,1,2,2,2,2,3,3), 10 classes, relative_pos=True as the reference
      hard-codes) and isotropic ViG (32 channels, 8 blocks, 10 classes), seeded init, BatchNorm statistics and
      pos_embed randomised, the last BatchNorm of every residual branch scaled by 0.2; torch.save state dicts (pyramid: without the 1xNxM `relative_pos` buffers, which are
      recomputed by the C# port and checked against slices stored in the JSON); a fixed 2x3x224x224 input (recipe values under the key "input"); eval
      logits in float32 and float64 (the same weights run with model.double()); for the pyramid model also float64
      gradients of sum(logits * 0.1 * (1..10)) for six parameters and the input.
  gdvig_{egdcxr,siim}.json
      the authors' full GAViG (GD-ViG) for each variant with weights from a seed-reproducible recipe (below), a fixed
      1x1x224x224 input made exactly like the authors' test transform; logits and the GMG gaze map (float32 and
      float64 runs), the GDC (ViG_Gaze) alone on a given gaze map, the recipe's checksum, and what the reference does
      with a constant gaze map (NaN in its KNN distance).
  gdvig_{egdcxr,siim}_checkpoint.pth
      a `torch.save({"model": state_dict, "optimizer": {...}, "epoch": 7}, ...)` file with the authors' exact keys,
      shapes and dtypes (from GAViG(...).state_dict()), every tensor saved as a stride-0 view of a one-element storage
      filled with the recipe's first value for that key, so the file stays a few kB; the tests load it strictly.

Why a recipe: the authors' constructors hard-code the channel widths (ViG-S / ViG-Ti), so reduced models cannot be
built from their code, and the full weights (tens of MB) exceed the golden size budget. The recipe gives every
state-dict entry deterministic values computed with integer hashing and IEEE float64 arithmetic only, so C#
(tests/Thorax.Models.Tests/Vig/WeightRecipe.cs) produces bit-identical float32 weights:
  h = FNV-1a-32(utf8 key); for flat element i: x = h ^ (i * 0x9E3779B9 mod 2^32); murmur3 fmix32(x); u = x / 2^32;
  s = 2u - 1;  running_var: 0.5 + u;  running_mean: 0.1 s;  num_batches_tracked: 0;  BatchNorm weight: 1 + 0.25 s;
  BatchNorm bias: 0.1 s;  any other weight of rank >= 2: s * sqrt(3 / (numel / shape[0]));  pos_embed: 0.05 s;
  any other rank-1 tensor: 0.05 s.  Values are rounded to float32.

  gdvig_cli_input.png, gdvig_cli_egdcxr.json, gdvig_cli_siim.json
      an 8-bit 256x240 grey PNG, its tensor after the authors' test transform (cv2 resize + albumentations Normalize
      as albumentations 1.x computes it, + /255), and the EGD-CXR and SIIM GAViGs' float64 logits and gaze maps on
      recipe weights.

Run: /usr/bin/python3 tools/golden/gdvig/make_gdvig_golden.py [--vig-mirror DIR] [--gdvig-mirror DIR]
"""
import argparse
import base64
import json
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gdvig_reference import DEFAULT_MIRROR, extract, import_gavig  # noqa: E402
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "gdvig"))

TIMM_SHIM = {
    "timm/__init__.py": "",
    "timm/data/__init__.py": (
        "IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)\n"
        "IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)\n"),
    "timm/models/__init__.py": "",
    "timm/models/helpers.py": (
        "def load_pretrained(*args, **kwargs):\n"
        "    raise RuntimeError('stand-in timm: no pretrained weights')\n"),
    "timm/models/registry.py": "def register_model(fn):\n    return fn\n",
    "timm/models/layers.py": (
        "import collections.abc\nimport torch\nfrom torch import nn\n\n"
        "def to_2tuple(v):\n"
        "    return tuple(v) if isinstance(v, collections.abc.Iterable) and not isinstance(v, str) else (v, v)\n\n"
        "def trunc_normal_(t, mean=0., std=1., a=-2., b=2.):\n"
        "    with torch.no_grad():\n"
        "        t.normal_(mean, std)\n"
        "        return t.clamp_(a, b)\n\n"
        "class DropPath(nn.Module):\n"
        "    def __init__(self, drop_prob=0.):\n"
        "        super().__init__()\n"
        "        self.drop_prob = drop_prob\n"
        "    def forward(self, x):\n"
        "        if self.drop_prob == 0. or not self.training:\n"
        "            return x\n"
        "        keep = 1. - self.drop_prob\n"
        "        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)\n"
        "        return x * mask / keep\n"),
}


def enc(t, dtype="float32"):
    t = t.detach().contiguous().cpu()
    if dtype == "float64":
        arr = t.double().numpy().astype("<f8")
    elif dtype == "int64":
        arr = t.long().numpy().astype("<i8")
    else:
        arr = t.float().numpy().astype("<f4")
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(arr.tobytes()).decode("ascii")}


# ------------------------------------------------------------------------------------------------ weight recipe
M32 = np.uint64(0xFFFFFFFF)


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def recipe_unit(key, n):
    i = np.arange(n, dtype=np.uint64)
    x = (np.uint64(fnv1a32(key)) ^ ((i * np.uint64(0x9E3779B9)) & M32)) & M32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & M32
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & M32
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 4294967296.0


def recipe_value(key, shape, keys):
    n = int(np.prod(shape)) if len(shape) else 1
    u = recipe_unit(key, n)
    s = 2.0 * u - 1.0
    prefix = key.rsplit(".", 1)[0] + "." if "." in key else ""
    is_bn = (prefix + "running_var") in keys
    if key.endswith("num_batches_tracked"):
        return None
    if key.endswith("running_var"):
        v = 0.5 + u
    elif key.endswith("running_mean"):
        v = 0.1 * s
    elif is_bn and key.endswith(".weight"):
        v = 1.0 + 0.25 * s
    elif is_bn and key.endswith(".bias"):
        v = 0.1 * s
    elif len(shape) >= 2 and key.endswith("weight"):
        v = s * np.sqrt(3.0 / (n / shape[0]))
    elif key.endswith("pos_embed"):
        v = 0.05 * s
    else:
        v = 0.05 * s
    return v.astype(np.float32).reshape(shape)


def apply_recipe(model):
    sd = model.state_dict()
    keys = set(sd.keys())
    total = 0.0
    with torch.no_grad():
        for k, t in sd.items():
            v = recipe_value(k, tuple(t.shape), keys)
            if v is None:
                t.zero_()
                continue
            t.copy_(torch.from_numpy(v))
            total += float(np.abs(v.astype(np.float64)).sum())
    return total


# ------------------------------------------------------------------------------------------------ inputs
def authors_input():
    """A fixed 224x224 8-bit pattern put through the authors' test transform: Normalize(.456, .224, 255) then /255."""
    yy, xx = np.meshgrid(np.arange(224), np.arange(224), indexing="ij")
    p = (128 + 90 * np.sin(xx / 17.0) * np.cos(yy / 23.0) + 30 * np.sin((xx + 2 * yy) / 7.0)).round().clip(0, 255)
    p = p.astype(np.float32)
    img = ((p / np.float32(255.0) - np.float32(0.456)) / np.float32(0.224)) / np.float32(255.0)
    return torch.from_numpy(img.astype(np.float32)).view(1, 1, 224, 224)


def gaze_input():
    yy, xx = np.meshgrid(np.arange(224), np.arange(224), indexing="ij")
    g = np.exp(-(((xx - 80.0) / 30.0) ** 2 + ((yy - 120.0) / 45.0) ** 2)) + 0.5 * np.exp(-(((xx - 160.0) / 20.0) ** 2 + ((yy - 70.0) / 25.0) ** 2))
    return torch.from_numpy(g.astype(np.float32)).view(1, 1, 224, 224)


def rgb_input(b):
    """Recipe-hashed values in [-1, 1) (key "input"), so the C# test rebuilds the same float32 input bit for bit."""
    n = b * 3 * 224 * 224
    return torch.from_numpy((2.0 * recipe_unit("input", n) - 1.0).astype(np.float32).reshape(b, 3, 224, 224))


def randomise_bn_and_pos(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
                m.weight.copy_(1.0 + 0.25 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
        model.pos_embed.copy_(0.05 * torch.randn(model.pos_embed.shape, generator=g))


# ------------------------------------------------------------------------------------------------ huawei ViG
def make_vig_golden(vig_mirror, tmp):
    extract(vig_mirror, ["vig_pytorch"], tmp)
    for rel, text in TIMM_SHIM.items():
        p = os.path.join(tmp, "shim", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    sys.path.insert(0, os.path.join(tmp, "shim"))
    sys.path.insert(0, os.path.join(tmp, "vig_pytorch"))
    if not hasattr(np, "float"):
        np.float = float  # removed in numpy 1.24; gcn_lib/pos_embed.py uses it
    import pyramid_vig
    import vig as iso_vig

    class PyrOpt:
        k = 9; conv = "mr"; act = "gelu"; norm = "batch"; bias = True; dropout = 0.0; use_dilation = True
        epsilon = 0.2; use_stochastic = False; drop_path = 0.0; blocks = [2, 2, 4, 2]; channels = [16, 32, 48, 64]
        n_classes = 10; emb_dims = 1024

    class IsoOpt:
        k = 9; conv = "mr"; act = "gelu"; norm = "batch"; bias = True; dropout = 0.0; use_dilation = True
        epsilon = 0.2; use_stochastic = False; drop_path = 0.0; n_blocks = 8; n_filters = 32; n_classes = 10

    out = {"input": "recipe key 'input', shape [2,3,224,224], values 2u-1 rounded to float32",
           "input_abs_sum": float(rgb_input(2).double().abs().sum())}
    x = rgb_input(2)
    for name, ctor, opt, seed in [("pyramid", pyramid_vig.DeepGCN, PyrOpt, 7), ("isotropic", iso_vig.DeepGCN, IsoOpt, 8)]:
        torch.manual_seed(seed)
        model = ctor(opt()).eval()
        randomise_bn_and_pos(model, seed + 100)
        if True:
            # keep activations O(1) through the residual blocks (kaiming init + random BN otherwise grows the
            # logits to ~1e5-1e7, where float32 near-ties in the KNN flip neighbours and the logits move by ~1%): scale the
            # last BatchNorm of every residual branch by 0.2, as trained residual branches are small
            with torch.no_grad():
                for k, v in model.state_dict().items():
                    if k.endswith("fc2.1.weight") or k.endswith("fc2.1.bias"):
                        v.mul_(0.2)
        sd = model.state_dict()
        rel = {k: v for k, v in sd.items() if k.endswith("relative_pos")}
        kept = {k: v for k, v in sd.items() if not k.endswith("relative_pos")}
        fname = "pvig_reduced.pth" if name == "pyramid" else "isovig_reduced.pth"
        torch.save(kept, os.path.join(OUT, fname))
        with torch.no_grad():
            y32 = model(x)
            y64 = model.double()(x.double())
        grads = {}
        if name == "pyramid":
            # float64 backward of sum(logits * c), c = 0.1 * (1 .. classes), in eval mode: gradients of a few parameters
            # (stem, the first grapher's fc1 and grouped graph conv, a stage-2 grapher, the head) and of the input
            m64 = model.double()
            m64.zero_grad()
            xi = x.double().clone().requires_grad_(True)
            c = 0.1 * torch.arange(1, opt.n_classes + 1, dtype=torch.float64)
            (m64(xi) * c).sum().backward()
            names = ["stem.convs.0.weight", "backbone.0.0.fc1.0.weight", "backbone.0.0.graph_conv.gconv.nn.0.weight",
                     "backbone.6.0.graph_conv.gconv.nn.0.bias", "backbone.6.1.fc2.0.weight", "prediction.4.weight"]
            params = dict(m64.named_parameters())
            grads = {"params": {n: enc(params[n].grad, "float64") for n in names},
                     "input_abs_sum": float(xi.grad.abs().sum()), "input_row": enc(xi.grad[1, 2, 100], "float64")}
            model.float()
        entry = {
            "grads_f64": grads,
            "weights": fname,
            "channels": list(opt.channels) if name == "pyramid" else opt.n_filters,
            "blocks": list(opt.blocks) if name == "pyramid" else opt.n_blocks,
            "num_classes": opt.n_classes,
            "logits_f32": enc(y32),
            "logits_f64": enc(y64, "float64"),
            "relative_pos_keys": sorted(rel.keys()),
            # rows 0, 1, 57 and the last row of each relative_pos buffer (float32), enough to pin the sin-cos/bicubic maths
            "relative_pos_rows": {k: enc(v.float()[0, [0, 1, 57 % v.shape[1], v.shape[1] - 1], :]) for k, v in rel.items()},
            "relative_pos_shapes": {k: list(v.shape) for k, v in rel.items()},
        }
        out[name] = entry
    with open(os.path.join(OUT, "vig_reduced.json"), "w") as f:
        json.dump(out, f)
    sys.path.remove(os.path.join(tmp, "vig_pytorch"))
    for mod in ["gcn_lib", "gcn_lib.torch_nn", "gcn_lib.torch_edge", "gcn_lib.torch_vertex", "gcn_lib.pos_embed", "vig", "pyramid_vig"]:
        sys.modules.pop(mod, None)


# ------------------------------------------------------------------------------------------------ GD-ViG
class TopkNanProbe:
    """Wraps torch.topk while active and records whether any input held NaN (the reference's constant-gaze defect)."""

    def __init__(self):
        self.calls = 0
        self.nan_calls = 0
        self._orig = None

    def __enter__(self):
        self._orig = torch.topk
        probe = self

        def topk(input, *a, **kw):
            probe.calls += 1
            if torch.isnan(input).any():
                probe.nan_calls += 1
            return probe._orig(input, *a, **kw)

        torch.topk = topk
        return self

    def __exit__(self, *exc):
        torch.topk = self._orig


def make_gdvig_golden(gdvig_mirror, tmp):
    x = authors_input()
    gaze = gaze_input()
    for variant, classes in [("egdcxr", 3), ("siim", 2)]:
        GAViG = import_gavig(gdvig_mirror, tmp, variant)["GAViG"]
        torch.manual_seed(0)
        model = GAViG(num_classes=classes).eval()
        checksum = apply_recipe(model)
        sd = model.state_dict()
        # tiny strict-loading checkpoint: the authors' keys/shapes/dtypes, stride-0 views of one-element storages
        tiny = {}
        keys = set(sd.keys())
        for k, t in sd.items():
            v = recipe_value(k, tuple(t.shape), keys)
            first = 0 if v is None else float(v.reshape(-1)[0])
            tiny[k] = torch.full((1,), first, dtype=t.dtype).expand(t.shape) if t.dim() else torch.tensor(first, dtype=t.dtype)
        ck = os.path.join(OUT, f"gdvig_{variant}_checkpoint.pth")
        torch.save({"model": tiny, "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "weight_decay": 0.01}]}, "epoch": 7}, ck)

        res = {"variant": variant, "num_classes": classes, "input": enc(x), "gaze_input": enc(gaze),
               "recipe_abs_sum": checksum, "state_dict_keys": len(sd),
               "first_keys": list(sd.keys())[:6], "checkpoint": os.path.basename(ck),
               "checkpoint_first_values": {k: float(tiny[k].reshape(-1)[0]) for k in list(sd.keys())[:40]}}
        with torch.no_grad():
            for prec in ["f32", "f64"]:
                m = model if prec == "f32" else model.double()
                xi = x if prec == "f32" else x.double()
                gi = gaze if prec == "f32" else gaze.double()
                dt = "float32" if prec == "f32" else "float64"
                logits = m(xi)
                gmap = m.get_gaze()
                res["logits_" + prec] = enc(logits, dt)
                res["gaze_map_" + prec] = enc(gmap, dt)
                res["gdc_logits_" + prec] = enc(m.vig(torch.stack([xi, gi], dim=0)), dt)
            # constant gaze map: the reference divides 0 by 0 in its min-max normalisation
            const = torch.full_like(gaze, 0.25).double()
            with TopkNanProbe() as probe:
                y = model.vig(torch.stack([x.double(), const], dim=0))
            res["constant_gaze"] = {"value": 0.25, "topk_calls": probe.calls, "topk_calls_with_nan": probe.nan_calls,
                                    "reference_logits_f64": enc(y, "float64"),
                                    "reference_logits_finite": bool(torch.isfinite(y).all())}
        model.float()
        with open(os.path.join(OUT, f"gdvig_{variant}.json"), "w") as f:
            json.dump(res, f)
        print(variant, "logits", res["logits_f32"]["shape"], "abs-sum", checksum)


def albumentations_test_input(img8):
    """The authors' EGD-CXR test transform on an 8-bit grey image, computed as albumentations 1.x does it:
    cv2.resize INTER_LINEAR to 224x224 (uint8), Normalize: mean, std as float32 arrays times max_pixel_value 255,
    (img.astype(float32) - mean) * reciprocal(std) in float32; ToTensorV2; then the reference's `/255.`."""
    import cv2
    r = cv2.resize(img8, (224, 224), interpolation=cv2.INTER_LINEAR)
    mean = np.array(0.456, dtype=np.float32) * np.float32(255.0)
    std = np.array(0.224, dtype=np.float32) * np.float32(255.0)
    den = np.reciprocal(std, dtype=np.float32)
    x = (r.astype(np.float32) - mean) * den
    return torch.from_numpy(x).view(1, 1, 224, 224) / 255.


def make_cli_golden(gdvig_mirror, tmp):
    """gdvig_cli_egdcxr.json + gdvig_cli_input.png: an 8-bit 256x240 PNG through the authors' test transform and their
    EGD-CXR GAViG with recipe weights run in float64 (the CLI test runs `thorax gdvig predict --precision fp64`)."""
    import cv2
    yy, xx = np.meshgrid(np.arange(240), np.arange(256), indexing="ij")
    img8 = ((xx * 7 + yy * 13 + (xx * yy) % 29) % 256).astype(np.uint8)
    png = os.path.join(OUT, "gdvig_cli_input.png")
    cv2.imwrite(png, img8)
    assert (cv2.imread(png, cv2.IMREAD_UNCHANGED) == img8).all()
    x = albumentations_test_input(img8)
    GAViG = import_gavig(gdvig_mirror, tmp, "egdcxr")["GAViG"]
    model = GAViG(num_classes=3).eval()
    apply_recipe(model)
    with torch.no_grad():
        m = model.double()
        logits = m(x.double())
        gaze = m.get_gaze()
    res = {"variant": "egdcxr", "image": os.path.basename(png), "input_f32": enc(x), "logits_f64": enc(logits, "float64"),
           "gaze_map_f64_as_f32": enc(gaze)}
    with open(os.path.join(OUT, "gdvig_cli_egdcxr.json"), "w") as f:
        json.dump(res, f)
    # the SIIM variant on the same PNG (its test transform is the same Resize(224) + Normalize + /255; the input is
    # in gdvig_cli_egdcxr.json): the authors' SIIM GAViG (ViG-S widths, the stacked 1000 -> 2 head) in float64
    GAViG = import_gavig(gdvig_mirror, tmp, "siim")["GAViG"]
    model = GAViG(num_classes=2).eval()
    apply_recipe(model)
    with torch.no_grad():
        m = model.double()
        logits = m(x.double())
        gaze = m.get_gaze()
    res = {"variant": "siim", "image": os.path.basename(png), "input_in": "gdvig_cli_egdcxr.json",
           "logits_f64": enc(logits, "float64"), "gaze_map_f64_as_f32": enc(gaze)}
    with open(os.path.join(OUT, "gdvig_cli_siim.json"), "w") as f:
        json.dump(res, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vig-mirror", default="/work/.mirror/huawei-noah+Efficient-AI-Backbones/repo")
    ap.add_argument("--gdvig-mirror", default=DEFAULT_MIRROR)
    ap.add_argument("--only", choices=["vig", "gdvig", "cli"], default=None)
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        if a.only in (None, "vig"):
            make_vig_golden(a.vig_mirror, os.path.join(tmp, "vig") if os.makedirs(os.path.join(tmp, "vig")) is None else None)
        if a.only in (None, "gdvig"):
            d = os.path.join(tmp, "gdvig")
            os.makedirs(d)
            make_gdvig_golden(a.gdvig_mirror, d)
        if a.only in (None, "cli"):
            d = os.path.join(tmp, "cli")
            os.makedirs(d)
            make_cli_golden(a.gdvig_mirror, d)
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)))


if __name__ == "__main__":
    main()
