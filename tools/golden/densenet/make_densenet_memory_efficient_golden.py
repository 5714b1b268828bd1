#!/usr/bin/env python3
"""Golden for DenseNet's memory_efficient option (Thorax.Models.Encoders.DenseNet.MemoryEfficient), with torchvision 0.14
(python3-torchvision; torch 1.13) as the oracle: torchvision's DenseNet(memory_efficient=True) checkpoints each dense
layer's bottleneck (cat + norm1 + relu1 + conv1) with torch.utils.checkpoint (reentrant), which recomputes it in the
backward pass.

Run with /usr/bin/python3 from anywhere, after make_densenet_golden.py (it reads densenet_reduced.pt, the reduced
torchvision DenseNet: growth 8, blocks (2,2,2,2), 16 initial features, bn_size 4, 5 classes, seeded weights and
BatchNorm statistics). Writes tests/data/golden/densenet/memory_efficient.json: a fixed input [2,3,64,48], for
memory_efficient False and True one training-mode forward and backward of loss = sum(logits * w) (w fixed), the logits,
the gradient of the input and of every parameter, and every buffer after the step (running statistics, batch counts),
plus, for the memory-efficient model in eval mode, one forward and backward (what Grad-CAM does: no statistics change).
"""
import json
import os
import sys

import torch
import torchvision.models as tvm

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from golden_io import enc  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "densenet"))
CFG = dict(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=4, num_classes=5)


def run(memory_efficient, train, x, w):
    net = tvm.DenseNet(memory_efficient=memory_efficient, **CFG)
    net.load_state_dict(torch.load(os.path.join(OUT, "densenet_reduced.pt")))
    net.train(train)
    xi = x.clone().requires_grad_(True)
    logits = net(xi)
    loss = (logits * w).sum()
    loss.backward()
    out = {"logits": enc(logits), "loss": float(loss), "input_grad": enc(xi.grad),
           "grads": {k: enc(p.grad) for k, p in net.named_parameters()},
           "buffers": {k: enc(b) for k, b in net.named_buffers()}}
    return out


def main():
    g = torch.Generator().manual_seed(31)
    x = torch.rand(torch.Size([2, 3, 64, 48]), generator=g)
    w = torch.randn(torch.Size([2, 5]), generator=g)
    doc = {"generator": "tools/golden/densenet/make_densenet_memory_efficient_golden.py", "torch": torch.__version__,
           "weights": "densenet_reduced.pt", "config": {k: list(v) if isinstance(v, tuple) else v for k, v in CFG.items()},
           "input": enc(x), "loss_weights": enc(w),
           "plain_train": run(False, True, x, w), "efficient_train": run(True, True, x, w),
           "efficient_eval": run(True, False, x, w)}
    # what the checkpoint changes: gradients equal to rounding, norm1 statistics updated a second time in backward
    p, e = doc["plain_train"], doc["efficient_train"]
    with open(os.path.join(OUT, "memory_efficient.json"), "w") as f:
        json.dump(doc, f)
    print("memory_efficient.json", os.path.getsize(os.path.join(OUT, "memory_efficient.json")))
    print("batches tracked, norm1 of denselayer1 (plain, efficient):",
          p["buffers"]["features.denseblock1.denselayer1.norm1.num_batches_tracked"]["b64"],
          e["buffers"]["features.denseblock1.denselayer1.norm1.num_batches_tracked"]["b64"])


if __name__ == "__main__":
    main()
