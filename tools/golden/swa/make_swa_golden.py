#!/usr/bin/env python3
"""Goldens for Thorax.Training's SWA and host RNG (PyTorch 1.13 is the oracle for SWA).

swa_averaged_model.json: a small conv-BN net; three fixed weight sets stand for the weights after three "epochs".
  torch.optim.swa_utils.AveragedModel (default equal-weight avg_fn) averages them, update_bn recomputes the BatchNorm
  statistics over three fixed batches (sizes 4, 4, 2); stored: the epoch weights, the batches, the averaged state dict
  before and after update_bn, the averaged model's eval output on batch 0, and an AveragedModel(use_buffers=True)
  state dict after the same three updates.
seeded_random.json: reference outputs of SplitMix64 and xoshiro256** 1.0 (Blackman & Vigna), Lemire bounded ints,
  doubles (top 53 bits) and a Fisher-Yates permutation, written from the published algorithms in plain Python.

    /usr/bin/python3 tools/golden/swa/make_swa_golden.py
"""
import json, os
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, update_bn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, 'tests', 'data', 'golden', 'swa')
torch.manual_seed(1313)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4, momentum=0.3)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(F.max_pool2d(x, 2), 1))


def enc(t):
    return {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'data': t.detach().flatten().tolist()}


def random_state(net, nbt):
    sd = {}
    for k, v in net.state_dict().items():
        if k.endswith('num_batches_tracked'):
            sd[k] = torch.tensor(nbt, dtype=torch.long)
        elif k.endswith('running_var'):
            sd[k] = torch.rand(v.shape) + 0.5
        elif k.endswith('running_mean'):
            sd[k] = torch.randn(v.shape) * 0.3
        else:
            sd[k] = torch.randn(v.shape) * 0.5
    return sd


net = Net()
epochs = [random_state(net, n) for n in (10, 20, 35)]
batches = [torch.randn(4, 1, 8, 8) * 2 + 0.5, torch.randn(4, 1, 8, 8), torch.randn(2, 1, 8, 8) - 0.25]

net.load_state_dict(epochs[0])
swa = AveragedModel(net)
swa_buf = AveragedModel(net, use_buffers=True)
for sd in epochs:
    net.load_state_dict(sd)
    swa.update_parameters(net)
    swa_buf.update_parameters(net)
before_bn = {k: enc(v) for k, v in swa.state_dict().items()}
update_bn(batches, swa)
after_bn = {k: enc(v) for k, v in swa.state_dict().items()}
swa.eval()
with torch.no_grad():
    out = swa(batches[0])

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, 'swa_averaged_model.json'), 'w') as f:
    json.dump({'generator': 'tools/golden/swa/make_swa_golden.py', 'torch': torch.__version__,
               'epochs': [{k: enc(v) for k, v in sd.items()} for sd in epochs],
               'batches': [enc(b) for b in batches],
               'averaged_before_update_bn': before_bn, 'averaged_after_update_bn': after_bn,
               'eval_output_batch0': enc(out),
               'averaged_use_buffers': {k: enc(v) for k, v in swa_buf.state_dict().items()}}, f, separators=(',', ':'))

# ---- host RNG reference ----
M = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


class Xoshiro:
    def __init__(self, seed):
        s, self.s = seed & M, []
        for _ in range(4):
            s, z = splitmix64(s)
            self.s.append(z)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def bounded(self, r):  # Lemire: high 64 bits of x * r, rejecting the biased low products
        m = self.next() * r
        lo = m & M
        if lo < r:
            threshold = ((1 << 64) - r) % r
            while lo < threshold:
                m = self.next() * r
                lo = m & M
        return m >> 64

    def double(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.bounded(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


sm, out_sm = 0, []
for _ in range(4):
    sm, z = splitmix64(sm)
    out_sm.append('%016x' % z)
rng = {}
for seed in (0, 42, 0xDEADBEEFCAFEBABE):
    x = Xoshiro(seed)
    state = ['%016x' % w for w in x.s]
    u64 = ['%016x' % x.next() for _ in range(8)]
    b = [x.bounded(r) for r in (1, 2, 3, 10, 1000, 2 ** 31 - 1, 7, 6)]
    d = [x.double() for _ in range(4)]
    perm = x.permutation(12)
    rng['%d' % seed] = {'state': state, 'u64': u64, 'bounded_ranges': [1, 2, 3, 10, 1000, 2 ** 31 - 1, 7, 6], 'bounded': b,
                        'doubles': d, 'permutation12': perm}
with open(os.path.join(OUT, 'seeded_random.json'), 'w') as f:
    json.dump({'generator': 'tools/golden/swa/make_swa_golden.py', 'splitmix64_seed0': out_sm, 'xoshiro': rng}, f, indent=1)
print('wrote', OUT)
