#!/usr/bin/env python3
"""Golden for Thorax.Models.Saliency (Qiu et al., HealthX-Lab/CXRGazeLearn): the authors' own model code is the oracle.

Run with /usr/bin/python3 (python3-torch 1.13, python3-torchvision 0.14, python3-opencv) after fetching the authors'
repository as a bare git directory (the default path is where the search tool's `fetch github:HealthX-Lab/CXRGazeLearn`
puts it; override with --mirror). At generation time the needed files are exported from that git directory into a
temporary folder and imported from there; nothing of the authors' code is copied into this repository.

  Module/hzhu_MTL_UNet.py  -> MTL_UNet_preset   (the final dual-encoder model, seed-specs 2.2)
  baseline/hzhu_MTL_UNet.py -> MTL_UNet_preset  (the MT-UNet baseline as this repository ships it, seed-specs 2.6)

Both are built at the size the authors' Linux runs use (filter_list [64,128,256,512,1024]; the constructor derives it
from the working directory, and Module/'s DenseNet bridge and classifier hard-code 1920 and 1984 channels, so a reduced
width is not possible without editing their code). The weights are therefore the hashed weights of
tools/golden/common/hashed_weights.py (the golden stores the state-dict key list; the C# test regenerates the values),
with out_dict {'class':3,'image':1} and loss_dict {'class':0.0,'image':None} as Module/RUN.py.

Stubs at generation time only: `classy_vision.generic.distributed_util` (imported, used only for multi-GPU
InfoNCE) and `torch.utils.tensorboard` (imported by hzhu_net for a visualisation helper) are not installed here;
torchvision's densenet201 is called with pretrained=True by the authors and is redirected to weights=None (no download;
all weights are overwritten anyway).

Writes tests/data/golden/saliency/mtl_unet.json: per model the key list, a fixed input [2,1,96,64] in [0,1], the eval-mode
class logits, the saliency log-probabilities (log_softmax over all H*W pixels, as hzhu_learn does), and
compute_loss(...) on fixed labels and gaze maps (CrossEntropyLoss, KLDivLoss(batchmean) on log-probabilities, targets
normalised per image to sum 1, as hzhu_learn.train_iterate).
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
import hashed_weights  # noqa: E402
from cxrgaze_reference import DEFAULT_MIRROR, FILES, build, install_stubs, load_reference  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "saliency"))


def enc(t, dtype="float32"):
    t = t.detach().contiguous().cpu()
    if dtype == "int64":
        return {"shape": list(t.shape), "dtype": "int64", "b64": base64.b64encode(t.numpy().astype("<i8").tobytes()).decode("ascii")}
    return {"shape": list(t.shape), "dtype": "float32", "b64": base64.b64encode(t.float().numpy().astype("<f4").tobytes()).decode("ascii")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=DEFAULT_MIRROR)
    ap.add_argument("--save-pt", default=None, metavar="DIR",
                    help="also write torch.save(net.state_dict()) of each model (hashed weights, ~80-120 MB each, NOT "
                         "committed) as DIR/cxrgazelearn_<kind>.pt, for the opt-in test named by THORAX_CXRGAZE_PT_DIR")
    args = ap.parse_args()
    if args.save_pt:
        args.save_pt = os.path.abspath(args.save_pt)
    commit = subprocess.run(["git", "--git-dir", args.mirror, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    install_stubs()
    os.makedirs(OUT, exist_ok=True)
    os.chdir("/")  # the authors pick filter_list [64..1024] when the working directory starts with '/'

    g = torch.Generator().manual_seed(16)
    x = torch.rand(torch.Size([2, 1, 96, 64]), generator=g)
    x[1] = x[1] ** 3  # two inputs with different statistics
    gaze = torch.rand(torch.Size([2, 1, 96, 64]), generator=g)
    gaze[:, :, :20] = 0  # zero target pixels contribute 0 to the KL term
    labels = torch.tensor([0, 2])
    doc = {"generator": "tools/golden/saliency/make_mtl_unet_golden.py", "reference_commit": commit,
           "torch": torch.__version__, "input": enc(x), "gaze": enc(gaze), "labels": enc(labels, "int64"), "models": {}}

    with tempfile.TemporaryDirectory() as tmp:
        for kind, (folder, files) in FILES.items():
            mod = load_reference(args.mirror, folder, files, tmp)
            net = build(mod)
            keys = hashed_weights.fill(net)
            if args.save_pt:
                os.makedirs(args.save_pt, exist_ok=True)
                torch.save(net.state_dict(), os.path.join(args.save_pt, "cxrgazelearn_%s.pt" % kind))
            net.eval()
            with torch.no_grad():
                y_class, y_image = net(x)
                shape = y_image.shape
                logp = F.log_softmax(y_image.flatten(start_dim=-2, end_dim=-1), dim=-1).reshape(shape)
                target = gaze / gaze.sum(dim=(-2, -1), keepdim=True)
                r = net.compute_loss(y_class_pred=y_class, y_image_pred=logp, y_class_true=labels, y_image_true=target,
                                     loss_class=nn.CrossEntropyLoss(), loss_image_list=[nn.KLDivLoss(reduction="batchmean")])
            doc["models"][kind] = {
                "folder": folder, "keys": keys, "filter_list": net.filter_list,
                "class_logits": enc(y_class), "saliency_logits": enc(y_image), "log_probabilities": enc(logp),
                "lg_sigma_class": float(net.lg_sigma_class), "loss_sum": float(r["loss_sum"]),
                "class_loss_raw": float(r["class_loss_raw"]), "image_loss_raw": float(r["image_loss_raw"]),
            }
            print(kind, len(keys), "keys", y_class.tolist(), float(r["loss_sum"]))

    path = os.path.join(OUT, "mtl_unet.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
