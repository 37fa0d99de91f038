#!/usr/bin/env python3
"""A tiny BERT-shaped text encoder and a real Hugging Face tokenizer.json, for the
text-encoder tests (test/unit/text-encoder.test.ts).

    /usr/bin/python3 scripts/make_text_model.py

Needs only torch (Debian python3-torch 1.13) and the standard library: no
transformers / tokenizers. Writes test/fixtures/text-model/:

  tokenizer.json         Hugging Face tokenizers format, written by hand: BertNormalizer
                         (lowercase, strip accents), BertPreTokenizer, WordPiece over a
                         small vocabulary built here, TemplateProcessing "[CLS] $A [SEP]",
                         padding and truncation null
  tokenizer_config.json  BertTokenizer metadata (model_max_length 64)
  config.json            the model's shape (BERT names)
  model.onnx             embeddings (token + position + token type, LayerNorm), then
                         2 transformer encoder layers (hidden 32, 4 heads) that take the
                         attention mask as a key padding mask; inputs input_ids,
                         attention_mask, token_type_ids (int64 [batch, sequence]); output
                         last_hidden_state (float32 [batch, sequence, 32])
  expected.json          for a few sentences: the tokens and ids of the reference BERT
                         tokenizer below (truncated at MAX_LENGTH), and the mean-pooled
                         and CLS embeddings torch computes for them

The reference tokenizer (basic tokenizer + greedy longest-match WordPiece) follows the
Rust `tokenizers` implementation of this configuration, so the ids are what Hugging Face
tokenizers gives; the TypeScript test checks @huggingface/tokenizers against them.
Weights come from a fixed seed and the export is deterministic (same bytes every run).
"""
import hashlib
import json
import os
import unicodedata

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "text-model")
HIDDEN, LAYERS, HEADS, FFN, MAX_POSITIONS, TYPE_VOCAB = 32, 2, 4, 64, 64, 2
MAX_LENGTH = 16  # truncation used for expected.json (the long sentence needs it)
OPSET = 14

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# The corpus the vocabulary is built from.
CORPUS = [
    "the quick brown fox jumps over the lazy dog",
    "a translation maps one embedding space onto another",
    "anchors are pairs of points that both models have seen",
    "we fit an orthogonal map between the two latent spaces",
    "language models turn sentences into vectors",
    "similar meanings should land close together",
    "the encoder reads text and writes numbers",
    "every token gets a vector and the sentence gets their mean",
    "small models are fast but large models are better",
    "this is a test of the tokenizer and of the model",
    "hello world from a tiny transformer",
    "rotation scaling and shifting keep the geometry",
    "cafe coffee tea and water",
    "it is not what you think but what you do",
]
# Whole words left out of the vocabulary, so that they split into pieces.
SPLIT_WORDS = {"translation", "embedding", "orthogonal", "sentences", "tokenizer", "transformer", "geometry", "shifting"}
# Word pieces (besides the single letters), so the split words split into more than letters.
PIECES = ["trans", "##lation", "##s", "##ing", "##ed", "##er", "##ly", "embed", "##ding", "ortho", "##gonal",
          "sentence", "token", "##izer", "##former", "geo", "##metry", "shift", "##ation", "##al"]
PUNCTUATION = list(".,!?;:'\"-()")

# Test sentences: mixed case, punctuation, an accent, an unknown word (digits are not in the
# vocabulary), leading / trailing / repeated whitespace, and a long one that MAX_LENGTH truncates.
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, World! A tiny Transformer.",
    "Translations between embedding spaces: orthogonal maps?",
    "Café au lait x42 zq9 and water",
    "  don't   PANIC  ",
    "every token gets a vector and the sentence gets their mean, so small models are fast but large models are better",
]


def build_vocab():
    words = []
    for sentence in CORPUS:
        for w in sentence.split():
            if w not in SPLIT_WORDS and w not in words:
                words.append(w)
    vocab = list(SPECIALS) + PUNCTUATION
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab += letters + ["##" + c for c in letters]
    for w in PIECES + words:
        if w not in vocab:
            vocab.append(w)
    return {tok: i for i, tok in enumerate(vocab)}


# ---- reference BERT tokenizer (the semantics of the Rust `tokenizers` crate) ----

