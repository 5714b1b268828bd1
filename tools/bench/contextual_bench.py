#!/usr/bin/env python3
"""PyTorch side of `thorax bench contextual`: ConTEXTual Net (tools/contextual/contextual_peer.py) with the weights
Thorax wrote (a safetensors file, read here with numpy), one training step (forward + BCE-with-logits + backward +
AdamW 5e-5 wd 0.01) and eval inference under torch.inference_mode(), at the given sizes, on the same cached report
embeddings (B x T x d_text, as the frozen encoder's outputs are computed once per report); with --bf16 also bf16
inference under torch.autocast('cpu', dtype=torch.bfloat16) (PyTorch 1.13 cannot run the network after
model.to(torch.bfloat16): its bf16 conv_transpose2d rejects the weights). JSON {case: median_ms}.
    /usr/bin/python3 tools/bench/contextual_bench.py --weights W.safetensors --inputs I.safetensors --threads 2 --repeats 1 --warmup 1 --sizes 256,512
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from _timing import median_ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'contextual'))
from contextual_peer import ContextualPeer  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        out[k] = torch.from_numpy(arr.copy())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--sizes", default="256,512")
    ap.add_argument("--train-batch", type=int, default=2)
    ap.add_argument("--infer-batch", type=int, default=4)
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--text-dim", type=int, default=384)
    ap.add_argument("--bf16", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    widths = [a.base << i for i in range(5)]
    sd = read_safetensors(a.weights)
    inputs = read_safetensors(a.inputs)
    text, mask = inputs["text"], inputs["mask"]
    res = {}
    for lang in (False, True):
        name = "contextual" if lang else "unet"
        net = ContextualPeer(3, 1, widths, a.text_dim, language=lang)
        net.load_state_dict({k: v for k, v in sd.items() if k in net.state_dict()}, strict=True)
        opt = torch.optim.AdamW(net.parameters(), lr=5e-5, weight_decay=0.01)
        for s in [int(x) for x in a.sizes.split(",")]:
            g = torch.Generator().manual_seed(s)
            x = torch.rand(a.train_batch, 3, s, s, generator=g) * 255
            y = (torch.rand(a.train_batch, 1, s, s, generator=g) > 0.9).float()
            xi = torch.rand(a.infer_batch, 3, s, s, generator=g) * 255
            tt, mt = text[:a.train_batch], mask[:a.train_batch]
            ti, mi = text[:a.infer_batch], mask[:a.infer_batch]

            def step():
                net.train()
                opt.zero_grad(set_to_none=True)
                loss = F.binary_cross_entropy_with_logits(net(x, tt, mt), y)
                loss.backward()
                opt.step()

            def infer():
                net.eval()
                with torch.inference_mode():
                    net(xi, ti, mi)

            res[f"{name} train b{a.train_batch} {s}px"] = median_ms(step, a.warmup, a.repeats)
            res[f"{name} infer b{a.infer_batch} {s}px"] = median_ms(infer, a.warmup, a.repeats)
            if a.bf16:
                def infer_bf16():
                    net.eval()
                    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                        net(xi, ti, mi)

                case = f"{name} infer bf16 b{a.infer_batch} {s}px"
                try:
                    res[case] = median_ms(infer_bf16, a.warmup, a.repeats)
                except RuntimeError as e:
                    print(f"contextual_bench: {case} skipped ({e})", file=sys.stderr)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
