#!/usr/bin/env python3
"""Golden values for Thorax.Torch op tests, computed with Debian's PyTorch 1.13 (/usr/bin/python3).

For every case: inputs (fixed seed), the forward output, and the gradients of sum(output * cotangent) with respect to
each floating input that requires grad. Written to tests/data/golden/torch/ops.json.
    /usr/bin/python3 tools/golden/torch/make_ops_golden.py
"""
import json, os
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.join(ROOT, 'tests', 'data', 'golden', 'torch', 'ops.json')
cases = []


def enc(t):
    t = t.detach()
    return {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'data': t.flatten().tolist()}


def case(name, op, inputs, args, fn, grad=True, const=('pw', 'rm', 'rv', 'w_const')):
    ins = {}
    for k, v in inputs.items():
        v = v.clone()
        if grad and v.is_floating_point() and k not in const:
            v.requires_grad_(True)
        ins[k] = v
    out = fn(ins, args)
    entry = {'name': name, 'op': op, 'args': args, 'inputs': {k: enc(v) for k, v in ins.items()}}
    if isinstance(out, tuple):
        entry['outputs'] = [enc(o) for o in out]
        out = out[0]
    else:
        entry['output'] = enc(out)
    if grad and out.is_floating_point() and out.requires_grad:
        g = torch.randn_like(out)
        (out * g).sum().backward()
        entry['cotangent'] = enc(g)
        entry['grads'] = {k: enc(v.grad) for k, v in ins.items() if v.is_floating_point() and v.grad is not None}
    cases.append(entry)


r = lambda *s: torch.randn(*s)
pos = lambda *s: torch.rand(*s) + 0.5

# ---- elementwise ----
for op in ['exp', 'sigmoid', 'tanh', 'relu', 'gelu', 'silu', 'abs', 'neg', 'sin', 'cos', 'erf', 'square']:
    case(op, 'unary', {'x': r(3, 4)}, {'fn': op}, lambda i, a: getattr(torch, a['fn'])(i['x']) if a['fn'] not in ('gelu', 'silu', 'relu') else getattr(F, a['fn'])(i['x']))
for op in ['log', 'sqrt', 'rsqrt', 'reciprocal', 'log1p']:
    case(op, 'unary', {'x': pos(3, 4)}, {'fn': op}, lambda i, a: getattr(torch, a['fn'])(i['x']))
case('gelu_tanh', 'gelu_tanh', {'x': r(3, 4)}, {}, lambda i, a: F.gelu(i['x'], approximate='tanh'))
for op in ['add', 'sub', 'mul', 'div', 'maximum', 'minimum']:
    case(op + '_broadcast', 'binary', {'a': r(2, 3, 4), 'b': r(3, 1)}, {'fn': op}, lambda i, a: getattr(torch, a['fn'])(i['a'], i['b']))
case('pow_tensor', 'binary', {'a': pos(3, 4), 'b': r(3, 4)}, {'fn': 'pow'}, lambda i, a: torch.pow(i['a'], i['b']))
case('add_alpha', 'add_alpha', {'a': r(3, 4), 'b': r(4)}, {'alpha': -0.75}, lambda i, a: torch.add(i['a'], i['b'], alpha=a['alpha']))
case('pow_scalar', 'pow_scalar', {'a': pos(5)}, {'e': 2.5}, lambda i, a: i['a'] ** a['e'])
case('rdiv_scalar', 'rdiv_scalar', {'a': pos(5)}, {'s': 3.0}, lambda i, a: a['s'] / i['a'])
case('rsub_scalar', 'rsub_scalar', {'a': r(5)}, {'s': 2.0}, lambda i, a: a['s'] - i['a'])
case('clamp', 'clamp', {'x': r(4, 5)}, {'min': -0.5, 'max': 0.7}, lambda i, a: i['x'].clamp(a['min'], a['max']))
case('where', 'where', {'c': torch.rand(3, 4) > 0.5, 'a': r(3, 4), 'b': r(1, 4)}, {}, lambda i, a: torch.where(i['c'], i['a'], i['b']))
case('lerp', 'lerp', {'a': r(6), 'b': r(6)}, {'w': 0.3}, lambda i, a: torch.lerp(i['a'], i['b'], a['w']))
case('addcdiv', 'addcdiv', {'s': r(6), 'a': r(6), 'b': pos(6)}, {'v': -0.5}, lambda i, a: torch.addcdiv(i['s'], i['a'], i['b'], value=a['v']))

