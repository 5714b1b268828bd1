"""The authors' GD-ViG (IPMI-NWU/GD-ViG GAViG) imported from the local bare-git mirror that the repository's `fetch` tool
makes; nothing of their code is in this repository. Used by make_gdvig_golden.py (goldens) and tools/bench/gdvig_bench.py
(`thorax bench gdvig`).

    tmp = tempfile.mkdtemp()
    mods = import_gavig(DEFAULT_MIRROR, tmp, "egdcxr")   # {"GAViG": class, "vig": module, "vigunet": module}
"""
import importlib
import os
import subprocess
import sys

DEFAULT_MIRROR = "/work/.mirror/IPMI-NWU+GD-ViG/repo"
PACKAGES = {"egdcxr": "End2End_EGDCXR", "siim": "End2End_SIIMACR"}


def extract(mirror, paths, dest):
    """`git archive HEAD paths` of the bare git directory `mirror`, unpacked into `dest`."""
    tar = subprocess.run(["git", "--git-dir", mirror, "archive", "HEAD"] + paths, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=tar, check=True)


def import_gavig(mirror, tmp, variant):
    """Extracts the variant's `models` package into `tmp` (once), puts `tmp` on sys.path and returns the authors'
    GAViG class with its two modules (`vig`: ViG_Gaze and the gaze-directed KNN; `vigunet`: the GMG and the plain KNN)."""
    pkg = PACKAGES[variant]
    if not os.path.isdir(os.path.join(tmp, pkg, "models")):
        extract(mirror, [pkg + "/models"], tmp)
    if tmp not in sys.path:
        sys.path.insert(0, tmp)
    base = pkg + ".models.GAViG."
    return {"GAViG": importlib.import_module(base + "GAViG").GAViG,
            "vig": importlib.import_module(base + "vig"),
            "vigunet": importlib.import_module(base + "vigunet")}
