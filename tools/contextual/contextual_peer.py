"""PyTorch peer of ConTEXTual Net (Huemann et al. 2023), written from the published architecture
(seed-specs section 3.1): a U-Net (double 3x3 conv without bias + BN + ReLU, max-pool down, 2x2 stride-2 transposed
convolution up, skip-first concatenation with the decoder zero-padded to the skip) whose four decoder levels are
gated by the report: Linear(d_text -> C) projection, single-head nn.MultiheadAttention with the vision tokens as
queries and the projected text as keys and values, out = tanh(A) * Q. Parameter names follow the authors' module so
their checkpoints and Thorax's load into each other. Used by the golden generator and `thorax bench contextual`.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.double_conv = block(cin, cout)

    def forward(self, x):
        return self.double_conv(x)


class DownStep(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), Block(cin, cout))

    def forward(self, x):
        return self.maxpool_conv(x)


class UpStep(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.up = nn.ConvTranspose2d(c, c // 2, 2, stride=2)

    def forward(self, x):
        return self.up(x)


class Head(nn.Module):
    def __init__(self, cin, classes):
        super().__init__()
        self.conv = nn.Conv2d(cin, classes, 1)

    def forward(self, x):
        return self.conv(x)


class Gate(nn.Module):
    """tanh(MHA(Q = pixels, K = V = text)) * Q, sequence-first as nn.MultiheadAttention's default."""

    def __init__(self, c):
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(c, 1)

    def forward(self, text, vision, key_padding_mask=None):
        b, c, h, w = vision.shape
        q = vision.flatten(2).permute(2, 0, 1)          # (HW, B, C), row-major over H then W
        kv = text.transpose(0, 1)                      # (T, B, C)
        a, weights = self.multihead_attn(q, kv, kv, key_padding_mask=key_padding_mask)
        out = torch.tanh(a) * q
        return out.permute(1, 2, 0).reshape(b, c, h, w), weights


def pad_cat(dec, skip):
    dy = skip.shape[2] - dec.shape[2]
    dx = skip.shape[3] - dec.shape[3]
    dec = F.pad(dec, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
    return torch.cat([skip, dec], dim=1)


class ContextualPeer(nn.Module):
    def __init__(self, in_ch=3, classes=1, widths=(64, 128, 256, 512, 1024), text_dim=1024, language=True, attend_to_padding=True):
        super().__init__()
        w = list(widths)
        self.language = language
        self.attend_to_padding = attend_to_padding
        self.inc = Block(in_ch, w[0])
        for i in range(4):
            setattr(self, f"down{i + 1}", DownStep(w[i], w[i + 1]))
        for k in range(4):
            c = w[4 - k]
            setattr(self, f"up{k + 1}", UpStep(c))
            setattr(self, f"up_conv{k + 1}", Block(c, c // 2))
        if language:
            self.lang_attn = Gate(w[4])  # defined, never called (as the authors' model)
        self.outc = Head(w[0], classes)
        if language:
            for k in range(4):
                setattr(self, f"lang_proj{k + 1}", nn.Linear(text_dim, w[3 - k]))
                setattr(self, f"lang_attn{k + 1}", Gate(w[3 - k]))

    def forward(self, img, text=None, mask=None, attention=None):
        skips = [self.inc(img)]
        for i in range(4):
            skips.append(getattr(self, f"down{i + 1}")(skips[-1]))
        x = skips[4]
        kpm = None if (mask is None or self.attend_to_padding) else (mask == 0)
        for k in range(4):
            up = getattr(self, f"up{k + 1}")(x)
            if self.language:
                lang = getattr(self, f"lang_proj{k + 1}")(text)
                up, wts = getattr(self, f"lang_attn{k + 1}")(lang, up, kpm)
                if attention is not None:
                    attention.append(wts)
            x = getattr(self, f"up_conv{k + 1}")(pad_cat(up, skips[3 - k]))
        return self.outc(x)