# ---- reductions ----
case('sum_dims', 'sum', {'x': r(2, 3, 4)}, {'dims': [0, 2], 'keepdim': True}, lambda i, a: i['x'].sum(a['dims'], keepdim=a['keepdim']))
case('sum_all', 'sum', {'x': r(2, 3, 4)}, {'dims': [], 'keepdim': False}, lambda i, a: i['x'].sum())
case('mean_dim', 'mean', {'x': r(2, 3, 4)}, {'dims': [1], 'keepdim': False}, lambda i, a: i['x'].mean(a['dims']))
case('var_dim', 'var', {'x': r(3, 5)}, {'dims': [1], 'correction': 1, 'std': False}, lambda i, a: i['x'].var(1))
case('std_all_unbiased0', 'var', {'x': r(3, 5)}, {'dims': None, 'correction': 0, 'std': True}, lambda i, a: torch.std(i['x'], unbiased=False))
case('logsumexp', 'logsumexp', {'x': r(3, 5) * 10}, {'dim': 1}, lambda i, a: torch.logsumexp(i['x'], 1))
case('max_dim', 'max_dim', {'x': r(3, 5)}, {'dim': 1}, lambda i, a: tuple(i['x'].max(1)))
case('min_dim', 'min_dim', {'x': r(3, 5)}, {'dim': 0}, lambda i, a: tuple(i['x'].min(0)))
case('amax', 'amax', {'x': r(3, 4, 5)}, {'dims': [0, 2]}, lambda i, a: i['x'].amax((0, 2)))
case('argmax', 'argmax', {'x': r(3, 5)}, {'dim': 1}, lambda i, a: i['x'].argmax(1), grad=False)
case('norm_p3', 'norm', {'x': r(4, 5)}, {'p': 3.0, 'dims': [1]}, lambda i, a: i['x'].norm(3.0, dim=1))
case('norm_fro', 'norm', {'x': r(4, 5)}, {'p': 2.0, 'dims': None}, lambda i, a: i['x'].norm())
case('cumsum', 'cumsum', {'x': r(3, 5)}, {'dim': 1}, lambda i, a: i['x'].cumsum(1))

# ---- linear algebra, sort, distances ----
case('matmul_broadcast', 'matmul', {'a': r(2, 3, 4), 'b': r(4, 5)}, {}, lambda i, a: torch.matmul(i['a'], i['b']))
case('bmm', 'bmm', {'a': r(2, 3, 4), 'b': r(2, 4, 2)}, {}, lambda i, a: torch.bmm(i['a'], i['b']))
case('einsum', 'einsum', {'a': r(2, 3, 4), 'b': r(2, 4, 5)}, {'eq': 'bij,bjk->bik'}, lambda i, a: torch.einsum(a['eq'], i['a'], i['b']))
case('linear', 'linear', {'x': r(3, 4), 'w': r(5, 4), 'b': r(5)}, {}, lambda i, a: F.linear(i['x'], i['w'], i['b']))
case('topk', 'topk', {'x': r(3, 8)}, {'k': 3, 'dim': 1, 'largest': True}, lambda i, a: tuple(torch.topk(i['x'], 3, 1)))
case('topk_smallest', 'topk', {'x': r(3, 8)}, {'k': 2, 'dim': 1, 'largest': False}, lambda i, a: tuple(torch.topk(i['x'], 2, 1, largest=False)))
case('sort_desc', 'sort', {'x': r(2, 6)}, {'dim': 1, 'descending': True}, lambda i, a: tuple(torch.sort(i['x'], 1, descending=True)))
case('cdist', 'cdist', {'a': r(2, 5, 3), 'b': r(2, 4, 3)}, {'p': 2.0}, lambda i, a: torch.cdist(i['a'], i['b']))
case('pairwise_distance', 'pairwise_distance', {'a': r(4, 3), 'b': r(4, 3)}, {}, lambda i, a: F.pairwise_distance(i['a'], i['b']))
case('cosine_similarity', 'cosine_similarity', {'a': r(4, 3), 'b': r(4, 3)}, {}, lambda i, a: F.cosine_similarity(i['a'], i['b'], dim=1))
case('one_hot', 'one_hot', {'x': torch.tensor([0, 2, 1, 3])}, {'n': 5}, lambda i, a: F.one_hot(i['x'], 5), grad=False)

