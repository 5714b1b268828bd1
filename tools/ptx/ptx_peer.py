"""PyTorch peers of Thorax's pneumothorax-cascade networks (Thorax.Models.Segmentation.Fpn and the cascade classifier).

Written from the architecture, with the state-dict keys of segmentation_models_pytorch's FPN (`encoder.*` = a
torchvision ResNet without `fc`, `decoder.p5`, `decoder.p4.skip_conv`, `decoder.seg_blocks.{i}.block.{j}.block.{0,1}`,
`segmentation_head.0`), so one weight file loads in both. Used by tools/golden/ptx/make_fpn_golden.py and by
`thorax bench ptx` (tools/bench/ptx_bench.py).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm


class Conv3x3GNReLU(nn.Module):
    """3x3 convolution (no bias), GroupNorm(32), ReLU; then x2 bilinear (align_corners=True) when upsample."""

    def __init__(self, cin, cout, upsample):
        super().__init__()
        self.upsample = upsample
        self.block = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(32, cout), nn.ReLU(inplace=True))

    def forward(self, x):
        x = self.block(x)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        return x


class FPNBlock(nn.Module):
    """Top-down step: nearest x2 of the coarser pyramid level plus a 1x1 lateral convolution of the skip."""

    def __init__(self, pyramid, skip):
        super().__init__()
        self.skip_conv = nn.Conv2d(skip, pyramid, kernel_size=1)

    def forward(self, x, skip):
        return F.interpolate(x, scale_factor=2, mode="nearest") + self.skip_conv(skip)


class SegmentationBlock(nn.Module):
    def __init__(self, cin, cout, n_upsamples):
        super().__init__()
        blocks = [Conv3x3GNReLU(cin, cout, upsample=n_upsamples > 0)]
        for _ in range(1, n_upsamples):
            blocks.append(Conv3x3GNReLU(cout, cout, upsample=True))
        self.block = nn.Sequential(*blocks)

    def forward(self, x):
        return self.block(x)


class FPNDecoder(nn.Module):
    def __init__(self, encoder_channels, pyramid=256, segmentation=128, dropout=0.2):
        super().__init__()
        c2, c3, c4, c5 = encoder_channels
        self.p5 = nn.Conv2d(c5, pyramid, kernel_size=1)
        self.p4 = FPNBlock(pyramid, c4)
        self.p3 = FPNBlock(pyramid, c3)
        self.p2 = FPNBlock(pyramid, c2)
        self.seg_blocks = nn.ModuleList([SegmentationBlock(pyramid, segmentation, n) for n in [3, 2, 1, 0]])
        self.dropout = nn.Dropout2d(p=dropout, inplace=True)

    def forward(self, c2, c3, c4, c5):
        p5 = self.p5(c5)
        p4 = self.p4(p5, c4)
        p3 = self.p3(p4, c3)
        p2 = self.p2(p3, c2)
        x = sum(b(p) for b, p in zip(self.seg_blocks, [p5, p4, p3, p2]))
        return self.dropout(x)


class ResNetEncoder(nn.Module):
    """torchvision ResNet keys (conv1, bn1, layer1..4), no fc; features at strides 4, 8, 16, 32."""

    def __init__(self, arch="resnet18", in_chans=3):
        super().__init__()
        net = getattr(tvm, arch)(weights=None)
        if in_chans != 3:
            net.conv1 = nn.Conv2d(in_chans, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        exp = 1 if arch in ("resnet18", "resnet34") else 4
        self.channels = [64 * exp, 128 * exp, 256 * exp, 512 * exp]

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        c2 = self.layer1(x)
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return c2, c3, c4, c5


class FPN(nn.Module):
    """Encoder + FPN decoder + head: 1x1 convolution, then x4 bilinear (align_corners=True, UpsamplingBilinear2d)."""

    def __init__(self, arch="resnet18", in_chans=3, classes=1, pyramid=256, segmentation=128, dropout=0.2):
        super().__init__()
        self.encoder = ResNetEncoder(arch, in_chans)
        self.decoder = FPNDecoder(self.encoder.channels, pyramid, segmentation, dropout)
        self.segmentation_head = nn.Sequential(nn.Conv2d(segmentation, classes, kernel_size=1), nn.UpsamplingBilinear2d(scale_factor=4))

    def forward(self, x):
        return self.segmentation_head(self.decoder(*self.encoder(x)))


class Classifier(nn.Module):
    """Thorax's ImageClassifier: ResNet encoder (global average pool) + linear head; keys encoder.*, head.*."""

    def __init__(self, arch="resnet18"):
        super().__init__()
        net = getattr(tvm, arch)(weights=None)
        del net.fc
        net.fc = nn.Identity()
        self.encoder = net
        self.head = nn.Linear(512 if arch in ("resnet18", "resnet34") else 2048, 1)

    def forward(self, x):
        return self.head(self.encoder(x)).squeeze(1)
