#!/usr/bin/python3
"""T5 encoder goldens for Thorax.Text (run by hand: /usr/bin/python3 tools/golden/text/make_t5_golden.py).

A reference T5 encoder written here in plain PyTorch (python3-torch 1.13) from the T5 paper (Raffel et al. 2020,
"Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer", section 2.1 "Model"), not from
any library's T5 code. What the paper specifies and how this script follows it:

* "a simplified form of layer normalization where the activations are only rescaled and no additive bias is applied":
  rms_norm(x) = w * x / sqrt(mean(x^2) + eps) (no mean subtraction, no bias).
* "layer normalization is applied to the input of each subcomponent" and "a residual skip connection adds each
  subcomponent's input to its output": x = x + attn(norm(x)); x = x + ffn(norm(x)); a final norm after the last block.
* The feed-forward network is "a dense layer with an output dimensionality of d_ff followed by a ReLU nonlinearity and
  another dense layer"; all dense layers have no bias (the released checkpoints have no bias tensors). The gated
  variant (T5 v1.1 / FLAN-T5, "gated-gelu") is wo(gelu_tanh(wi_0 x) * wi_1 x).
* Attention: multi-head, q, k, v of width num_heads * d_kv, output projection o. Logits are q . k without division
  by sqrt(d_kv) (Mesh TensorFlow's T5 folds that factor into the initialisation of q), plus a relative position bias
  and the padding mask; softmax over keys.
* "we use a simplified form of position embeddings where each 'embedding' is simply a scalar that is added to the
  corresponding logit used for computing the attention weights ... we share the position embedding parameters across
  all layers ... each attention head uses a different learned position embedding ... we use 32 embeddings for all of
  our models with ranges that increase in size logarithmically up to an offset of 128 beyond which we assign all
  relative positions to the same embedding." The bucket of a relative offset r = key - query (bidirectional encoder):
  half of the buckets (B/2) for r > 0 and half for r <= 0; with n = |r| and exact = B/4, n < exact gets bucket n,
  otherwise exact + floor(log(n / exact) / log(max_distance / exact) * (B/2 - exact)), capped at B/2 - 1; r > 0 adds
  B/2. The table lives in block 0 (relative_attention_bias [B, heads]) and its bias is reused by every block.
* Dropout is not applied (inference).

Weights are random (seeded) for two small configurations and saved with T5EncoderModel's key names as safetensors
(written by hand below: 8-byte little-endian header length, JSON header, raw little-endian float32), with a
config.json, into tests/data/golden/text/t5_relu/ and t5_gated/ (t5_gated_bin/ holds the gated weights as a
torch.save pytorch_model.bin of a full checkpoint: tied embed_tokens, decoder and lm_head entries); inputs (ids, mask with padding) and expected hidden
states (computed in float64, stored float32) go to tests/data/golden/text/t5_<name>_io.safetensors, and the bucket of
every relative offset -200..200 to t5_buckets.json. (The tests copy t5_relu/ with spm_tiny.model as spiece.model
into a temporary folder to open it with TextEncoders.Load; the model file is not committed twice.)
"""
import json, math, os, sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "text")
sys.path.insert(0, os.path.join(ROOT, "tools", "golden", "common"))
from golden_io import write_safetensors  # noqa: E402


def bucket(r, num_buckets, max_distance):
    half = num_buckets // 2
    out = half if r > 0 else 0
    n = abs(r)
    exact = half // 2
    if n < exact:
        return out + n
    v = exact + int(math.floor(math.log(n / exact) / math.log(max_distance / exact) * (half - exact)))
    return out + min(v, half - 1)


