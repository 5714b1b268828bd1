#!/usr/bin/python3
"""BERT-family encoder goldens for Thorax.Text (run by hand: /usr/bin/python3 tools/golden/text/make_bert_golden.py).

A reference BERT / RoBERTa encoder written here in plain PyTorch (python3-torch 1.13, float64) from the published
architectures, not from any library's BERT code:

* BERT (Devlin et al. 2019, section 3 "Input/Output Representations", and Vaswani et al. 2017 for the Transformer
  encoder): the input representation is the sum of the token, segment (token type) and learned position embeddings,
  followed by layer normalisation. Each of the L layers is a post-norm Transformer encoder block:
  x = LayerNorm(x + Wo . MultiHead(x)), x = LayerNorm(x + W2 . gelu(W1 . x + b1) + b2); multi-head attention with
  per-head dot products scaled by 1/sqrt(d_head), padding keys excluded from the softmax, every dense layer with a bias.
  GELU is the exact erf form x * Phi(x) (Hendrycks and Gimpel 2016) as BERT's released code uses it; "gelu_new" is the
  tanh approximation. The pooler is tanh(W . h_[CLS] + b) on the first token.
* RoBERTa (Liu et al. 2019) keeps BERT's architecture; its released checkpoints (fairseq's learned positional
  embeddings) number the positions of real tokens from padding_idx + 1 upwards, skipping padding tokens, which keep
  position padding_idx; there is one token type.

Weights are random (seeded) and saved with Hugging Face's key names as safetensors (written by hand, as in
make_t5_golden.py) with a config.json: tests/data/golden/text/bert_tiny/ (a BertModel with its pooler, no prefix) and
roberta_mlm_tiny/ (a masked-LM checkpoint: keys under "roberta.", an lm_head, no pooler). Inputs (ids with right and
left padding, mask) and the expected last_hidden_state (and pooler output for BERT), computed in float64 and stored
as float32, go to bert_tiny_io.safetensors and roberta_mlm_tiny_io.safetensors.
"""
import json, math, os, sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "text")
sys.path.insert(0, os.path.join(ROOT, "tools", "golden", "common"))
from golden_io import write_safetensors  # noqa: E402


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def act(x, name):
    if name == "gelu":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))
    if name == "relu":
        return torch.relu(x)
    raise ValueError(name)


def encoder(p, cfg, ids, mask):
    """last_hidden_state [B, T, H] and the pooler output (None without a pooler) in float64."""
    d = torch.float64
    p = {k: v.to(d) for k, v in p.items()}
    B, T = ids.shape
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    dh = H // heads
    pad = cfg["pad_token_id"]
    if cfg["model_type"] == "roberta":
        not_pad = (ids != pad).to(torch.int64)
        positions = torch.cumsum(not_pad, 1) * not_pad + pad
    else:
        positions = torch.arange(T).unsqueeze(0).expand(B, T)
    types = torch.zeros_like(ids)
    x = p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][positions] \
        + p["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], eps)
    neg = torch.where(mask[:, None, None, :] > 0, torch.zeros((), dtype=d), torch.full((), -1e30, dtype=d))
    lin = lambda y, name: y @ p[name + ".weight"].T + p[name + ".bias"]
    for i in range(cfg["num_hidden_layers"]):
        pre = "encoder.layer.%d." % i
        split = lambda y: y.view(B, T, heads, dh).transpose(1, 2)
        q = split(lin(x, pre + "attention.self.query"))
        k = split(lin(x, pre + "attention.self.key"))
        v = split(lin(x, pre + "attention.self.value"))
        ctx = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + neg, -1) @ v
        a = lin(ctx.transpose(1, 2).reshape(B, T, H), pre + "attention.output.dense")
        x = layer_norm(x + a, p[pre + "attention.output.LayerNorm.weight"], p[pre + "attention.output.LayerNorm.bias"], eps)
        f = lin(act(lin(x, pre + "intermediate.dense"), cfg["hidden_act"]), pre + "output.dense")
        x = layer_norm(x + f, p[pre + "output.LayerNorm.weight"], p[pre + "output.LayerNorm.bias"], eps)
    pooled = torch.tanh(lin(x[:, 0], "pooler.dense")) if "pooler.dense.weight" in p else None
    return x, pooled


