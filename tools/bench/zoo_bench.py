#!/usr/bin/env python3
"""PyTorch side of `thorax bench zoo`: segmentation_models-style U-Nets on the zoo encoders (the PyTorch peers of
tools/golden/zoo/zoo_peers.py, the architectures the C# zoo is checked against), one training step (forward +
BCE-with-logits + backward + Adam) and eval inference under torch.inference_mode(), printed as JSON {case: median_ms}.
Run by the CLI, one encoder per process, with the same thread count, sizes and batches; usable alone:
    /usr/bin/python3 tools/bench/zoo_bench.py --threads 2 --repeats 3 --warmup 1 --encoders resnet34,xception
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from _timing import median_ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden', 'zoo'))
import zoo_peers as z  # noqa: E402


class TvDenseNet(nn.Module):
    """torchvision DenseNet with the zoo's taps: relu0 (stride 2), denseblock1..4."""

    def __init__(self, arch, in_chans):
        super().__init__()
        m = getattr(torchvision.models, arch)(weights=None)
        if in_chans != 3:
            m.features.conv0 = nn.Conv2d(in_chans, 64, 7, 2, 3, bias=False)
        del m.classifier
        self.m = m

    def features(self, x):
        f = self.m.features
        x = f.relu0(f.norm0(f.conv0(x)))
        outs = [x]
        x = f.pool0(x)
        for i in range(1, 5):
            x = getattr(f, 'denseblock%d' % i)(x)
            outs.append(x)
            if i < 4:
                x = getattr(f, 'transition%d' % i)(x)
        return outs


def encoder(name, in_chans):
    """(module, channels at strides 2..32) as EncoderZoo.Create(name, inChans, samePadding: true) builds it."""
    if name in ('resnet18', 'resnet34', 'resnet50'):
        ch = [64, 64, 128, 256, 512] if name != 'resnet50' else [64, 256, 512, 1024, 2048]
        return z.TvResNet(name, in_chans), ch
    if name in ('densenet121', 'densenet169', 'densenet201'):
        ch = {'densenet121': [64, 256, 512, 1024, 1024], 'densenet169': [64, 256, 512, 1280, 1664],
              'densenet201': [64, 256, 512, 1792, 1920]}[name]
        return TvDenseNet(name, in_chans), ch
    if name == 'xception':
        return z.Xception(in_chans, 0, same_padding=True), [64, 128, 256, 728, 2048]
    if name == 'seresnext50_32x4d':
        return z.SeResNeXt(in_chans=in_chans, num_classes=0), [64, 256, 512, 1024, 2048]
    if name.startswith('efficientnet_b'):
        b = int(name[-1])
        net = z.EfficientNet(*z.SCALES[b], in_chans=in_chans, num_classes=0)
        ch = [net.conv_stem.out_channels] + [net.blocks[i][-1].bn3.num_features if i else net.blocks[i][-1].bn2.num_features
                                             for i in (1, 2, 4, 6)]
        return net, ch
    if name == 'inception_resnet_v2':
        return z.InceptionResNetV2(in_chans, 0, same_padding=True), [64, 192, 320, 1088, 1536]
    raise SystemExit('unknown encoder ' + name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=torch.get_num_threads())
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--encoders', default='resnet34')
    ap.add_argument('--decoder', default='unet', choices=['unet', 'scse-unet'])
    ap.add_argument('--train-batch', type=int, default=2)
    ap.add_argument('--infer-batch', type=int, default=4)
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--in-chans', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = {}
    x = torch.randn(a.train_batch, a.in_chans, a.size, a.size)
    y = (torch.rand(a.train_batch, 1, a.size, a.size) > 0.5).float()
    xi = torch.randn(a.infer_batch, a.in_chans, a.size, a.size)
    for name in a.encoders.split(','):
        enc, ch = encoder(name, a.in_chans)
        net = z.SmpUnet(enc, ch, classes=1, attention='scse' if a.decoder == 'scse-unet' else None)
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            F.binary_cross_entropy_with_logits(net(x), y).backward()
            opt.step()

        out['%s %s train b%d %dpx' % (name, a.decoder, a.train_batch, a.size)] = median_ms(step, a.warmup, a.repeats)
        net.eval()

        def infer():
            with torch.inference_mode():
                net(xi)

        out['%s %s infer b%d %dpx' % (name, a.decoder, a.infer_batch, a.size)] = median_ms(infer, a.warmup, a.repeats)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