def rms_norm(x, w, eps):
    return w * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def encoder(params, cfg, ids, mask):
    d = torch.float64
    p = {k: v.to(d) for k, v in params.items()}
    H, dkv, eps = cfg["num_heads"], cfg["d_kv"], cfg["layer_norm_epsilon"]
    B, T = ids.shape
    x = p["shared.weight"][ids]
    table = p["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]   # [buckets, heads]
    rel = [[bucket(j - i, cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"])
            for j in range(T)] for i in range(T)]                                       # [query i, key j]
    pos_bias = table[torch.tensor(rel)].permute(2, 0, 1).unsqueeze(0)                  # [1, H, T, T]
    neg = torch.where(mask[:, None, None, :] > 0, torch.zeros((), dtype=d), torch.full((), -1e30, dtype=d))
    for i in range(cfg["num_layers"]):
        pre = "encoder.block.%d.layer." % i
        h = rms_norm(x, p[pre + "0.layer_norm.weight"], eps)
        split = lambda y: y.view(B, T, H, dkv).transpose(1, 2)
        q = split(h @ p[pre + "0.SelfAttention.q.weight"].T)
        k = split(h @ p[pre + "0.SelfAttention.k.weight"].T)
        v = split(h @ p[pre + "0.SelfAttention.v.weight"].T)
        logits = q @ k.transpose(-1, -2) + pos_bias + neg
        ctx = torch.softmax(logits, -1) @ v
        x = x + ctx.transpose(1, 2).reshape(B, T, H * dkv) @ p[pre + "0.SelfAttention.o.weight"].T
        h = rms_norm(x, p[pre + "1.layer_norm.weight"], eps)
        if cfg["feed_forward_proj"] == "relu":
            f = torch.relu(h @ p[pre + "1.DenseReluDense.wi.weight"].T)
        else:
            f = gelu_tanh(h @ p[pre + "1.DenseReluDense.wi_0.weight"].T) * (h @ p[pre + "1.DenseReluDense.wi_1.weight"].T)
        x = x + f @ p[pre + "1.DenseReluDense.wo.weight"].T
    return rms_norm(x, p["encoder.final_layer_norm.weight"], eps)


def make(name, cfg, seed, lengths):
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *s, std: torch.randn(*s, generator=g) * std
    D, H, dkv, ff = cfg["d_model"], cfg["num_heads"], cfg["d_kv"], cfg["d_ff"]
    params = {"shared.weight": rnd(cfg["vocab_size"], D, std=1.0)}
    for i in range(cfg["num_layers"]):
        pre = "encoder.block.%d.layer." % i
        params[pre + "0.SelfAttention.q.weight"] = rnd(H * dkv, D, std=(D * dkv) ** -0.5)
        params[pre + "0.SelfAttention.k.weight"] = rnd(H * dkv, D, std=D ** -0.5)
        params[pre + "0.SelfAttention.v.weight"] = rnd(H * dkv, D, std=D ** -0.5)
        params[pre + "0.SelfAttention.o.weight"] = rnd(D, H * dkv, std=(H * dkv) ** -0.5)
        if i == 0:
            params[pre + "0.SelfAttention.relative_attention_bias.weight"] = rnd(cfg["relative_attention_num_buckets"], H, std=1.0)
        params[pre + "0.layer_norm.weight"] = 1.0 + rnd(D, std=0.1)
        if cfg["feed_forward_proj"] == "relu":
            params[pre + "1.DenseReluDense.wi.weight"] = rnd(ff, D, std=D ** -0.5)
        else:
            params[pre + "1.DenseReluDense.wi_0.weight"] = rnd(ff, D, std=D ** -0.5)
            params[pre + "1.DenseReluDense.wi_1.weight"] = rnd(ff, D, std=D ** -0.5)
        params[pre + "1.DenseReluDense.wo.weight"] = rnd(D, ff, std=ff ** -0.5)
        params[pre + "1.layer_norm.weight"] = 1.0 + rnd(D, std=0.1)
    params["encoder.final_layer_norm.weight"] = 1.0 + rnd(D, std=0.1)

    T = max(lengths)
    ids = torch.zeros(len(lengths), T, dtype=torch.int64)
    mask = torch.zeros(len(lengths), T, dtype=torch.int64)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(3, cfg["vocab_size"], (n,), generator=g)
        ids[b, n - 1] = 1   # </s>
        mask[b, :n] = 1
    hidden = encoder(params, cfg, ids, mask).to(torch.float32)

    folder = os.path.join(OUT, "t5_" + name)
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), params)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(dict(cfg, model_type="t5", architectures=["T5EncoderModel"], pad_token_id=0, eos_token_id=1,
                       dropout_rate=0.1, is_encoder_decoder=False), f, indent=1)
    write_safetensors(os.path.join(OUT, "t5_%s_io.safetensors" % name),
                      {"input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden})
    return folder, params


def main():
    relu = dict(vocab_size=100, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4,
                relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
                feed_forward_proj="relu")
    gated = dict(vocab_size=100, d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=2,
                 relative_attention_num_buckets=16, relative_attention_max_distance=20, layer_norm_epsilon=1e-6,
                 feed_forward_proj="gated-gelu")
    # 150 tokens reach past max_distance 128; the second row is padded.
    make("relu", relu, 1234, [150, 37])
    folder, params = make("gated", gated, 99, [40, 9, 25])
    # The same gated weights as a torch.save zip file (pytorch_model.bin) the way Hugging Face writes a full T5
    # checkpoint: encoder.embed_tokens.weight shares shared.weight's storage, and decoder/lm_head entries are present.
    binary = os.path.join(OUT, "t5_gated_bin")
    os.makedirs(binary, exist_ok=True)
    sd = dict(params)
    sd["encoder.embed_tokens.weight"] = sd["shared.weight"]
    sd["decoder.final_layer_norm.weight"] = torch.ones(gated["d_model"])
    sd["lm_head.weight"] = torch.zeros(gated["vocab_size"], gated["d_model"])
    torch.save(sd, os.path.join(binary, "pytorch_model.bin"))
    with open(os.path.join(folder, "config.json")) as f, open(os.path.join(binary, "config.json"), "w") as g:
        g.write(f.read())

    # Buckets per offset, and a check that the float32 formula (as T5's checkpoints compute it) gives the same.
    table = {}
    for nb, md in [(32, 128), (16, 20)]:
        rs = list(range(-200, 201))
        ours = [bucket(r, nb, md) for r in rs]
        half, exact = nb // 2, nb // 4
        n = torch.tensor([abs(r) for r in rs])
        f32 = exact + (torch.log(n.float() / exact) / math.log(md / exact) * (half - exact)).to(torch.int64)
        f32 = torch.where(n < exact, n, torch.clamp(f32, max=half - 1)) + (torch.tensor(rs) > 0).to(torch.int64) * half
        assert f32.tolist() == ours, "float32 and float64 bucket formulas disagree"
        table["%d_%d" % (nb, md)] = {"offsets": rs, "buckets": ours}
    with open(os.path.join(OUT, "t5_buckets.json"), "w") as f:
        json.dump(table, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
