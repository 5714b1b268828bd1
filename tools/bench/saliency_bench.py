#!/usr/bin/env python3
"""PyTorch side of `thorax bench saliency`: the authors' dual-encoder MTL_UNet_preset (HealthX-Lab/CXRGazeLearn
Module/, imported from the local mirror by tools/golden/saliency/cxrgaze_reference.py, as the goldens are made), at the
reference width and the reference's 320x256:
  * one joint training step at --train-batch: forward, log_softmax over the pixels (as hzhu_learn), the model's own
    compute_loss (CrossEntropyLoss + KLDivLoss(batchmean), uncertainty-weighted), backward, Adam 1e-4 on every parameter;
  * eval inference under torch.inference_mode() at --infer-batch;
  * peak memory of one more training step: the peak resident set size is reset (echo 5 > /proc/self/clear_refs), VmRSS
    read, the step run and VmHWM read from /proc/self/status, in MiB (as the CLI's PeakRss).
Printed as JSON {case: value}; case names as the CLI's SaliencyBench. Usable alone:
    /usr/bin/python3 tools/bench/saliency_bench.py --threads 2 --repeats 3 --warmup 1
"""
import argparse
import gc
import json
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from _timing import median_ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "saliency"))
from cxrgaze_reference import DEFAULT_MIRROR, FILES, build, install_stubs, load_reference  # noqa: E402


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    raise RuntimeError("/proc/self/status has no %s line" % field)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--height", type=int, default=320)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--train-batch", type=int, default=6)
    ap.add_argument("--infer-batch", type=int, default=8)
    ap.add_argument("--mirror", default=DEFAULT_MIRROR)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    h, w, tb, ib = a.height, a.width, a.train_batch, a.infer_batch
    install_stubs()
    with tempfile.TemporaryDirectory() as tmp:
        net = build(load_reference(a.mirror, *FILES["final"], tmp))
    x = torch.rand(tb, 1, h, w)
    labels = torch.arange(tb) % 3
    gaze = torch.rand(tb, 1, h, w)
    target = gaze / gaze.sum(dim=(-2, -1), keepdim=True)
    xi = torch.rand(ib, 1, h, w)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    ce, kl = nn.CrossEntropyLoss(), nn.KLDivLoss(reduction="batchmean")

    def step():
        net.train()
        opt.zero_grad(set_to_none=True)
        y_class, y_image = net(x)
        shape = y_image.shape
        logp = F.log_softmax(y_image.flatten(start_dim=-2, end_dim=-1), dim=-1).reshape(shape)
        r = net.compute_loss(y_class_pred=y_class, y_image_pred=logp, y_class_true=labels, y_image_true=target,
                             loss_class=ce, loss_image_list=[kl])
        r["loss_sum"].backward()
        opt.step()

    def infer():
        net.eval()
        with torch.inference_mode():
            net(xi)

    def measure_rss(suffix):
        # peak RSS of one training step (VmHWM reset through clear_refs), where the kernel offers it
        if not os.path.exists("/proc/self/clear_refs"):
            return
        gc.collect()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status_kb("VmRSS")
        step()
        peak = status_kb("VmHWM")
        res["saliency train b%d %dx%d peak rss%s" % (tb, h, w, suffix)] = peak / 1024.0
        res["saliency train b%d %dx%d rss growth%s" % (tb, h, w, suffix)] = (peak - before) / 1024.0

    res = {}
    res["saliency train b%d %dx%d" % (tb, h, w)] = median_ms(step, a.warmup, a.repeats)
    res["saliency infer b%d %dx%d" % (ib, h, w)] = median_ms(infer, a.warmup, a.repeats)
    measure_rss("")
    # torchvision's memory_efficient DenseNet (checkpointed bottlenecks), switched on in the authors' network's layers
    for m in net.modules():
        if hasattr(m, "memory_efficient"):
            m.memory_efficient = True
    me = ", memory-efficient densenet"
    res["saliency train b%d %dx%d%s" % (tb, h, w, me)] = median_ms(step, a.warmup, a.repeats)
    measure_rss(me)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
