"""Golden for Thorax.Models.Contextual.ContextualNet: the PyTorch peer (tools/contextual/contextual_peer.py) at small
widths with seeded weights, torch.save'd state dict (with two `lang_encoder.*` tensors as in the authors' whole-model
checkpoints) and outputs on odd-sized inputs (pads at every decoder level).

Run: /usr/bin/python3 tools/golden/contextual/make_contextual_golden.py
Writes tests/data/golden/contextual/{contextual_small.pt, contextual_small.json, unet_small_keys.json}.
"""
import base64
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "contextual"))
from contextual_peer import ContextualPeer  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "data", "golden", "contextual")
WIDTHS = (4, 8, 16, 32, 64)
TEXT_DIM = 12


def enc(t):
    a = t.detach().cpu().contiguous().numpy()
    dt = {np.float32: "float32", np.float64: "float64", np.int64: "int64"}[a.dtype.type]
    return {"shape": list(a.shape), "dtype": dt, "b64": base64.b64encode(a.tobytes()).decode("ascii")}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20231)
    net = ContextualPeer(3, 1, WIDTHS, TEXT_DIM)
    with torch.no_grad():
        for name, p in net.named_parameters():  # non-zero biases everywhere, so a missing bias would show
            if name.endswith("bias"):
                p.uniform_(-0.2, 0.2)
        for name, b in net.named_buffers():
            if name.endswith("running_mean"):
                b.uniform_(-0.3, 0.3)
            elif name.endswith("running_var"):
                b.uniform_(0.5, 1.5)
    sd = net.state_dict()
    full = dict(sd)
    full["lang_encoder.shared.weight"] = torch.randn(7, TEXT_DIM)
    full["lang_encoder.encoder.final_layer_norm.weight"] = torch.ones(TEXT_DIM)
    torch.save(full, os.path.join(OUT, "contextual_small.pt"))

    g = torch.Generator().manual_seed(7)
    img = torch.rand(2, 3, 20, 24, generator=g) * 255
    text = torch.randn(2, 6, TEXT_DIM, generator=g)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.int64)

    out = {"widths": list(WIDTHS), "text_dim": TEXT_DIM, "image": enc(img), "text": enc(text), "mask": enc(mask),
           "keys": list(sd.keys())}
    net.eval()
    with torch.no_grad():
        att = []
        out["eval_logits"] = enc(net(img, text, mask, att))
        out["eval_attention"] = [enc(a) for a in att]
        net.attend_to_padding = False
        att = []
        out["eval_logits_masked"] = enc(net(img, text, mask, att))
        out["eval_attention_masked"] = [enc(a) for a in att]
        net.attend_to_padding = True
    net.train()
    logits = net(img, text, mask)
    out["train_logits"] = enc(logits)
    target = (torch.rand(2, 1, 20, 24, generator=g) > 0.7).float()
    out["target"] = enc(target)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    loss.backward()
    out["train_loss"] = loss.item()
    out["grads"] = {k: enc(dict(net.named_parameters())[k].grad) for k in
                    ["inc.double_conv.0.weight", "lang_proj1.weight", "lang_attn4.multihead_attn.in_proj_weight",
                     "lang_attn2.multihead_attn.out_proj.bias", "up3.up.weight", "outc.conv.bias"]}
    with open(os.path.join(OUT, "contextual_small.json"), "w") as f:
        json.dump(out, f)

    unet = ContextualPeer(3, 1, WIDTHS, TEXT_DIM, language=False)
    with open(os.path.join(OUT, "unet_small_keys.json"), "w") as f:
        json.dump({"keys": list(unet.state_dict().keys())}, f)
    print("wrote", OUT, "params", sum(p.numel() for p in net.parameters()))


if __name__ == "__main__":
    main()