# ---- shape and indexing ----
case('permute_reshape', 'permute_reshape', {'x': r(2, 3, 4)}, {}, lambda i, a: i['x'].permute(2, 0, 1).reshape(4, 6))
case('cat', 'cat', {'a': r(2, 3), 'b': r(1, 3)}, {'dim': 0}, lambda i, a: torch.cat([i['a'], i['b']], 0))
case('stack', 'stack', {'a': r(2, 3), 'b': r(2, 3)}, {'dim': 1}, lambda i, a: torch.stack([i['a'], i['b']], 1))
case('gather', 'gather', {'x': r(3, 4), 'i': torch.tensor([[0, 1], [3, 3], [2, 0]])}, {'dim': 1}, lambda i, a: i['x'].gather(1, i['i']))
case('scatter_add', 'scatter_add', {'x': r(3, 5), 'i': torch.tensor([[0, 1, 0], [4, 4, 2], [1, 0, 3]]), 's': r(3, 3)}, {'dim': 1},
     lambda i, a: i['x'].scatter_add(1, i['i'], i['s']))
case('index_select', 'index_select', {'x': r(4, 3), 'i': torch.tensor([3, 0, 0])}, {'dim': 0}, lambda i, a: i['x'].index_select(0, i['i']))
case('masked_fill', 'masked_fill', {'x': r(3, 4), 'm': torch.rand(3, 4) > 0.6}, {'v': -2.0}, lambda i, a: i['x'].masked_fill(i['m'], -2.0))
case('flip', 'flip', {'x': r(2, 3, 4)}, {'dims': [0, 2]}, lambda i, a: i['x'].flip(0, 2))
case('repeat', 'repeat', {'x': r(2, 3)}, {'reps': [2, 1, 2]}, lambda i, a: i['x'].repeat(2, 1, 2))
case('expand', 'expand', {'x': r(3, 1)}, {'shape': [2, 3, 4]}, lambda i, a: i['x'].expand(2, 3, 4))
case('narrow_slice', 'narrow_slice', {'x': r(4, 6)}, {}, lambda i, a: i['x'].narrow(0, 1, 2)[:, 1:6:2])
case('index_tensor', 'index_tensor', {'x': r(4, 5), 'i': torch.tensor([2, 0, 3])}, {}, lambda i, a: i['x'][i['i']])
case('pad_reflect', 'pad', {'x': r(1, 2, 4, 5)}, {'pad': [1, 2, 2, 1], 'mode': 'reflect'}, lambda i, a: F.pad(i['x'], a['pad'], mode='reflect'))
case('pad_constant', 'pad', {'x': r(1, 2, 3, 3)}, {'pad': [1, 1, 0, 2], 'mode': 'constant', 'value': 0.5}, lambda i, a: F.pad(i['x'], a['pad'], value=0.5))

# ---- convolution and pooling ----
case('conv2d', 'conv2d', {'x': r(2, 3, 7, 6), 'w': r(4, 3, 3, 3), 'b': r(4)}, {'stride': [1, 1], 'padding': [1, 1], 'dilation': [1, 1], 'groups': 1},
     lambda i, a: F.conv2d(i['x'], i['w'], i['b'], 1, 1))
case('conv2d_stride_dil_groups', 'conv2d', {'x': r(1, 4, 9, 8), 'w': r(6, 2, 3, 2)}, {'stride': [2, 1], 'padding': [2, 1], 'dilation': [2, 1], 'groups': 2},
     lambda i, a: F.conv2d(i['x'], i['w'], None, (2, 1), (2, 1), (2, 1), 2))
case('conv_transpose2d', 'conv_transpose2d', {'x': r(1, 3, 4, 5), 'w': r(3, 2, 3, 3), 'b': r(2)},
     {'stride': [2, 2], 'padding': [1, 1], 'output_padding': [1, 1], 'groups': 1, 'dilation': [1, 1]},
     lambda i, a: F.conv_transpose2d(i['x'], i['w'], i['b'], 2, 1, 1))
case('conv1d', 'conv1d', {'x': r(2, 3, 10), 'w': r(4, 3, 3), 'b': r(4)}, {'stride': 2, 'padding': 1}, lambda i, a: F.conv1d(i['x'], i['w'], i['b'], 2, 1))
case('max_pool2d', 'max_pool2d', {'x': r(1, 2, 7, 7)}, {'k': [3, 3], 's': [2, 2], 'p': [1, 1], 'ceil': False}, lambda i, a: F.max_pool2d(i['x'], 3, 2, 1))
case('max_pool2d_ceil', 'max_pool2d', {'x': r(1, 2, 6, 7)}, {'k': [2, 2], 's': [2, 2], 'p': [0, 0], 'ceil': True}, lambda i, a: F.max_pool2d(i['x'], 2, 2, 0, ceil_mode=True))
case('avg_pool2d_nopad', 'avg_pool2d', {'x': r(1, 2, 7, 7)}, {'k': [3, 3], 's': [2, 2], 'p': [1, 1], 'ceil': True, 'cip': False},
     lambda i, a: F.avg_pool2d(i['x'], 3, 2, 1, ceil_mode=True, count_include_pad=False))
