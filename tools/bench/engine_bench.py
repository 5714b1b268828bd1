#!/usr/bin/env python3
"""PyTorch side of `thorax bench engine`: the same cases as src/Thorax.Cli/Bench/EngineBench.cs, printed as JSON
{case: median_ms}. Run by the CLI with the same thread count; usable alone:
    /usr/bin/python3 tools/bench/engine_bench.py --threads 2 --repeats 10
"""
import argparse, json, math, statistics, time
import torch
import torch.nn.functional as F
from _timing import median_ms as _median_ms

ap = argparse.ArgumentParser()
ap.add_argument('--threads', type=int, default=torch.get_num_threads())
ap.add_argument('--repeats', type=int, default=10)
ap.add_argument('--device', default='cpu')
ap.add_argument('--cases', default='', help='comma-separated substrings; only cases whose name contains one run')
ap.add_argument('--no-mkldnn', action='store_true', help='torch.backends.mkldnn.enabled = False')
a = ap.parse_args()
if a.no_mkldnn:
    torch.backends.mkldnn.enabled = False
wanted = [c.strip() for c in a.cases.split(',') if c.strip()]


def want(name):
    return not wanted or any(w in name for w in wanted)

torch.set_num_threads(a.threads)
torch.manual_seed(0)
dev = torch.device(a.device)
sync = (lambda: torch.cuda.synchronize()) if dev.type == 'cuda' else (lambda: None)


def median_ms(fn, warmup, repeats):
    return _median_ms(fn, warmup, repeats, sync)


def param(*shape, scale=0.05):
    return (torch.randn(*shape, device=dev) * scale).requires_grad_(True)


res = {}
x = torch.randn(8, 64, 128, 128, device=dev)
w = param(64, 64, 3, 3)
g = torch.ones(64, device=dev, requires_grad=True)
b = torch.zeros(64, device=dev, requires_grad=True)


def conv_bn_relu():
    y = F.relu(F.batch_norm(F.conv2d(x, w, None, 1, 1), None, None, g, b, True))
    y.sum().backward()


if want('conv3x3_bn_relu_fwd_bwd [8,64,128,128]'):
    res['conv3x3_bn_relu_fwd_bwd [8,64,128,128]'] = median_ms(conv_bn_relu, 2, a.repeats)
del x

# U-Net 4 levels, same layout as EngineBench.UNetStep
widths, bott = [16, 32, 64, 128], 256
ps = []


def P(*s):
    t = param(*s); ps.append(t); return t


def ones(c):
    t = torch.ones(c, device=dev, requires_grad=True); ps.append(t); return t


def zeros(c):
    t = torch.zeros(c, device=dev, requires_grad=True); ps.append(t); return t


def block(cin, cout):
    return (P(cout, cin, 3, 3), ones(cout), zeros(cout), P(cout, cout, 3, 3), ones(cout), zeros(cout))


enc, c0 = [], 1
for wd in widths:
    enc.append(block(c0, wd)); c0 = wd
mid = block(widths[-1], bott)
ups, dec, cu = [], [], bott
for i in reversed(range(len(widths))):
    ups.append((P(cu, widths[i], 2, 2), zeros(widths[i])))
    dec.append(block(2 * widths[i], widths[i]))
    cu = widths[i]
head = (P(1, widths[0], 1, 1), zeros(1))
ux = torch.randn(4, 1, 256, 256, device=dev)
uy = (torch.rand(4, 1, 256, 256, device=dev) > 0.5).float()


def run(t, blk):
    w1, g1, b1, w2, g2, b2 = blk
    t = F.relu(F.batch_norm(F.conv2d(t, w1, None, 1, 1), None, None, g1, b1, True))
    return F.relu(F.batch_norm(F.conv2d(t, w2, None, 1, 1), None, None, g2, b2, True))


def unet_step():
    skips, h = [], ux
    for blk in enc:
        h = run(h, blk); skips.append(h); h = F.max_pool2d(h, 2)
    h = run(h, mid)
    for i in range(len(dec)):
        h = F.conv_transpose2d(h, ups[i][0], ups[i][1], stride=2)
        h = run(torch.cat([skips[-1 - i], h], 1), dec[i])
    loss = F.binary_cross_entropy_with_logits(F.conv2d(h, head[0], head[1]), uy)
    loss.backward()
    with torch.no_grad():
        for p in ps:
            p.add_(p.grad, alpha=-0.01)
            p.grad = None


if want('unet4_train_step [4,1,256,256]'):
    res['unet4_train_step [4,1,256,256]'] = median_ms(unet_step, 1, max(3, a.repeats // 2))

ma, mb = torch.randn(1024, 1024, device=dev), torch.randn(1024, 1024, device=dev)
if want('matmul 1024^3'):
    res['matmul 1024^3'] = median_ms(lambda: ma @ mb, 3, a.repeats * 2)

kx = torch.randn(8, 3136, 80, device=dev)


def knn():
    with torch.no_grad():
        torch.topk(torch.cdist(kx, kx), 9, -1, largest=False)


if want('knn_graph cdist+topk k=9 [8,3136,80]'):
    res['knn_graph cdist+topk k=9 [8,3136,80]'] = median_ms(knn, 2, a.repeats)

B, L, E, H = 4, 1024, 256, 8
D = E // H
mx = torch.randn(B, L, E, device=dev)
win, bin_, wout, bout = param(3 * E, E), param(3 * E), param(E, E), param(E)


def mha():
    with torch.no_grad():
        q, k, v = F.linear(mx, win, bin_).chunk(3, -1)
        q, k, v = [t.reshape(B, L, H, D).transpose(1, 2) for t in (q, k, v)]
        att = F.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D)), -1)
        F.linear((att @ v).transpose(1, 2).reshape(B, L, E), wout, bout)


if want('mha_forward [4,1024,256] h=8'):
    res['mha_forward [4,1024,256] h=8'] = median_ms(mha, 2, a.repeats)

if want('per_op_overhead add 1-elem (us)'):
    oa, ob = torch.ones(1, device=dev), torch.ones(1, device=dev)
    n = 20000
    for _ in range(2000):
        oa + ob
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            oa + ob
        ts.append((time.perf_counter() - t0) * 1e6 / n)
    res['per_op_overhead add 1-elem (us)'] = statistics.median(ts)
print(json.dumps(res))