def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def bert_normalize(text):
    """BertNormalizer(clean_text, handle_chinese_chars, strip_accents=None → lowercase, lowercase)."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        out.append(" " if is_whitespace(ch) else ch)
    text = "".join(f" {ch} " if is_chinese_char(ord(ch)) else ch for ch in out)
    text = text.lower()
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def bert_pre_tokenize(text):
    """BertPreTokenizer: split on whitespace, every punctuation character on its own."""
    words, cur = [], []
    for ch in text:
        if is_whitespace(ch):
            if cur:
                words.append("".join(cur))
                cur = []
        elif is_punctuation(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


def wordpiece(word, vocab, unk="[UNK]", prefix="##", max_chars=100):
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = prefix + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


def tokenize(text, vocab, max_length):
    """[CLS] tokens [SEP], the content truncated (right) so the whole fits max_length."""
    tokens = [p for w in bert_pre_tokenize(bert_normalize(text)) for p in wordpiece(w, vocab)]
    full = len(tokens) + 2
    tokens = ["[CLS]"] + tokens[: max_length - 2] + ["[SEP]"]
    return tokens, [vocab[t] for t in tokens], full


# ---- tokenizer files ----

def tokenizer_json(vocab):
    added = [
        {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        for t in SPECIALS
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
    }


def tokenizer_config():
    return {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "model_max_length": MAX_POSITIONS,
        "padding_side": "right",
        "truncation_side": "right",
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "clean_up_tokenization_spaces": True,
    }


def model_config(vocab_size):
    return {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "vocab_size": vocab_size,
        "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "intermediate_size": FFN,
        "hidden_act": "gelu",
        "max_position_embeddings": MAX_POSITIONS,
        "type_vocab_size": TYPE_VOCAB,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
    }


# ---- the model ----

def gelu(x):
    # A plain function (not F.gelu itself), which keeps PyTorch off the "fast path" of
    # nn.TransformerEncoderLayer: that path is not what the ONNX export traces.
    return torch.nn.functional.gelu(x)


class EncoderLayer(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer whose self-attention runs the plain (exportable) path of
    nn.MultiheadAttention, F.multi_head_attention_forward. In eval mode PyTorch 1.13 would
    otherwise call aten::_native_multi_head_attention, which the ONNX exporter cannot
    convert. Same weights, same math."""

    def _sa_block(self, x, attn_mask, key_padding_mask):
        a = self.self_attn
        q = x.transpose(0, 1)  # batch_first → (sequence, batch, hidden)
        out, _ = nn.functional.multi_head_attention_forward(
            q, q, q, a.embed_dim, a.num_heads, a.in_proj_weight, a.in_proj_bias, a.bias_k, a.bias_v, a.add_zero_attn,
            a.dropout, a.out_proj.weight, a.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=False, attn_mask=attn_mask)
        return self.dropout1(out.transpose(0, 1))


class TinyBert(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, HIDDEN)
        self.positions = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.types = nn.Embedding(TYPE_VOCAB, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        layer = EncoderLayer(HIDDEN, HEADS, dim_feedforward=FFN, dropout=0.0, activation=gelu, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)

    def forward(self, input_ids, attention_mask, token_type_ids):
        positions = torch.arange(input_ids.size(1), dtype=torch.long).unsqueeze(0)
        x = self.norm(self.tokens(input_ids) + self.positions(positions) + self.types(token_type_ids))
        return self.encoder(x, src_key_padding_mask=attention_mask == 0)


def pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return mean, hidden[:, 0]


def batch_tensors(id_lists):
    n = max(len(ids) for ids in id_lists)
    ids = torch.tensor([x + [0] * (n - len(x)) for x in id_lists], dtype=torch.long)
    mask = torch.tensor([[1] * len(x) + [0] * (n - len(x)) for x in id_lists], dtype=torch.long)
    return ids, mask, torch.zeros_like(ids)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_json(path, value):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    torch.manual_seed(1234)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    vocab = build_vocab()
    model = TinyBert(len(vocab)).eval()
    with torch.no_grad():
        # Larger-than-default token embeddings, so different sentences differ clearly.
        model.tokens.weight.mul_(2.0)

    write_json(os.path.join(OUT, "tokenizer.json"), tokenizer_json(vocab))
    write_json(os.path.join(OUT, "tokenizer_config.json"), tokenizer_config())
    write_json(os.path.join(OUT, "config.json"), model_config(len(vocab)))

    cases = []
    id_lists = []
    with torch.no_grad():
        for text in SENTENCES:
            tokens, ids, full = tokenize(text, vocab, MAX_LENGTH)
            id_lists.append(ids)
            x, mask, types = batch_tensors([ids])
            mean, cls = pool(model(x, mask, types), mask)
            cases.append({
                "text": text,
                "tokens": tokens,
                "ids": ids,
                "untruncated_length": full,
                "mean": [float(v) for v in mean[0].float()],
                "cls": [float(v) for v in cls[0].float()],
            })
        # Padding must not change anything: the same sentences in one padded batch.
        x, mask, types = batch_tensors(id_lists)
        mean, cls = pool(model(x, mask, types), mask)
        for k, case in enumerate(cases):
            assert torch.allclose(mean[k], torch.tensor(case["mean"]), atol=1e-5), f"padding changes sentence {k}"
            assert torch.allclose(cls[k], torch.tensor(case["cls"]), atol=1e-5), f"padding changes sentence {k}"
        assert any(c["untruncated_length"] > MAX_LENGTH for c in cases), "no sentence needs truncation"
        assert any("[UNK]" in c["tokens"] for c in cases), "no unknown word"

        path = os.path.join(OUT, "model.onnx")
        torch.onnx.export(
            model,
            (x, mask, types),
            path,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
            opset_version=OPSET,
            do_constant_folding=True,
        )

    write_json(os.path.join(OUT, "expected.json"), {
        "max_length": MAX_LENGTH,
        "hidden": HIDDEN,
        "vocab_size": len(vocab),
        "pad_id": vocab["[PAD]"],
        "cases": cases,
    })
    for name in sorted(os.listdir(OUT)):
        p = os.path.join(OUT, name)
        print(f"{sha256(p)}  {os.path.getsize(p):7d}  {name}")


if __name__ == "__main__":
    main()