case('adaptive_avg_pool2d', 'adaptive_avg_pool2d', {'x': r(1, 2, 7, 5)}, {'size': [3, 2]}, lambda i, a: F.adaptive_avg_pool2d(i['x'], (3, 2)))
case('adaptive_max_pool2d', 'adaptive_max_pool2d', {'x': r(1, 2, 7, 5)}, {'size': [2, 2]}, lambda i, a: F.adaptive_max_pool2d(i['x'], 2))

# ---- resampling ----
for mode, ac in [('nearest', None), ('bilinear', False), ('bilinear', True), ('bicubic', False), ('bicubic', True), ('area', None), ('nearest-exact', None)]:
    case('interpolate_%s_%s_up' % (mode, ac), 'interpolate', {'x': r(1, 2, 5, 4)}, {'size': [8, 7], 'mode': mode, 'align_corners': ac},
         lambda i, a: F.interpolate(i['x'], size=a['size'], mode=a['mode'], align_corners=a['align_corners']))
    case('interpolate_%s_%s_down' % (mode, ac), 'interpolate', {'x': r(1, 2, 9, 8)}, {'size': [4, 3], 'mode': mode, 'align_corners': ac},
         lambda i, a: F.interpolate(i['x'], size=a['size'], mode=a['mode'], align_corners=a['align_corners']))
case('interpolate_bilinear_antialias', 'interpolate', {'x': r(1, 1, 12, 10)}, {'size': [5, 4], 'mode': 'bilinear', 'align_corners': False, 'antialias': True},
     lambda i, a: F.interpolate(i['x'], size=a['size'], mode='bilinear', align_corners=False, antialias=True), grad=False)
case('interpolate_scale2', 'interpolate_scale', {'x': r(1, 2, 3, 4)}, {'scale': [2.0, 2.0], 'mode': 'bilinear', 'align_corners': False},
     lambda i, a: F.interpolate(i['x'], scale_factor=2.0, mode='bilinear', align_corners=False))
theta = torch.tensor([[[0.9, -0.2, 0.1], [0.25, 1.1, -0.05]]])
case('affine_grid', 'affine_grid', {'t': theta}, {'size': [1, 2, 5, 6], 'align_corners': False}, lambda i, a: F.affine_grid(i['t'], a['size'], align_corners=False))
for mode, mi in [('bilinear', 0), ('nearest', 1), ('bicubic', 2)]:
    for pad, pi in [('zeros', 0), ('border', 1), ('reflection', 2)]:
        case('grid_sample_%s_%s' % (mode, pad), 'grid_sample', {'x': r(1, 2, 5, 6), 'g': torch.rand(1, 4, 3, 2) * 2.4 - 1.2},
             {'mode': mi, 'padding': pi, 'align_corners': mode == 'bicubic'},
             lambda i, a, mode=mode, pad=pad: F.grid_sample(i['x'], i['g'], mode=mode, padding_mode=pad, align_corners=a['align_corners']),
             grad=(mode != 'nearest'))

# ---- normalisation ----
rm, rv = torch.randn(3), torch.rand(3) + 0.5
case('batch_norm_train', 'batch_norm', {'x': r(4, 3, 2, 2), 'w': r(3), 'b': r(3), 'rm': rm.clone(), 'rv': rv.clone()},
     {'training': True, 'momentum': 0.1, 'eps': 1e-5}, lambda i, a: F.batch_norm(i['x'], i['rm'].detach(), i['rv'].detach(), i['w'], i['b'], True, 0.1, 1e-5))
case('batch_norm_eval', 'batch_norm', {'x': r(4, 3, 2, 2), 'w': r(3), 'b': r(3), 'rm': rm.clone(), 'rv': rv.clone()},
     {'training': False, 'momentum': 0.1, 'eps': 1e-5}, lambda i, a: F.batch_norm(i['x'], i['rm'].detach(), i['rv'].detach(), i['w'], i['b'], False, 0.1, 1e-5))
