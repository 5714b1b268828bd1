"""PyTorch peers of Thorax's encoder/decoder zoo (src/Thorax.Models/Encoders, src/Thorax.Models/Segmentation/Zoo),
written from the architectures with the state-dict key names of timm (legacy_xception, seresnext50_32x4d,
efficientnet_b0..b4, inception_resnet_v2), torchvision (resnet) and segmentation_models_pytorch (Unet decoder, SCSE,
SegmentationHead), and the SIIM-ACR first-place AlbuNet. timm and smp are not installed here; these modules reproduce
their key names and forward computations (checked by parameter counts against timm's published counts)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def make_divisible(v, divisor=8, round_limit=0.9):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


# ---------------------------------------------------------------- Xception (timm legacy_xception keys)
class SeparableConv2d(nn.Module):
    def __init__(self, cin, cout, k=1, s=1, p=0, d=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cin, k, s, p, d, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, 1, 0, 1, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.conv1(x))


class XBlock(nn.Module):
    def __init__(self, cin, cout, reps, strides=1, start_with_relu=True, grow_first=True):
        super().__init__()
        if cout != cin or strides != 1:
            self.skip = nn.Conv2d(cin, cout, 1, stride=strides, bias=False)
            self.skipbn = nn.BatchNorm2d(cout)
        else:
            self.skip = None
        rep = []
        for i in range(reps):
            if grow_first:
                inc, outc = (cin if i == 0 else cout), cout
            else:
                inc, outc = cin, (cin if i < reps - 1 else cout)
            rep += [nn.ReLU(inplace=i > 0), SeparableConv2d(inc, outc, 3, 1, 1), nn.BatchNorm2d(outc)]
        if not start_with_relu:
            rep = rep[1:]
        if strides != 1:
            rep.append(nn.MaxPool2d(3, strides, 1))
        self.rep = nn.Sequential(*rep)

    def forward(self, inp):
        x = self.rep(inp)
        skip = self.skipbn(self.skip(inp)) if self.skip is not None else inp
        return x + skip


class Xception(nn.Module):
    def __init__(self, in_chans=3, num_classes=1000, widths=(32, 64, 128, 256, 728, 8, 1024, 1536, 2048), same_padding=False):
        super().__init__()
        s1, s2, e1, e2, e3, nm, ex, c3, c4 = widths
        p = 1 if same_padding else 0
        self.conv1 = nn.Conv2d(in_chans, s1, 3, 2, p, bias=False)
        self.bn1 = nn.BatchNorm2d(s1)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(s1, s2, 3, 1, p, bias=False)
        self.bn2 = nn.BatchNorm2d(s2)
        self.act2 = nn.ReLU(inplace=True)
        self.block1 = XBlock(s2, e1, 2, 2, start_with_relu=False)
        self.block2 = XBlock(e1, e2, 2, 2)
        self.block3 = XBlock(e2, e3, 2, 2)
        self.nblocks = 3 + nm + 1
        for i in range(nm):
            setattr(self, "block%d" % (4 + i), XBlock(e3, e3, 3, 1))
        setattr(self, "block%d" % (4 + nm), XBlock(e3, ex, 2, 2, grow_first=False))
        self.conv3 = SeparableConv2d(ex, c3, 3, 1, 1)
        self.bn3 = nn.BatchNorm2d(c3)
        self.act3 = nn.ReLU(inplace=True)
        self.conv4 = SeparableConv2d(c3, c4, 3, 1, 1)
        self.bn4 = nn.BatchNorm2d(c4)
        self.act4 = nn.ReLU(inplace=True)
        self.fc = nn.Linear(c4, num_classes) if num_classes else None

    def features(self, x):
        x = self.act1(self.bn1(self.conv1(x)))
        stem = self.act2(self.bn2(self.conv2(x)))
        outs = [stem]
        x = stem
        for i in range(1, self.nblocks + 1):
            x = getattr(self, "block%d" % i)(x)
            if i in (1, 2, self.nblocks - 1):
                outs.append(F.relu(x))  # timm feature_info: block2.rep.0, block3.rep.0, block12.rep.0 (non-inplace ReLUs)
        x = self.act3(self.bn3(self.conv3(x)))
        x = self.act4(self.bn4(self.conv4(x)))
        outs.append(x)
        return outs

    def forward(self, x):
        x = self.features(x)[-1]
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x) if self.fc is not None else x


# ---------------------------------------------------------------- SE-ResNeXt (timm ResNet keys)
class SEModule(nn.Module):
    def __init__(self, ch, rd):
        super().__init__()
        self.fc1 = nn.Conv2d(ch, rd, 1, bias=True)
        self.bn = nn.Identity()
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(rd, ch, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.fc2(self.act(self.bn(self.fc1(s))))
        return x * s.sigmoid()


class SEBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride, cardinality, base_width, downsample):
        super().__init__()
        width = int(math.floor(planes * (base_width / 64)) * cardinality)
        outplanes = planes * 4
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=cardinality, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.act2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(width, outplanes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(outplanes)
        self.se = SEModule(outplanes, make_divisible(outplanes / 16, 8, round_limit=0.0))
        self.act3 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        sc = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.se(self.bn3(self.conv3(x)))
        if self.downsample is not None:
            sc = self.downsample(sc)
        return self.act3(x + sc)


class SeResNeXt(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), cardinality=32, base_width=4, in_chans=3, num_classes=1000, stem_width=64,
                 planes=(64, 128, 256, 512)):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, stem_width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_width)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = stem_width
        for si, (n, pl) in enumerate(zip(layers, planes)):
            blocks = []
            for i in range(n):
                stride = (1 if si == 0 else 2) if i == 0 else 1
                ds = None
                if i == 0 and (stride != 1 or inplanes != pl * 4):
                    ds = nn.Sequential(nn.Conv2d(inplanes, pl * 4, 1, stride, bias=False), nn.BatchNorm2d(pl * 4))
                blocks.append(SEBottleneck(inplanes, pl, stride, cardinality, base_width, ds))
                inplanes = pl * 4
            setattr(self, "layer%d" % (si + 1), nn.Sequential(*blocks))
        self.global_pool = nn.Identity()
        self.fc = nn.Linear(inplanes, num_classes) if num_classes else None

    def features(self, x):
        s = self.act1(self.bn1(self.conv1(x)))
        c2 = self.layer1(self.maxpool(s))
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return [s, c2, c3, c4, c5]

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x)[-1], 1).flatten(1)
        return self.fc(x) if self.fc is not None else x


# ---------------------------------------------------------------- EfficientNet (timm efficientnet_bN keys)
ARCH = [(True, 1, 3, 1, 1, 16), (False, 2, 3, 2, 6, 24), (False, 2, 5, 2, 6, 40), (False, 3, 3, 2, 6, 80),
        (False, 3, 5, 1, 6, 112), (False, 4, 5, 2, 6, 192), (False, 1, 3, 1, 6, 320)]
SCALES = {0: (1.0, 1.0), 1: (1.0, 1.1), 2: (1.1, 1.2), 3: (1.2, 1.4), 4: (1.4, 1.8)}


class SqueezeExcite(nn.Module):
    def __init__(self, ch, rd):
        super().__init__()
        self.conv_reduce = nn.Conv2d(ch, rd, 1, bias=True)
        self.act1 = nn.SiLU(inplace=True)
        self.conv_expand = nn.Conv2d(rd, ch, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * self.conv_expand(self.act1(self.conv_reduce(s))).sigmoid()


class DSConv(nn.Module):
    def __init__(self, cin, cout, k, s):
        super().__init__()
        self.conv_dw = nn.Conv2d(cin, cin, k, s, (s - 1 + k - 1) // 2, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.se = SqueezeExcite(cin, round(cin * 0.25))
        self.conv_pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = s == 1 and cin == cout

    def forward(self, x):
        y = F.silu(self.bn1(self.conv_dw(x)))
        y = self.bn2(self.conv_pw(self.se(y)))
        return y + x if self.skip else y


class IRBlock(nn.Module):
    def __init__(self, cin, cout, k, s, e):
        super().__init__()
        mid = make_divisible(cin * e)
        self.conv_pw = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv_dw = nn.Conv2d(mid, mid, k, s, (s - 1 + k - 1) // 2, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.se = SqueezeExcite(mid, round(mid * (0.25 / e)))
        self.conv_pwl = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.skip = s == 1 and cin == cout

    def forward(self, x):
        y = F.silu(self.bn1(self.conv_pw(x)))
        y = F.silu(self.bn2(self.conv_dw(y)))
        y = self.bn3(self.conv_pwl(self.se(y)))
        return y + x if self.skip else y


class EfficientNet(nn.Module):
    def __init__(self, width, depth, in_chans=3, num_classes=1000):
        super().__init__()
        ch = lambda c: make_divisible(c * width)  # noqa: E731
        stem = ch(32)
        self.conv_stem = nn.Conv2d(in_chans, stem, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        stages = []
        cin = stem
        for ds, r, k, s, e, c in ARCH:
            cout = ch(c)
            bl = []
            for i in range(int(math.ceil(r * depth))):
                bl.append(DSConv(cin, cout, k, s if i == 0 else 1) if ds else IRBlock(cin, cout, k, s if i == 0 else 1, e))
                cin = cout
            stages.append(nn.Sequential(*bl))
        self.blocks = nn.Sequential(*stages)
        nf = ch(1280)
        self.conv_head = nn.Conv2d(cin, nf, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(nf)
        self.classifier = nn.Linear(nf, num_classes) if num_classes else None

    def features(self, x):
        x = F.silu(self.bn1(self.conv_stem(x)))
        outs = [x]
        for i, st in enumerate(self.blocks):
            x = st(x)
            if i in (1, 2, 4, 6):
                outs.append(x)
        return outs

    def forward(self, x):
        x = self.blocks(F.silu(self.bn1(self.conv_stem(x))))
        x = F.silu(self.bn2(self.conv_head(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x) if self.classifier is not None else x


# ---------------------------------------------------------------- InceptionResNetV2 (timm inception_resnet_v2 keys)
class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, k, s=1, p=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, p, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Mixed5b(nn.Module):
    def __init__(self):
        super().__init__()
        self.branch0 = BasicConv2d(192, 96, 1)
        self.branch1 = nn.Sequential(BasicConv2d(192, 48, 1), BasicConv2d(48, 64, 5, 1, 2))
        self.branch2 = nn.Sequential(BasicConv2d(192, 64, 1), BasicConv2d(64, 96, 3, 1, 1), BasicConv2d(96, 96, 3, 1, 1))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False), BasicConv2d(192, 64, 1))

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block35(nn.Module):
    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(320, 32, 1)
        self.branch1 = nn.Sequential(BasicConv2d(320, 32, 1), BasicConv2d(32, 32, 3, 1, 1))
        self.branch2 = nn.Sequential(BasicConv2d(320, 32, 1), BasicConv2d(32, 48, 3, 1, 1), BasicConv2d(48, 64, 3, 1, 1))
        self.conv2d = nn.Conv2d(128, 320, 1)
        self.act = nn.ReLU()

    def forward(self, x):
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1))
        return self.act(out * self.scale + x)


class Mixed6a(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.branch0 = BasicConv2d(320, 384, 3, 2, p)
        self.branch1 = nn.Sequential(BasicConv2d(320, 256, 1), BasicConv2d(256, 256, 3, 1, 1), BasicConv2d(256, 384, 3, 2, p))
        self.branch2 = nn.MaxPool2d(3, 2, p)

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)


class Block17(nn.Module):
    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(1088, 192, 1)
        self.branch1 = nn.Sequential(BasicConv2d(1088, 128, 1), BasicConv2d(128, 160, (1, 7), 1, (0, 3)),
                                     BasicConv2d(160, 192, (7, 1), 1, (3, 0)))
        self.conv2d = nn.Conv2d(384, 1088, 1)
        self.act = nn.ReLU()

    def forward(self, x):
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x)], 1))
        return self.act(out * self.scale + x)


class Mixed7a(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.branch0 = nn.Sequential(BasicConv2d(1088, 256, 1), BasicConv2d(256, 384, 3, 2, p))
        self.branch1 = nn.Sequential(BasicConv2d(1088, 256, 1), BasicConv2d(256, 288, 3, 2, p))
        self.branch2 = nn.Sequential(BasicConv2d(1088, 256, 1), BasicConv2d(256, 288, 3, 1, 1), BasicConv2d(288, 320, 3, 2, p))
        self.branch3 = nn.MaxPool2d(3, 2, p)

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block8(nn.Module):
    def __init__(self, scale=1.0, no_relu=False):
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(2080, 192, 1)
        self.branch1 = nn.Sequential(BasicConv2d(2080, 192, 1), BasicConv2d(192, 224, (1, 3), 1, (0, 1)),
                                     BasicConv2d(224, 256, (3, 1), 1, (1, 0)))
        self.conv2d = nn.Conv2d(448, 2080, 1)
        self.relu = None if no_relu else nn.ReLU()

    def forward(self, x):
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x)], 1)) * self.scale + x
        return out if self.relu is None else self.relu(out)


class InceptionResNetV2(nn.Module):
    def __init__(self, in_chans=3, num_classes=1000, same_padding=False):
        super().__init__()
        p = 1 if same_padding else 0
        self.conv2d_1a = BasicConv2d(in_chans, 32, 3, 2, p)
        self.conv2d_2a = BasicConv2d(32, 32, 3, 1, p)
        self.conv2d_2b = BasicConv2d(32, 64, 3, 1, 1)
        self.maxpool_3a = nn.MaxPool2d(3, 2, p)
        self.conv2d_3b = BasicConv2d(64, 80, 1)
        self.conv2d_4a = BasicConv2d(80, 192, 3, 1, p)
        self.maxpool_5a = nn.MaxPool2d(3, 2, p)
        self.mixed_5b = Mixed5b()
        self.repeat = nn.Sequential(*[Block35(0.17) for _ in range(10)])
        self.mixed_6a = Mixed6a(p)
        self.repeat_1 = nn.Sequential(*[Block17(0.10) for _ in range(20)])
        self.mixed_7a = Mixed7a(p)
        self.repeat_2 = nn.Sequential(*[Block8(0.20) for _ in range(9)])
        self.block8 = Block8(no_relu=True)
        self.conv2d_7b = BasicConv2d(2080, 1536, 1)
        self.classif = nn.Linear(1536, num_classes) if num_classes else None

    def features(self, x):
        x = self.conv2d_2a(self.conv2d_1a(x))
        s2 = self.conv2d_2b(x)
        c4 = self.conv2d_4a(self.conv2d_3b(self.maxpool_3a(s2)))
        c8 = self.repeat(self.mixed_5b(self.maxpool_5a(c4)))
        c16 = self.repeat_1(self.mixed_6a(c8))
        c32 = self.conv2d_7b(self.block8(self.repeat_2(self.mixed_7a(c16))))
        return [s2, c4, c8, c16, c32]

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x)[-1], 1).flatten(1)
        return self.classif(x) if self.classif is not None else x


# ---------------------------------------------------------------- torchvision ResNet with stem tap
class TvResNet(nn.Module):
    """torchvision resnet with keys at the root (conv1, bn1, layer1..4, fc) and feature taps."""

    def __init__(self, arch="resnet34", in_chans=3, num_classes=0):
        super().__init__()
        m = getattr(torchvision.models, arch)(weights=None)
        if in_chans != 3:
            m.conv1 = nn.Conv2d(in_chans, 64, 7, 2, 3, bias=False)
        if num_classes:
            m.fc = nn.Linear(m.fc.in_features, num_classes)
        else:
            del m.fc
        self.m = m

    def state_dict(self, *a, **k):
        return self.m.state_dict(*a, **k)

    def features(self, x):
        m = self.m
        s = m.relu(m.bn1(m.conv1(x)))
        c2 = m.layer1(m.maxpool(s))
        c3 = m.layer2(c2)
        c4 = m.layer3(c3)
        c5 = m.layer4(c4)
        return [s, c2, c3, c4, c5]


# ---------------------------------------------------------------- smp Unet decoder (keys decoder.blocks.N.*)
class Conv2dReLU(nn.Sequential):
    def __init__(self, cin, cout, k, p):
        super().__init__(nn.Conv2d(cin, cout, k, padding=p, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SCSEModule(nn.Module):
    def __init__(self, ch, reduction=16):
        super().__init__()
        self.cSE = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(ch, ch // reduction, 1), nn.ReLU(inplace=True),
                                 nn.Conv2d(ch // reduction, ch, 1), nn.Sigmoid())
        self.sSE = nn.Sequential(nn.Conv2d(ch, 1, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.cSE(x) + x * self.sSE(x)


class Attention(nn.Module):
    def __init__(self, name, ch):
        super().__init__()
        self.attention = nn.Identity() if name is None else SCSEModule(ch)

    def forward(self, x):
        return self.attention(x)


class DecoderBlock(nn.Module):
    def __init__(self, cin, cskip, cout, attention):
        super().__init__()
        self.conv1 = Conv2dReLU(cin + cskip, cout, 3, 1)
        self.attention1 = Attention(attention, cin + cskip)
        self.conv2 = Conv2dReLU(cout, cout, 3, 1)
        self.attention2 = Attention(attention, cout)

    def forward(self, x, skip=None):
        if skip is not None:
            x = F.interpolate(x, size=skip.shape[-2:], mode="nearest")
            x = self.attention1(torch.cat([x, skip], 1))
        else:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.attention2(self.conv2(self.conv1(x)))


class UnetDecoder(nn.Module):
    def __init__(self, encoder_channels, decoder_channels=(256, 128, 64, 32, 16), attention=None):
        """encoder_channels: the encoder's maps shallowest first (strides 2..32, or 4..32 without a stem map)."""
        super().__init__()
        enc = list(encoder_channels)[::-1]
        head = enc[0]
        skips = enc[1:] + [0] * (len(decoder_channels) - len(enc) + 1)
        ins = [head] + list(decoder_channels[:-1])
        self.center = nn.Identity()
        self.blocks = nn.ModuleList([DecoderBlock(i, s, o, attention) for i, s, o in zip(ins, skips, decoder_channels)])

    def forward(self, feats):
        feats = feats[::-1]
        x = feats[0]
        skips = feats[1:]
        for i, b in enumerate(self.blocks):
            x = b(x, skips[i] if i < len(skips) else None)
        return x


