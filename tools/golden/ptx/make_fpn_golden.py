#!/usr/bin/env python3
"""Golden file for Thorax.Models.Segmentation.Fpn, with tools/ptx/ptx_peer.py (torch 1.13) as the oracle.

Run with /usr/bin/python3 from anywhere. Writes tests/data/golden/ptx/fpn.json: per case the configuration, the
state-dict key list (weights are hashed, tools/golden/common/hashed_weights.py, so the 11 M parameters are not
committed; the C# test rebuilds them from the key list and loads them strictly), the input and the eval-mode logits.
Cases: ResNet-18 FPN with pyramid 64 / segmentation 32 channels on a 3-channel 64x64 input, and a 1-channel ResNet-18
FPN with smp's default widths (256 / 128) on a 64x96 input.
"""
import base64
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "ptx"))
import hashed_weights  # noqa: E402
import ptx_peer  # noqa: E402
from golden_io import enc  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "ptx"))


def main():
    os.makedirs(OUT, exist_ok=True)
    doc = {"generator": "tools/golden/ptx/make_fpn_golden.py", "torch": torch.__version__, "cases": []}
    for name, in_chans, pyramid, seg, shape, seed in [("r18_p64_s32", 3, 64, 32, (1, 3, 64, 64), 1),
                                                       ("r18_1ch_default", 1, 256, 128, (1, 1, 64, 96), 2)]:
        net = ptx_peer.FPN("resnet18", in_chans=in_chans, pyramid=pyramid, segmentation=seg)
        keys = hashed_weights.fill(net)
        net.eval()
        x = torch.rand(torch.Size(shape), generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            y = net(x)
            feats = net.encoder(x)
            dec = net.decoder(*feats)
        doc["cases"].append({"name": name, "in_chans": in_chans, "pyramid_channels": pyramid, "segmentation_channels": seg,
                             "keys": keys, "input": enc(x), "logits": enc(y), "decoder_mean": float(dec.mean())})
    path = os.path.join(OUT, "fpn.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
