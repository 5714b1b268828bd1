#!/usr/bin/env python3
"""ONNX goldens for EncoderZoo.LoadWeights: zoo encoders other than ResNet exported from PyTorch to ONNX.

Run with /usr/bin/python3 from anywhere, after make_zoo_golden.py (it reads that script's narrow torch.save files).
Writes into tests/data/golden/zoo/:
  <name>.onnx       the narrow encoder of <name>.pt exported with torch.onnx.export(training=TRAINING,
                    do_constant_folding=False): nothing is folded, so the initializers keep the state-dict names and
                    values of <name>.pt (the C# test loads both and compares every tensor and the logits).
  <name>.eval.onnx  (Xception only) the same network exported in eval mode with constant folding (PyTorch's default): BatchNorm is
                    folded into the convolutions and the folded weights get generated names, so a strict load must
                    name the keys it cannot find.
(The onnx package is not installed here; the C# test, EncoderZooOnnxTests, is the check of the names and values.)
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import zoo_peers as z  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "zoo"))


def export(name, net, in_chans, eval_export):
    sd = torch.load(os.path.join(OUT, name + ".pt"))
    net.load_state_dict(sd)
    x = torch.rand(1, in_chans, 64, 64, generator=torch.Generator().manual_seed(5))
    net.train()
    # Tracing runs the network forward in training mode: with momentum 0 BatchNorm leaves its running statistics as
    # loaded, so the exported values are those of <name>.pt.
    for m in net.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = 0.0
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(net, x, path, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False, opset_version=13)
    print(path, os.path.getsize(path), "bytes")
    if eval_export:
        net.load_state_dict(sd)
        net.eval()
        path = os.path.join(OUT, name + ".eval.onnx")
        torch.onnx.export(net, x, path, opset_version=13)
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    export("efficientnet_narrow_1ch", z.EfficientNet(0.25, 0.25, in_chans=1, num_classes=3), 1, False)
    export("xception_narrow_1ch", z.Xception(in_chans=1, num_classes=5, widths=(8, 16, 16, 24, 32, 2, 48, 64, 96)), 1, True)
