#!/usr/bin/env python3
"""Golden files for Thorax.Models.Encoders.DenseNet, with torchvision 0.14 (python3-torchvision) as the oracle.

Run with /usr/bin/python3 from anywhere. Writes into tests/data/golden/densenet/:
  densenet_reduced.pt          torch.save(state_dict) of torchvision's DenseNet class at a reduced configuration
                               (growth 8, blocks (2,2,2,2), 16 initial features, bn_size 4, 5 classes), seeded random
                               weights and random BatchNorm statistics (so loading the torch.save file is tested).
  densenet_reduced_1ch.pt      the same class with a 1-channel conv0 (in_chans 1), other seed.
  densenet.json                per model: configuration, input, eval-mode logits and the captured maps
                               (denseblock1..4 outputs, norm5 output as the reference's forward hook sees it, i.e.
                               after torchvision's in-place ReLU, and the BatchNorm output before it);
                               for torchvision's densenet121/169/201 (full size): the state-dict key list and outputs
                               with hashed weights (tools/golden/common/hashed_weights.py; 80 MB of weights are not
                               committed, the C# test regenerates them from the key list).
"""
import base64
import json
import os
import sys

import torch
import torch.nn as nn
import torchvision.models as tvm

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import hashed_weights  # noqa: E402
from golden_io import enc, randomise_state  # noqa: E402


def randomise(net, seed):
    randomise_state(net, seed, batches_tracked=7)

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "densenet"))


def capture(net, x):
    """Eval-mode logits and the maps forward hooks see (as CXRGazeLearn's UNet_Chunk registers them)."""
    seen = {}
    hooks = []
    for i in range(1, 5):
        hooks.append(getattr(net.features, "denseblock%d" % i).register_forward_hook(
            lambda m, a, o, i=i: seen.__setitem__("denseblock%d" % i, o)))
    hooks.append(net.features.norm5.register_forward_hook(
        lambda m, a, o: seen.__setitem__("norm5_bn", o.clone()) or seen.__setitem__("norm5_hooked", o)))
    with torch.no_grad():
        logits = net(x)
    for h in hooks:
        h.remove()
    out = {"logits": enc(logits)}
    for k, v in seen.items():
        out[k] = enc(v)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    doc = {"generator": "tools/golden/densenet/make_densenet_golden.py", "torch": torch.__version__,
           "reduced": [], "full": []}

    for name, in_chans, seed in [("densenet_reduced.pt", 3, 1), ("densenet_reduced_1ch.pt", 1, 2)]:
        cfg = dict(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=4, num_classes=5)
        net = tvm.DenseNet(**cfg)
        if in_chans == 1:
            net.features.conv0 = nn.Conv2d(1, 16, kernel_size=7, stride=2, padding=3, bias=False)
        randomise(net, seed)
        net.eval()
        torch.save(net.state_dict(), os.path.join(OUT, name))
        x = torch.rand(torch.Size([2, in_chans, 64, 48]), generator=torch.Generator().manual_seed(seed + 10))
        entry = {"file": name, "in_chans": in_chans, "config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
                 "input": enc(x), "keys": len(net.state_dict())}
        entry.update(capture(net, x))
        doc["reduced"].append(entry)

    for arch in ["densenet121", "densenet169", "densenet201"]:
        net = getattr(tvm, arch)(weights=None)
        keys = hashed_weights.fill(net)
        net.eval()
        x = torch.rand(torch.Size([1, 3, 64, 64]), generator=torch.Generator().manual_seed(5))
        entry = {"arch": arch, "keys": keys, "input": enc(x)}
        entry.update(capture(net, x))
        # keep the full-size entries small: pooled maps instead of whole maps for the intermediate taps
        for k in ["denseblock1", "denseblock2", "denseblock3", "norm5_bn"]:
            del entry[k]
        doc["full"].append(entry)

    with open(os.path.join(OUT, "densenet.json"), "w") as f:
        json.dump(doc, f)
    for fn in sorted(os.listdir(OUT)):
        print(fn, os.path.getsize(os.path.join(OUT, fn)))


if __name__ == "__main__":
    main()