case('group_norm', 'group_norm', {'x': r(2, 6, 3, 3), 'w': r(6), 'b': r(6)}, {'groups': 3, 'eps': 1e-5}, lambda i, a: F.group_norm(i['x'], 3, i['w'], i['b']))
case('layer_norm', 'layer_norm', {'x': r(2, 3, 8), 'w': r(8), 'b': r(8)}, {'shape': [8], 'eps': 1e-5}, lambda i, a: F.layer_norm(i['x'], [8], i['w'], i['b']))
case('instance_norm', 'instance_norm', {'x': r(2, 3, 4, 4), 'w': r(3), 'b': r(3)}, {'eps': 1e-5}, lambda i, a: F.instance_norm(i['x'], weight=i['w'], bias=i['b']))

# ---- activations ----
case('softmax', 'softmax', {'x': r(3, 5)}, {'dim': 1}, lambda i, a: F.softmax(i['x'], 1))
case('log_softmax', 'log_softmax', {'x': r(3, 5) * 5}, {'dim': 0}, lambda i, a: F.log_softmax(i['x'], 0))
case('leaky_relu', 'leaky_relu', {'x': r(3, 5)}, {'slope': 0.2}, lambda i, a: F.leaky_relu(i['x'], 0.2))
case('elu', 'elu', {'x': r(3, 5)}, {'alpha': 1.0}, lambda i, a: F.elu(i['x']))
case('softplus', 'softplus', {'x': r(3, 5) * 10}, {'beta': 2.0, 'threshold': 5.0}, lambda i, a: F.softplus(i['x'], 2.0, 5.0))

# ---- losses ----
case('bce_with_logits', 'bce_with_logits', {'x': r(4, 3), 'y': torch.rand(4, 3).round(), 'pw': pos(3)}, {'reduction': 1},
     lambda i, a: F.binary_cross_entropy_with_logits(i['x'], i['y'], pos_weight=i['pw']))
case('bce', 'bce', {'x': torch.rand(6) * 0.9 + 0.05, 'y': torch.rand(6).round()}, {'reduction': 2}, lambda i, a: F.binary_cross_entropy(i['x'], i['y'], reduction='sum'), const=('y',))
case('cross_entropy', 'cross_entropy', {'x': r(5, 4), 'y': torch.tensor([0, 3, 1, 1, 2]), 'w_const': pos(4)}, {'ignore': -100, 'smooth': 0.0, 'reduction': 1},
     lambda i, a: F.cross_entropy(i['x'], i['y'], i['w_const']))
case('cross_entropy_ignore_smooth', 'cross_entropy', {'x': r(5, 4, 2), 'y': torch.tensor([[0, 3], [1, 1], [2, 2], [3, 0], [1, 2]])},
     {'ignore': 2, 'smooth': 0.1, 'reduction': 1}, lambda i, a: F.cross_entropy(i['x'], i['y'], ignore_index=2, label_smoothing=0.1))
case('nll_loss', 'nll_loss', {'x': F.log_softmax(r(5, 3), 1), 'y': torch.tensor([0, 2, 1, 1, 0])}, {}, lambda i, a: F.nll_loss(i['x'], i['y']))
case('mse', 'mse', {'x': r(3, 4), 'y': r(3, 4)}, {}, lambda i, a: F.mse_loss(i['x'], i['y']))
case('l1', 'l1', {'x': r(3, 4), 'y': r(3, 4)}, {}, lambda i, a: F.l1_loss(i['x'], i['y']))
case('smooth_l1', 'smooth_l1', {'x': r(3, 4), 'y': r(3, 4)}, {'beta': 0.5}, lambda i, a: F.smooth_l1_loss(i['x'], i['y'], beta=0.5))
case('kl_div_batchmean', 'kl_div', {'x': F.log_softmax(r(3, 5), 1), 'y': F.softmax(r(3, 5), 1)}, {}, lambda i, a: F.kl_div(i['x'], i['y'], reduction='batchmean'))
case('triplet_margin', 'triplet', {'a': r(4, 6), 'p': r(4, 6), 'n': r(4, 6)}, {'margin': 1.0}, lambda i, a: F.triplet_margin_loss(i['a'], i['p'], i['n'], 1.0))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'tools/golden/torch/make_ops_golden.py', 'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
print('%d cases -> %s (%d bytes)' % (len(cases), OUT, os.path.getsize(OUT)))