class SmpUnet(nn.Module):
    def __init__(self, encoder, encoder_channels, classes=1, decoder_channels=(256, 128, 64, 32, 16), attention=None, aux_classes=0,
                 aux_dropout=0.0):
        super().__init__()
        self.encoder = encoder
        self.decoder = UnetDecoder(encoder_channels, decoder_channels, attention)
        self.segmentation_head = nn.Sequential(nn.Conv2d(decoder_channels[-1], classes, 3, padding=1), nn.Identity(), nn.Identity())
        # smp aux_params: ClassificationHead(pool, flatten, dropout, linear, activation)
        self.classification_head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(aux_dropout),
                                                 nn.Linear(encoder_channels[-1], aux_classes), nn.Identity()) if aux_classes else None

    def forward(self, x):
        f = self.encoder.features(x)
        masks = self.segmentation_head(self.decoder(f))
        if self.classification_head is None:
            return masks
        return masks, self.classification_head(f[-1])


# ---------------------------------------------------------------- AlbuNet (SIIM first place, ternausnets keys)
class ConvRelu(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.activation(self.conv(x))


class Interpolate(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class DecoderBlockV2(nn.Module):
    def __init__(self, cin, mid, cout):
        super().__init__()
        self.block = nn.Sequential(Interpolate(), ConvRelu(cin, mid), ConvRelu(mid, cout))

    def forward(self, x):
        return self.block(x)


class AlbuNet(nn.Module):
    def __init__(self, num_classes=1, num_filters=32, in_chans=3):
        super().__init__()
        nf = num_filters
        self.num_classes = num_classes
        self.pool = nn.MaxPool2d(2, 2)
        self.encoder = torchvision.models.resnet34(weights=None)
        if in_chans != 3:
            self.encoder.conv1 = nn.Conv2d(in_chans, 64, 7, 2, 3, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.conv1 = nn.Sequential(self.encoder.conv1, self.encoder.bn1, self.encoder.relu, self.pool)
        self.conv2 = self.encoder.layer1
        self.conv3 = self.encoder.layer2
        self.conv4 = self.encoder.layer3
        self.conv5 = self.encoder.layer4
        self.center = DecoderBlockV2(512, nf * 8 * 2, nf * 8)
        self.dec5 = DecoderBlockV2(512 + nf * 8, nf * 8 * 2, nf * 8)
        self.dec4 = DecoderBlockV2(256 + nf * 8, nf * 8 * 2, nf * 8)
        self.dec3 = DecoderBlockV2(128 + nf * 8, nf * 4 * 2, nf * 2)
        self.dec2 = DecoderBlockV2(64 + nf * 2, nf * 2 * 2, nf * 2 * 2)
        self.dec1 = DecoderBlockV2(nf * 2 * 2, nf * 2 * 2, nf)
        self.dec0 = ConvRelu(nf, nf)
        self.final = nn.Conv2d(nf, num_classes, kernel_size=1)

    def forward(self, x):
        conv1 = self.conv1(x)
        conv2 = self.conv2(conv1)
        conv3 = self.conv3(conv2)
        conv4 = self.conv4(conv3)
        conv5 = self.conv5(conv4)
        center = self.center(self.pool(conv5))
        dec5 = self.dec5(torch.cat([center, conv5], 1))
        dec4 = self.dec4(torch.cat([dec5, conv4], 1))
        dec3 = self.dec3(torch.cat([dec4, conv3], 1))
        dec2 = self.dec2(torch.cat([dec3, conv2], 1))
        dec0 = self.dec0(self.dec1(dec2))
        out = self.final(dec0)
        return F.log_softmax(out, dim=1) if self.num_classes > 1 else out
