#!/usr/bin/python3
"""RoBERTa (GPT-2 byte-level BPE) tokenizer goldens (run by hand: /usr/bin/python3 tools/golden/text/make_bpe_golden.py).

Written here from the published algorithm (Sennrich et al. 2016 BPE; GPT-2's byte-level variant, Radford et al. 2019,
as RoBERTa uses it), not from any tokenizer library:
* Bytes, not characters, are the base symbols; each byte is shown as a printable character: bytes '!'..'~',
  0xA1..0xAC and 0xAE..0xFF stand for themselves, the other 68 bytes map in order to U+0100, U+0101, ... (so a space
  is 'Ġ', U+0120).
* Pre-tokenisation splits the text with GPT-2's pattern  's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
  (Python's re has no \\p{..}; below, letters are [^\\W\\d_] and numbers \\d, which agree on the test texts' characters).
  RoBERTa adds no prefix space, so the first word has no 'Ġ'.
* Training (to make a small vocabulary): count adjacent symbol pairs over the corpus' pre-tokens, merge the most
  frequent (ties: the lexicographically smallest pair), repeat. Encoding: within each pre-token, repeatedly merge the
  adjacent pair with the lowest merge rank until none is in the merge list; each symbol's id from vocab.json.
* RoBERTa's specials: <s>=0, <pad>=1, </s>=2, <unk>=3, then the 256 byte symbols, the merges, <mask> last; one text
  encodes as <s> tokens </s>.

Writes tests/data/golden/text/roberta_tiny/ (vocab.json, merges.txt, and a random tiny RoBERTa: config.json,
model.safetensors with Hugging Face keys under "roberta.") and roberta_tiny.json (texts and expected ids).
"""
import json, os, re, sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "text")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from golden_io import write_safetensors  # noqa: E402

PATTERN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
PLACEHOLDERS = ["[ALPHANUMERICID]", "[date]", "[DATE]", "[AGE]", "[ADDRESS]", "[PERSONALNAME]"]
CORPUS = ["There is a small right apical pneumothorax.", "No pneumothorax is seen.", "The lungs are clear.",
          "Left chest tube in place with a small residual pneumothorax.", "Heart size is normal.",
          "Interval increase in the right pleural effusion.", "Subcutaneous emphysema of the chest wall.",
          "Bibasilar atelectasis, no consolidation.", "Tension pneumothorax with mediastinal shift to the left.",
          "Apical lucency without lung markings, compatible with pneumothorax. It's 2 cm."]
TEXTS = ["There is a small right apical pneumothorax.", "no pneumothorax, heart normal",
         "Left   chest tube [DATE] in place.", "It's 12 cm; they've seen it!", "Zebra café résumé",
         "under_score  and\ttabs"]


def byte_symbols():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTES = byte_symbols()


def pretokens(text):
    return ["".join(BYTES[b] for b in piece.encode("utf-8")) for piece in PATTERN.findall(text)]


def clean(text):
    for p in PLACEHOLDERS:
        text = text.replace(p, "")
    return " ".join(text.split())


def train(n_merges):
    words = {}
    for line in CORPUS:
        for w in pretokens(line):
            words[tuple(w)] = words.get(tuple(w), 0) + 1
    merges = []
    for _ in range(n_merges):
        counts = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + c
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges


def encode_word(word, ranks):
    symbols = list(word)
    while len(symbols) > 1:
        pairs = [(ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        rank, i = min(pairs)
        if rank == 1 << 30:
            break
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
    return symbols


def main():
    folder = os.path.join(OUT, "roberta_tiny")
    os.makedirs(folder, exist_ok=True)
    merges = train(150)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for b in range(256):
        vocab.setdefault(BYTES[b], len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab["<mask>"] = len(vocab)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(a + " " + b + "\n")
    ranks = {m: i for i, m in enumerate(merges)}
    cases = []
    for t in TEXTS:
        ids = [vocab["<s>"]]
        for w in pretokens(clean(t)):
            ids += [vocab[s] for s in encode_word(w, ranks)]
        ids.append(vocab["</s>"])
        cases.append({"text": t, "ids": ids})
    with open(os.path.join(OUT, "roberta_tiny.json"), "w") as f:
        json.dump({"cases": cases, "vocab_size": len(vocab)}, f, indent=1, ensure_ascii=False)

    cfg = dict(model_type="roberta", vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=64, max_position_embeddings=34, type_vocab_size=1, layer_norm_eps=1e-5,
               hidden_act="gelu", pad_token_id=1, bos_token_id=0, eos_token_id=2)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    g = torch.Generator().manual_seed(7)
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    sd = {"roberta.embeddings.word_embeddings.weight": torch.randn(len(vocab), H, generator=g) * 0.5,
          "roberta.embeddings.position_embeddings.weight": torch.randn(34, H, generator=g) * 0.5,
          "roberta.embeddings.token_type_embeddings.weight": torch.randn(1, H, generator=g) * 0.5,
          "roberta.embeddings.LayerNorm.weight": torch.ones(H), "roberta.embeddings.LayerNorm.bias": torch.zeros(H)}
    for i in range(2):
        p = "roberta.encoder.layer.%d." % i
        for name, shape in [("attention.self.query", (H, H)), ("attention.self.key", (H, H)),
                            ("attention.self.value", (H, H)), ("attention.output.dense", (H, H)),
                            ("intermediate.dense", (I, H)), ("output.dense", (H, I))]:
            sd[p + name + ".weight"] = torch.randn(*shape, generator=g) * shape[1] ** -0.5
            sd[p + name + ".bias"] = torch.zeros(shape[0])
        for ln in ["attention.output.LayerNorm", "output.LayerNorm"]:
            sd[p + ln + ".weight"] = torch.ones(H)
            sd[p + ln + ".bias"] = torch.zeros(H)
    sd["lm_head.bias"] = torch.zeros(len(vocab))   # a masked-LM checkpoint's head, dropped by the loader
    write_safetensors(os.path.join(folder, "model.safetensors"), sd)
    print("wrote", folder, len(vocab), "tokens")


if __name__ == "__main__":
    main()
