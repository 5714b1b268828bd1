#!/usr/bin/env python3
"""Golden run for the end-to-end engine check: a conv-BN-ReLU-pool-linear net trained 20 steps with AdamW and a cosine
schedule in PyTorch 1.13. Stores the initial state dict, the data, the loss at every step and the final state dict
in tests/data/golden/training/small_net_adamw_cosine.json.
    /usr/bin/python3 tools/golden/training/make_train_golden.py
"""
import json, os
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, 'tests', 'data', 'golden', 'training', 'small_net_adamw_cosine.json')
torch.manual_seed(2024)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1, bias=False)  # a bias before BatchNorm has zero gradient: Adam would amplify rounding noise
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(torch.flatten(F.max_pool2d(F.relu(self.bn(self.conv(x))), 2), 1))


def enc(t):
    return {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'data': t.detach().flatten().tolist()}


net = Net()
x = torch.randn(8, 1, 8, 8)
y = torch.randint(0, 3, (8,))
init = {k: enc(v) for k, v in net.state_dict().items()}
opt = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=1e-2)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20, eta_min=1e-4)
losses, lrs = [], []
for step in range(20):
    opt.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    lrs.append(opt.param_groups[0]['lr'])
    sched.step()
    losses.append(loss.item())
final = {k: enc(v) for k, v in net.state_dict().items()}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'tools/golden/training/make_train_golden.py', 'torch': torch.__version__, 'x': enc(x), 'y': enc(y),
               'initial': init, 'losses': losses, 'lrs': lrs, 'final': final}, f, separators=(',', ':'))
print('losses', [round(v, 4) for v in losses])
