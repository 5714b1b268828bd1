#!/usr/bin/env python3
"""End-to-end parity check of `thorax saliency predict` against the authors' code (run by hand; needs no GPU).

Steps (the 80-270 MB weight files are not committed):
  /usr/bin/python3 tools/golden/saliency/make_mtl_unet_golden.py --save-pt /tmp/cxrgaze-pt
  ./thorax saliency predict --weights /tmp/cxrgaze-pt/cxrgazelearn_final.pt IMAGE.png --json --maps /tmp/maps > /tmp/e2e.json
  /usr/bin/python3 tools/golden/saliency/check_predict_e2e.py --weights /tmp/cxrgaze-pt/cxrgazelearn_final.pt \
      --image IMAGE.png --json /tmp/e2e.json --npy /tmp/maps/IMAGE.npy
IMAGE must be an 8-bit grey PNG of 320x256 (H x W), the size the reference's preparation produces (used as is,
divided by its maximum). The authors' MTL_UNet_preset is imported from the fetched mirror exactly as the golden
script does, loads the same torch.save file, and the script prints the max abs/rel differences of the class logits
and of the saliency log-probabilities (.npy).
"""
import argparse
import json
import os
import sys
import tempfile

import cv2
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_mtl_unet_golden as golden  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default="/work/.mirror/HealthX-Lab+CXRGazeLearn/repo")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--npy", required=True)
    a = ap.parse_args()
    a.weights, a.image, a.json, a.npy = map(os.path.abspath, (a.weights, a.image, a.json, a.npy))
    golden.install_stubs()
    with tempfile.TemporaryDirectory() as tmp:
        mod = golden.load_reference(a.mirror, "Module", golden.FILES["final"][1], tmp)
        os.chdir("/")
        net = mod.MTL_UNet_preset(device=torch.device("cpu"), out_dict={"class": 3, "image": 1},
                                  loss_dict={"class": 0.0, "image": None})
    net.load_state_dict(torch.load(a.weights))
    net.eval()
    img = cv2.imread(a.image, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255.0
    assert img.shape == (320, 256), img.shape
    x = torch.tensor(img / img.max())[None, None]
    with torch.no_grad():
        c, s = net(x)
        lp = F.log_softmax(s.flatten(-2, -1), -1).reshape(s.shape)[0, 0].numpy()
    thorax = json.load(open(a.json))["images"][0]
    mine = np.load(a.npy)
    ref = c[0].numpy()
    dl = np.abs(np.array(thorax["class_logits"]) - ref)
    dm = np.abs(mine - lp)
    print("reference logits", ref.tolist(), "thorax", thorax["class_logits"])
    print("class logits: max abs %.3g, max rel %.3g" % (dl.max(), (dl / np.abs(ref)).max()))
    print("log-probabilities: max abs %.3g, max rel %.3g (npy %s %s)" % (dm.max(), (dm / np.abs(lp)).max(), mine.shape, mine.dtype))


if __name__ == "__main__":
    main()