def check_with_torch_layers(p, cfg, ids, mask, hidden):
    """Cross-check: the same weights in torch.nn.TransformerEncoderLayer (post-norm, PyTorch's own multi-head
    attention) after the embeddings computed above; asserts the two agree (float64)."""
    d = torch.float64
    p = {k: v.to(d) for k, v in p.items()}
    B, T = ids.shape
    pad = cfg["pad_token_id"]
    if cfg["model_type"] == "roberta":
        not_pad = (ids != pad).to(torch.int64)
        positions = torch.cumsum(not_pad, 1) * not_pad + pad
    else:
        positions = torch.arange(T).unsqueeze(0).expand(B, T)
    x = p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][positions] \
        + p["embeddings.token_type_embeddings.weight"][0]
    x = torch.nn.functional.layer_norm(x, (cfg["hidden_size"],), p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], cfg["layer_norm_eps"])
    for i in range(cfg["num_hidden_layers"]):
        pre = "encoder.layer.%d." % i
        layer = torch.nn.TransformerEncoderLayer(cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"], dropout=0.0,
                                                 activation="gelu", layer_norm_eps=cfg["layer_norm_eps"], batch_first=True).to(d).eval()
        with torch.no_grad():
            layer.self_attn.in_proj_weight.copy_(torch.cat([p[pre + "attention.self.%s.weight" % n] for n in ("query", "key", "value")]))
            layer.self_attn.in_proj_bias.copy_(torch.cat([p[pre + "attention.self.%s.bias" % n] for n in ("query", "key", "value")]))
            for dst, src in [(layer.self_attn.out_proj, "attention.output.dense"), (layer.linear1, "intermediate.dense"), (layer.linear2, "output.dense"),
                             (layer.norm1, "attention.output.LayerNorm"), (layer.norm2, "output.LayerNorm")]:
                dst.weight.copy_(p[pre + src + ".weight"])
                dst.bias.copy_(p[pre + src + ".bias"])
            x = layer(x, src_key_padding_mask=(mask == 0))
    # positions that are padding are left alone by PyTorch's fast path in some versions: compare real tokens
    real = mask.bool()
    diff = (x - hidden)[real].abs().max().item()
    assert diff < 1e-9, "reference and torch.nn.TransformerEncoderLayer disagree by %g" % diff


def weights(cfg, g, pooler):
    H, ff = cfg["hidden_size"], cfg["intermediate_size"]
    rnd = lambda *s, std: torch.randn(*s, generator=g) * std
    p = {"embeddings.word_embeddings.weight": rnd(cfg["vocab_size"], H, std=0.5),
         "embeddings.position_embeddings.weight": rnd(cfg["max_position_embeddings"], H, std=0.5),
         "embeddings.token_type_embeddings.weight": rnd(cfg["type_vocab_size"], H, std=0.5),
         "embeddings.LayerNorm.weight": 1.0 + rnd(H, std=0.1), "embeddings.LayerNorm.bias": rnd(H, std=0.1)}
    for i in range(cfg["num_hidden_layers"]):
        pre = "encoder.layer.%d." % i
        for name, (o, n) in {"attention.self.query": (H, H), "attention.self.key": (H, H), "attention.self.value": (H, H),
                             "attention.output.dense": (H, H), "intermediate.dense": (ff, H), "output.dense": (H, ff)}.items():
            p[pre + name + ".weight"] = rnd(o, n, std=n ** -0.5)
            p[pre + name + ".bias"] = rnd(o, std=0.1)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            p[pre + name + ".weight"] = 1.0 + rnd(H, std=0.1)
            p[pre + name + ".bias"] = rnd(H, std=0.1)
    if pooler:
        p["pooler.dense.weight"] = rnd(H, H, std=H ** -0.5)
        p["pooler.dense.bias"] = rnd(H, std=0.1)
    return p


def inputs(cfg, g, rows):
    """rows: (left padding, real tokens, right padding); the first and last real ids are the specials."""
    T = max(a + n + b for a, n, b in rows)
    pad, (bos, eos) = cfg["pad_token_id"], cfg["specials"]
    ids = torch.full((len(rows), T), pad, dtype=torch.int64)
    mask = torch.zeros(len(rows), T, dtype=torch.int64)
    for r, (a, n, _) in enumerate(rows):
        body = torch.randint(5, cfg["vocab_size"], (n,), generator=g)
        body[0], body[-1] = bos, eos
        ids[r, a:a + n] = body
        mask[r, a:a + n] = 1
    return ids, mask


def make(name, cfg, seed, rows, pooler, prefix, extra):
    g = torch.Generator().manual_seed(seed)
    p = weights(cfg, g, pooler)
    ids, mask = inputs(cfg, g, rows)
    hidden, pooled = encoder(p, cfg, ids, mask)
    if cfg["hidden_act"] == "gelu":
        check_with_torch_layers(p, cfg, ids, mask, hidden)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    sd = {prefix + k: v for k, v in p.items()}
    sd.update(extra)
    write_safetensors(os.path.join(folder, "model.safetensors"), sd)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({k: v for k, v in cfg.items() if k != "specials"}, f, indent=1)
    io = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden.to(torch.float32)}
    if pooled is not None:
        io["pooler_output"] = pooled.to(torch.float32)
    write_safetensors(os.path.join(OUT, name + "_io.safetensors"), io)


def main():
    bert = dict(model_type="bert", vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=64, max_position_embeddings=40, type_vocab_size=2, layer_norm_eps=1e-12,
                hidden_act="gelu", pad_token_id=0, specials=(2, 3))
    # 40 tokens = every position; the other rows are right-padded (BERT's tokenizers pad on the right).
    make("bert_tiny", bert, 31, [(0, 40, 0), (0, 7, 33), (0, 19, 21)], True, "", {})
    roberta = dict(model_type="roberta", vocab_size=50, hidden_size=24, num_hidden_layers=2, num_attention_heads=3,
                   intermediate_size=48, max_position_embeddings=34, type_vocab_size=1, layer_norm_eps=1e-5,
                   hidden_act="gelu", pad_token_id=1, specials=(0, 2))
    # 32 real tokens reach position 33 (= max_position_embeddings - 1); a left-padded row shows positions skip padding.
    lm_head = {"lm_head.dense.weight": torch.zeros(24, 24), "lm_head.bias": torch.zeros(50)}
    make("roberta_mlm_tiny", roberta, 57, [(0, 32, 0), (0, 9, 23), (6, 12, 14)], False, "roberta.", lm_head)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
