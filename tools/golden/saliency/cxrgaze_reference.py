"""The authors' multi-task U-Nets (HealthX-Lab/CXRGazeLearn MTL_UNet_preset) imported from the local bare-git mirror that
the repository's `fetch` tool makes; nothing of their code is in this repository. Used by make_mtl_unet_golden.py
(goldens) and tools/bench/saliency_bench.py (`thorax bench saliency`).

    install_stubs()
    mod = load_reference(DEFAULT_MIRROR, *FILES["final"], tmp)
    net = build(mod)        # the reference width (filter_list [64..1024]), 3 classes, one saliency map
"""
import importlib
import os
import subprocess
import sys
import types

import torch
import torchvision.models as tvm

DEFAULT_MIRROR = "/work/.mirror/HealthX-Lab+CXRGazeLearn/repo"
FILES = {
    "final": ("Module", ["hzhu_MTL_UNet.py", "hzhu_net.py", "loss.py", "models/DenseEDModel.py"]),
    "baseline": ("baseline", ["hzhu_MTL_UNet.py", "hzhu_net.py"]),
}


def install_stubs():
    """Modules the authors import but never use here: classy_vision's distributed helpers (multi-GPU InfoNCE) and
    torch.utils.tensorboard (a visualisation helper); torchvision's densenet201(pretrained=True) is redirected to
    weights=None (no download)."""
    cv = types.ModuleType("classy_vision")
    gen = types.ModuleType("classy_vision.generic")
    du = types.ModuleType("classy_vision.generic.distributed_util")
    du.convert_to_distributed_tensor = du.convert_to_normal_tensor = None
    du.is_distributed_training_run = lambda: False
    sys.modules.update({"classy_vision": cv, "classy_vision.generic": gen, "classy_vision.generic.distributed_util": du})
    try:
        import torch.utils.tensorboard  # noqa: F401
    except Exception:
        tb = types.ModuleType("torch.utils.tensorboard")
        tb.SummaryWriter = None
        sys.modules["torch.utils.tensorboard"] = tb
    if not getattr(tvm.densenet201, "_thorax_stub", False):
        original = tvm.densenet201
        tvm.densenet201 = lambda pretrained=False, **kw: original(weights=None)
        tvm.densenet201._thorax_stub = True


def load_reference(git_dir, folder, files, tmp):
    """Exports `folder/files` of the mirror's HEAD into `tmp/folder` and imports its hzhu_MTL_UNet module."""
    dst = os.path.join(tmp, folder)
    os.makedirs(os.path.join(dst, "models"), exist_ok=True)
    for f in files:
        blob = subprocess.run(["git", "--git-dir", git_dir, "show", "HEAD:%s/%s" % (folder, f)], check=True, capture_output=True).stdout
        with open(os.path.join(dst, f), "wb") as fh:
            fh.write(blob)
    for name in ["hzhu_MTL_UNet", "hzhu_net", "loss", "models", "models.DenseEDModel"]:
        sys.modules.pop(name, None)
    sys.path.insert(0, dst)
    try:
        return importlib.import_module("hzhu_MTL_UNet")
    finally:
        sys.path.remove(dst)


def build(mod, device=torch.device("cpu")):
    """MTL_UNet_preset as Module/RUN.py builds it (out_dict class 3 / image 1, loss_dict class 0.0 / image None), at the
    width of the authors' Linux runs: the constructor picks filter_list [64..1024] when the working directory starts
    with '/', so it is built from '/'."""
    cwd = os.getcwd()
    os.chdir("/")
    try:
        return mod.MTL_UNet_preset(device=device, out_dict={"class": 3, "image": 1}, loss_dict={"class": 0.0, "image": None})
    finally:
        os.chdir(cwd)
