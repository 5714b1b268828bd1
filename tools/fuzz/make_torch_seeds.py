#!/usr/bin/env python3
"""Small torch.save seeds for `thorax fuzz --format torch` (run with /usr/bin/python3, torch 1.13, from the repo root).

The fuzz family's seeds are these files plus tests/data/golden/nn/*.pth (every torch.save file under 64 KB found in the
seed folders). Each is a few KB so that a case costs about a millisecond, and together they cover what the reader
(Thorax.Models.Weights.TorchCheckpoint) handles in the larger goldens:

  dtypes.pt     every storage type the reader knows (float32/64/16, bfloat16, int64/32/16/8, uint8, bool), 0-dim and
                empty tensors, an nn.Parameter
  views.pt      tensors sharing one storage: slices with a storage offset, a transpose, a column (stride 8), a
                stride-0 expand (small), the same tensor twice (pickle memo)
  nested.pt     a training checkpoint: model state dict (OrderedDict), Adam state (dicts keyed by int, tuples, lists),
                epoch, strings, None, bools, large and negative ints, floats
  many.pt       a zip with 160 storages (one tiny tensor each) under 'layers.N.weight' keys
  proto4.pt     a state dict saved with pickle protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE opcodes)
"""
import collections
import os

import torch

OUT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "fuzz", "torch"))
os.makedirs(OUT, exist_ok=True)
g = torch.Generator().manual_seed(20261207)


def rnd(*shape):
    return torch.randn(*shape, generator=g)


def save(obj, name, **kw):
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kw)
    print(name, os.path.getsize(path), "bytes")


save({
    "f32": rnd(3, 4),
    "f64": rnd(5).double(),
    "f16": rnd(2, 3).half(),
    "bf16": rnd(4).bfloat16(),
    "i64": torch.arange(-3, 3, dtype=torch.int64),
    "i32": torch.tensor([2**31 - 1, -2**31, 0], dtype=torch.int32),
    "i16": torch.tensor([[1, -2], [300, -32768]], dtype=torch.int16),
    "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
    "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
    "scalar": torch.tensor(3.5),
    "empty": torch.zeros(0, 3),
    "param": torch.nn.Parameter(rnd(2, 2)),
}, "dtypes.pt")

base = torch.arange(64, dtype=torch.float32)
square = base.view(8, 8)
shared = rnd(4)
save(collections.OrderedDict([
    ("base", base),
    ("slice", base[8:16]),
    ("transposed", square.t()),
    ("column", square[:, 2]),
    ("block", square[2:5, 3:7]),
    ("expanded", torch.ones(1, 4).expand(3, 4)),
    ("ints_offset", torch.arange(20, dtype=torch.int64)[5:15:2]),
    ("same_a", shared),
    ("same_b", shared),
]), "views.pt")

model = collections.OrderedDict([
    ("conv.weight", rnd(2, 1, 3, 3)), ("conv.bias", rnd(2)),
    ("bn.weight", torch.ones(2)), ("bn.bias", torch.zeros(2)),
    ("bn.running_mean", rnd(2)), ("bn.running_var", torch.ones(2)),
    ("bn.num_batches_tracked", torch.tensor(7)),
    ("fc.weight", rnd(3, 2)), ("fc.bias", rnd(3)),
])
save({
    "model": model,
    "optimizer": {
        "state": {0: {"step": torch.tensor(5.0), "exp_avg": rnd(2, 1, 3, 3), "exp_avg_sq": rnd(2, 1, 3, 3).abs()},
                  1: {"step": torch.tensor(5.0), "exp_avg": rnd(2), "exp_avg_sq": rnd(2).abs()}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                          "params": [0, 1]}],
    },
    "epoch": 3,
    "best_dice": 0.8125,
    "name": "unet — lungs",
    "notes": None,
    "deterministic": True,
    "seed": 2**40 + 3,
    "offset": -5,
    "history": [(1, 0.5), (2, 0.25), (3, 0.125)],
}, "nested.pt")

save(collections.OrderedDict((f"layers.{i}.weight", rnd(2) if i % 3 else torch.tensor([i], dtype=torch.int64))
                             for i in range(160)), "many.pt")

save(collections.OrderedDict([("a.weight", rnd(3, 3)), ("a.bias", rnd(3)), ("b.weight", rnd(2, 3).half())]),
     "proto4.pt", pickle_protocol=4)
