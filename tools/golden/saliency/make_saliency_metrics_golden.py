#!/usr/bin/env python3
"""Golden for the per-image saliency metrics of `thorax saliency evaluate` (SaliencyRunModel.ImageMetrics and
SaliencySummary), with the authors' own metric class as the oracle: HealthX-Lab/CXRGazeLearn
Module/hzhu_metrics_saliency.py MetricsHandle_Saliency (add_data + compute_prediction_report), run with /usr/bin/python3
(python3-torch 1.13, -scipy, -sklearn, -numpy).

The file is exported from the local bare-git mirror (`fetch github:HealthX-Lab/CXRGazeLearn`; --mirror) into a temporary
folder at generation time and imported from there; nothing of the authors' code is in this repository. Its imports of
pandas, sklearn and matplotlib (used by its plots, PDF pages and other methods only) are stubbed when those packages are
not installed. The report writes KL_list.txt, CC_list.txt and HS_list.txt into the working directory, so it runs inside the temporary folder.

Writes tests/data/golden/saliency/saliency_metrics.json: six 12x10 cases (Y = target maps, Y_pred_log = log-probabilities
over the 120 pixels), among them a prediction whose probabilities sum to 1.01 (renormalised P, KL on the raw log P), a
target summing to 1.0005 with a prediction summing to 1.0005 (neither renormalised: histogram intersection 1.0005 > 1 + 1e-5,
which the reference skips) and targets with zero pixels; the reference's per-image KL, CC and HS lists and its report
(mean, median, np.std of each).
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cxrgaze_reference import DEFAULT_MIRROR  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "saliency"))


def enc(t):
    t = t.detach().contiguous().cpu()
    return {"shape": list(t.shape), "dtype": "float32", "b64": base64.b64encode(t.float().numpy().astype("<f4").tobytes()).decode("ascii")}


def stub_missing():
    for name in ["pandas", "sklearn", "sklearn.metrics", "matplotlib", "matplotlib.pyplot", "matplotlib.backends",
                 "matplotlib.backends.backend_pdf"]:
        try:
            __import__(name)
        except ImportError:
            m = types.ModuleType(name)
            m.use = lambda *a, **k: None
            m.PdfPages = None
            sys.modules[name] = m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", default=DEFAULT_MIRROR)
    a = ap.parse_args()
    commit = subprocess.run(["git", "--git-dir", a.mirror, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    stub_missing()

    g = torch.Generator().manual_seed(25)
    n, h, w = 6, 12, 10
    y = torch.rand(n, 1, h, w, generator=g) ** 3
    y[1, :, :4] = 0
    y[3, :, :, :6] = 0
    y = y / y.sum(dim=(-2, -1), keepdim=True)
    logits = 2.0 * torch.randn(n, 1, h, w, generator=g)
    logits[2] = 0.7 * y[2].log().clamp(min=-20) + 0.3 * logits[2]  # a prediction close to its target
    logp = F.log_softmax(logits.flatten(-2, -1), dim=-1).reshape(n, 1, h, w)
    logp[4] = logp[4] + float(np.log(1.01))  # P sums to 1.01: renormalised for CC and HS, KL on the raw log P
    y[5] = y[5] * 1.0005                      # Y sums to 1.0005 (within 1e-3: not renormalised)
    logp[5] = torch.log(y[5].clamp(min=1e-30))  # P = Y: HS = 1.0005 > 1 + 1e-5, skipped by the reference

    with tempfile.TemporaryDirectory() as tmp:
        blob = subprocess.run(["git", "--git-dir", a.mirror, "show", "HEAD:Module/hzhu_metrics_saliency.py"], check=True, capture_output=True).stdout
        with open(os.path.join(tmp, "hzhu_metrics_saliency.py"), "wb") as fh:
            fh.write(blob)
        sys.path.insert(0, tmp)
        import hzhu_metrics_saliency as ref  # noqa: E402
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            h_ = ref.MetricsHandle_Saliency()
            h_.add_data(Y=y.clone(), Y_pred=logp.clone())
            report = h_.get_evaluation()
        finally:
            os.chdir(cwd)
        doc = {"generator": "tools/golden/saliency/make_saliency_metrics_golden.py", "reference_commit": commit,
               "torch": torch.__version__, "y": enc(y), "log_p": enc(logp),
               "kl_list": [float(v) for v in h_.KL_loss_list], "cc_list": [float(v) for v in h_.CC_list],
               "hs_list": [float(v) for v in h_.histogram_similarity_list], "report": report}
    path = os.path.join(OUT, "saliency_metrics.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(path, os.path.getsize(path), report, len(doc["hs_list"]), "of", n, "HS kept")


if __name__ == "__main__":
    main()
