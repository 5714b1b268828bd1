"""Helpers shared by the golden scripts: tensors as base64 JSON entries or safetensors files, and seeded state-dict
randomisation.

Import after `sys.path.insert(0, os.path.join(HERE, "..", "common"))`.
"""
import base64
import json
import struct

import numpy as np
import torch


def enc(t):
    """A tensor as {"shape", "dtype": "float32", "b64"} (little-endian float32, C order), as the C# goldens read it."""
    t = t.detach().contiguous().cpu().float()
    return {"shape": list(t.shape), "dtype": "float32", "b64": base64.b64encode(t.numpy().astype("<f4").tobytes()).decode("ascii")}


def randomise_state(net, seed, batches_tracked):
    """Seeded values for every state-dict entry, in key order: num_batches_tracked = batches_tracked, running_var in
    [0.5, 1.5), running_mean and biases N(0, 0.1), other 1-D tensors 1 + N(0, 0.1), weights He-normal by fan-in."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("num_batches_tracked"):
                t.fill_(batches_tracked)
            elif name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif name.endswith("running_mean") or name.endswith("bias"):
                t.copy_(torch.randn(t.shape, generator=g) * 0.1)
            elif t.dim() == 1:
                t.copy_(1 + torch.randn(t.shape, generator=g) * 0.1)
            else:
                t.copy_(torch.randn(t.shape, generator=g) * (2.0 / t[0].numel()) ** 0.5)


def write_safetensors(path, tensors):
    """A safetensors file of float32 / int64 tensors, in the order given (as the C# SafeTensors reader expects)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy())
        dtype = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}[a.dtype]
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
