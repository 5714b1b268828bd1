"""Deterministic 'hashed' weights that C# reproduces bit for bit (tests/Thorax.Models.Tests/Support/HashedWeights.cs).

Full-size reference models (DenseNet-201 alone has 20 M parameters, 80 MB) cannot be committed as golden weight files.
Instead every tensor of a state dict is filled from its key's index in the golden's key list and the element index
with a splitmix64 hash; the golden stores only the key list (names, shapes, dtypes), inputs and outputs. The C# test
rebuilds the same dictionary from that key list and loads it strictly into its own module, so key names and shapes
are checked as well as the arithmetic.

Rule per tensor (k = key index, i = flat element index, u in [0,1) from splitmix64((k+1)*G + i*M)):
  integer tensors (num_batches_tracked, dummy_tensor)  -> 0
  *.running_mean                                       -> 0.1 * (2u - 1)
  *.running_var                                        -> 1 + 0.5 u
  1-D *.weight (BatchNorm scale)                       -> 1 + 0.1 * (2u - 1)
  *.bias and 0-d floats                                -> 0.1 * (2u - 1)
  weights with >= 2 dims (fan_in = numel / shape[0])   -> sqrt(6 / fan_in) * (2u - 1)   (He-uniform range)
Values are computed in float64 and rounded once to float32.
"""
import numpy as np
import torch

G = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)


def uniform(k, n):
    i = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(k + 1) * G + i * M1
        z ^= z >> np.uint64(30)
        z *= M1
        z ^= z >> np.uint64(27)
        z *= M2
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def value(k, key, shape, dtype):
    n = int(np.prod(shape)) if len(shape) else 1
    if not dtype.is_floating_point:
        return torch.zeros(shape, dtype=dtype)
    u = uniform(k, n)
    if key.endswith("running_mean"):
        v = 0.1 * (2 * u - 1)
    elif key.endswith("running_var"):
        v = 1 + 0.5 * u
    elif key.endswith("weight") and len(shape) == 1:
        v = 1 + 0.1 * (2 * u - 1)
    elif len(shape) >= 2:
        fan_in = n // shape[0]
        v = np.sqrt(6.0 / fan_in) * (2 * u - 1)
    else:
        v = 0.1 * (2 * u - 1)
    return torch.from_numpy(v.astype(np.float32).reshape(shape)).to(dtype)


def fill(module):
    """Overwrites every state-dict tensor of module in place; returns the key list [[name, shape, dtype], ...]."""
    sd = module.state_dict()
    keys = []
    with torch.no_grad():
        for k, (name, t) in enumerate(sd.items()):
            t.copy_(value(k, name, list(t.shape), t.dtype))
            keys.append([name, list(t.shape), str(t.dtype).replace("torch.", "")])
    return keys
