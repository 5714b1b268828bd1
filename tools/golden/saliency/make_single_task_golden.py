#!/usr/bin/env python3
"""Golden for the paper's single-task networks (Thorax.Models.Saliency SingleTaskNets.cs), with the authors' own model
code (HealthX-Lab/CXRGazeLearn) as the oracle, run with /usr/bin/python3 (python3-torch 1.13, python3-torchvision 0.14).

As make_mtl_unet_golden.py, the needed files are exported from the local bare-git mirror (`fetch
github:HealthX-Lab/CXRGazeLearn`; --mirror) into a temporary folder at generation time; nothing of the authors' code is in
this repository. The networks are built at the authors' Linux width (filter_list [64..1024], from '/') with the hashed
weights of tools/golden/common/hashed_weights.py (the golden stores the key list; the C# test regenerates the values).

  unet_s       baseline/hzhu_MTL_UNet.py MTL_UNet_preset with out_dict {'class': 0, 'image': 1}: the plain single-task
               saliency U-Net (the paper's UNet_S; Thorax SaliencyUNet(residualSE: false)).
  res_se_unet  the same network with its five encoder blocks Conv1..Conv5 replaced by Module/hzhu_MTL_UNet.py's
               conv_block (Sequential(ResidualBlock, SEBlock): the dual encoder's Res-SE encoder B), the decoder and
               saliency head left as the baseline builds them: the paper's Res_SE-UNet (Thorax SaliencyUNet()).
  classifier   Classfication/hzhu_MTL_UNet.py MTL_UNet_preset (the stage-2 network) with out_dict {'class': 3, 'image': 1}:
               its class output is torchvision's densenet201 (classifier Linear(1920, 3)) on x.repeat(1, 3, 1, 1); the
               other modules of that class (an unused decoder, `conv`, the saliency head on a 1x1 conv of the input)
               are in the key list too, and the C# test takes the `model.*` keys (Thorax DenseNetClassifierNet).

Writes tests/data/golden/saliency/single_task.json: the fixed input [2,1,96,64] of make_mtl_unet_golden.py (same seed),
per network the key list, the eval-mode class logits (classifier) or saliency logits and log-probabilities (log_softmax
over all H*W pixels).
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import types

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
import hashed_weights  # noqa: E402
from cxrgaze_reference import DEFAULT_MIRROR, install_stubs, load_reference  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "saliency"))
MODEL_FILES = ["hzhu_MTL_UNet.py", "hzhu_net.py", "loss.py", "models/DenseEDModel.py"]


def enc(t):
    t = t.detach().contiguous().cpu()
    return {"shape": list(t.shape), "dtype": "float32", "b64": base64.b64encode(t.float().numpy().astype("<f4").tobytes()).decode("ascii")}


def preset(mod, out_dict, loss_dict):
    cwd = os.getcwd()
    os.chdir("/")  # the authors pick filter_list [64..1024] when the working directory starts with '/'
    try:
        return mod.MTL_UNet_preset(device=torch.device("cpu"), out_dict=out_dict, loss_dict=loss_dict)
    finally:
        os.chdir(cwd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=DEFAULT_MIRROR)
    args = ap.parse_args()
    commit = subprocess.run(["git", "--git-dir", args.mirror, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    install_stubs()
    sys.modules.setdefault("timm", types.ModuleType("timm"))  # Classfication/ imports timm and never uses it here
    os.makedirs(OUT, exist_ok=True)

    g = torch.Generator().manual_seed(16)  # the input of make_mtl_unet_golden.py
    x = torch.rand(torch.Size([2, 1, 96, 64]), generator=g)
    x[1] = x[1] ** 3
    doc = {"generator": "tools/golden/saliency/make_single_task_golden.py", "reference_commit": commit,
           "torch": torch.__version__, "input": enc(x), "models": {}}

    with tempfile.TemporaryDirectory() as tmp:
        final = load_reference(args.mirror, "Module", MODEL_FILES, tmp)
        res_se_block = final.conv_block  # Sequential(ResidualBlock(in, out), SEBlock(out))
        baseline = load_reference(args.mirror, "baseline", ["hzhu_MTL_UNet.py", "hzhu_net.py"], tmp)
        classification = load_reference(args.mirror, "Classfication", MODEL_FILES, tmp)

        nets = {}
        nets["unet_s"] = preset(baseline, {"class": 0, "image": 1}, {"class": None, "image": None})
        net = preset(baseline, {"class": 0, "image": 1}, {"class": None, "image": None})
        f = net.filter_list
        ins = [1, f[0], f[1], f[2], f[3]]
        for i in range(5):
            setattr(net, "Conv%d" % (i + 1), res_se_block(ins[i], f[i]))
        nets["res_se_unet"] = net
        nets["classifier"] = preset(classification, {"class": 3, "image": 1}, {"class": 0.0, "image": None})

        for kind, net in nets.items():
            keys = hashed_weights.fill(net)
            net.eval()
            with torch.no_grad():
                y_class, y_image = net(x)
            entry = {"keys": keys, "filter_list": net.filter_list}
            if kind == "classifier":
                entry["class_logits"] = enc(y_class)
                print(kind, len(keys), "keys", y_class.tolist())
            else:
                assert y_class.dim() == 0  # the dummy tensor: no class output
                logp = F.log_softmax(y_image.flatten(start_dim=-2, end_dim=-1), dim=-1).reshape(y_image.shape)
                entry["saliency_logits"] = enc(y_image)
                entry["log_probabilities"] = enc(logp)
                print(kind, len(keys), "keys", float(y_image.abs().max()))
            doc["models"][kind] = entry

    path = os.path.join(OUT, "single_task.json")
    with open(path, "w") as fh:
        json.dump(doc, fh)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
