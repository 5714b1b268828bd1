#!/usr/bin/env python3
"""Golden files for Thorax's encoder/decoder zoo, with the PyTorch peers of zoo_peers.py as the oracle.

Run with /usr/bin/python3 from anywhere. Writes into tests/data/golden/zoo/:
  <family>.json   full-size models with hashed weights (tools/golden/common/hashed_weights.py; the C# test rebuilds them
                  from the key list, so key names, shapes and parameter counts are checked strictly without committing
                  80-220 MB of weights): key list, parameter count, a 64x64 input, logits of the 1000-class head and
                  per-tap channel means plus 256 evenly spaced values of each feature map;
                  narrow variants (same code path, reduced widths) saved with torch.save and checked in full.
  <name>.pt       torch.save(state_dict) of the narrow variants (seeded random weights and BatchNorm statistics).
"""
import base64
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
import hashed_weights  # noqa: E402
import zoo_peers as z  # noqa: E402
from golden_io import enc, randomise_state  # noqa: E402


def randomise(net, seed):
    randomise_state(net, seed, batches_tracked=3)

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "tests", "data", "golden", "zoo"))


def summary(t):
    flat = t.detach().flatten()
    idx = torch.linspace(0, flat.numel() - 1, 256).round().long()
    ix = {"shape": [256], "dtype": "int64", "b64": base64.b64encode(idx.numpy().astype("<i8").tobytes()).decode("ascii")}
    return {"shape": list(t.shape), "channel_mean": enc(t.mean((0, 2, 3))), "index": ix, "sample": enc(flat[idx])}


def nparams(net):
    return sum(p.numel() for p in net.parameters())


def full_entry(name, net, size=64, in_chans=3, **extra):
    keys = hashed_weights.fill(net)
    net.eval()
    x = torch.rand(torch.Size([1, in_chans, size, size]), generator=torch.Generator().manual_seed(11))
    with torch.no_grad():
        logits = net(x)
        feats = net.features(x)
    e = {"name": name, "params": nparams(net), "keys": keys, "input": enc(x), "logits": enc(logits),
         "taps": [summary(f) for f in feats]}
    e.update(extra)
    print(name, "params", e["params"], "keys", len(keys), "taps", [list(f.shape) for f in feats])
    return e


def narrow_entry(name, net, seed, in_chans, size=64, **extra):
    randomise(net, seed)
    net.eval()
    torch.save(net.state_dict(), os.path.join(OUT, name + ".pt"))
    x = torch.rand(torch.Size([2, in_chans, size, size]), generator=torch.Generator().manual_seed(seed + 10))
    with torch.no_grad():
        out = net(x)
        feats = net.features(x) if hasattr(net, "features") else []
    labels = None
    if isinstance(out, tuple):
        out, labels = out
    e = {"name": name, "file": name + ".pt", "keys": len(net.state_dict()), "params": nparams(net), "input": enc(x),
         "output": enc(out), "taps": [enc(f) for f in feats]}
    if labels is not None:
        e["labels"] = enc(labels)
    e.update(extra)
    print(name, "params", e["params"], "out", list(out.shape))
    return e


def write(name, doc):
    doc["generator"] = "tools/golden/zoo/make_zoo_golden.py"
    doc["torch"] = torch.__version__
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(doc, f)


