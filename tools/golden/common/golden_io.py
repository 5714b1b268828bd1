"""Helpers shared by the golden scripts: tensors as base64 JSON entries or safetensors files, and seeded state-dict
randomisation.

Import after `sys.path.insert(0, os.path.join(HERE, "..", "common"))`.
"""
import base64
import json
import struct

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


# safetensors dtype codes of the torch dtypes the goldens write
ST_CODES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
            torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def write_safetensors(path, tensors, metadata=None, metadata_last=False):
    """A safetensors file of the tensors (dtypes of ST_CODES), in the order given (as the C# SafeTensors reader
    expects). A non-empty metadata dict is written as the header's "__metadata__" entry, before the tensor entries or,
    with metadata_last, after them (the header bytes, and so the file, depend on that order)."""
    header, blobs, offset = {}, [], 0
    if metadata and not metadata_last:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        dtype = ST_CODES[t.dtype]
        a = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy()  # numpy has no bfloat16: its raw bits
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata and metadata_last:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