NARROW_X = (8, 16, 16, 24, 32, 2, 48, 64, 96)
NARROW_SE = dict(layers=(1, 2, 1, 1), cardinality=4, base_width=16, stem_width=16, planes=(8, 16, 16, 24))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    only = set(sys.argv[1:])

    if not only or "xception" in only:
        write("xception.json", {
            "full": [full_entry("legacy_xception", z.Xception()),
                     full_entry("legacy_xception_same_1ch", z.Xception(in_chans=1, same_padding=True), in_chans=1)],
            "narrow": [narrow_entry("xception_narrow_1ch", z.Xception(in_chans=1, num_classes=5, widths=NARROW_X), 1, 1,
                                    widths=list(NARROW_X))]})
    if not only or "seresnext" in only:
        write("seresnext.json", {
            "full": [full_entry("seresnext50_32x4d", z.SeResNeXt())],
            "narrow": [narrow_entry("seresnext_narrow", z.SeResNeXt(num_classes=4, **NARROW_SE), 2, 3,
                                    config={k: list(v) if isinstance(v, tuple) else v for k, v in NARROW_SE.items()})]})
        # the same weights nested as a training checkpoint ({"model": state_dict, "epoch": 3}) for the loader test
        sd = torch.load(os.path.join(OUT, "seresnext_narrow.pt"))
        torch.save({"model": sd, "epoch": 3}, os.path.join(OUT, "seresnext_narrow_nested.pt"))
    if not only or "efficientnet" in only:
        write("efficientnet.json", {
            "full": [full_entry("efficientnet_b%d" % b, z.EfficientNet(*z.SCALES[b])) for b in range(5)],
            "narrow": [narrow_entry("efficientnet_narrow_1ch", z.EfficientNet(0.25, 0.25, in_chans=1, num_classes=3), 3, 1,
                                    width=0.25, depth=0.25)]})
    if not only or "inceptionresnetv2" in only:
        write("inceptionresnetv2.json", {
            "full": [full_entry("inception_resnet_v2", z.InceptionResNetV2(), size=96),
                     full_entry("inception_resnet_v2_same_1ch", z.InceptionResNetV2(in_chans=1, same_padding=True), in_chans=1)]})
    if not only or "decoders" in only:
        dec = (32, 16, 16, 8, 8)
        dec_scse = (32, 32, 16, 16, 16)  # SCSE reduces by 16: at least 16 channels
        enc_x = z.Xception(in_chans=1, num_classes=0, widths=NARROW_X, same_padding=True)
        enc_se = z.SeResNeXt(num_classes=0, **NARROW_SE)
        unet = z.SmpUnet(enc_x, [16, 16, 24, 32, 96], classes=2, decoder_channels=dec, aux_classes=3, aux_dropout=0.2)
        scse = z.SmpUnet(enc_se, [16, 32, 64, 64, 96], classes=1, decoder_channels=dec_scse, attention="scse")
        # the full-size smp default: Unet(resnet34), decoder (256, 128, 64, 32, 16); 24,436,369 parameters in smp
        r34 = z.TvResNet("resnet34")
        unet34 = z.SmpUnet(r34, [64, 64, 128, 256, 512], classes=1)
        albu = z.AlbuNet()
        # AlbuNet's state dict names each encoder tensor twice (encoder.* and conv1.0/conv2..conv5 aliases); both get
        # the values of the encoder.* key so that the order of copying cannot matter
        sd = albu.state_dict()
        keys = list(sd.keys())
        alias = {}
        prefixes = {"conv1.0.": "encoder.conv1.", "conv1.1.": "encoder.bn1.", "conv2.": "encoder.layer1.", "conv3.": "encoder.layer2.",
                    "conv4.": "encoder.layer3.", "conv5.": "encoder.layer4."}
        for k in keys:
            for a, c in prefixes.items():
                if k.startswith(a):
                    alias[k] = c + k[len(a):]
        key_list = []
        with torch.no_grad():
            for i, k in enumerate(keys):
                t = sd[k]
                key_list.append([k, list(t.shape), str(t.dtype).replace("torch.", "")])
                src = keys.index(alias.get(k, k))
                t.copy_(hashed_weights.value(src, alias.get(k, k), list(t.shape), t.dtype))
        albu.eval()
        x = torch.rand(torch.Size([1, 3, 64, 64]), generator=torch.Generator().manual_seed(12))
        with torch.no_grad():
            albu_out = albu(x)
        unet34_keys = [[k, list(t.shape), str(t.dtype).replace("torch.", "")] for k, t in unet34.state_dict().items()]
        write("decoders.json", {
            "narrow": [narrow_entry("unet_xception_narrow", unet, 4, 1, decoder_channels=list(dec), classes=2),
                       narrow_entry("scse_unet_seresnext_narrow", scse, 5, 3, decoder_channels=list(dec_scse), classes=1)],
            "unet_resnet34": {"params": nparams(unet34), "keys": unet34_keys},
            "albunet": {"params": nparams(albu), "keys": key_list, "aliases": alias, "input": enc(x), "output": enc(albu_out)}})
        print("unet resnet34 params", nparams(unet34), "albunet params", nparams(albu), "keys", len(keys))

    for fn in sorted(os.listdir(OUT)):
        print(fn, os.path.getsize(os.path.join(OUT, fn)))


if __name__ == "__main__":
    main()
