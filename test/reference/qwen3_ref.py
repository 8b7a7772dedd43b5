#!/usr/bin/python3
"""Independent float64 forward pass of a Qwen3 dense GGUF with F32/F16 weights.

A second oracle next to llama.cpp: it shares no code with llama.cpp or lmc
(its own minimal GGUF parser, numpy arithmetic in float64). For a quantized
model use the F32 twin that `lmc-synth --twin-f32` writes.

    /usr/bin/python3 qwen3_ref.py MODEL.gguf --tokens 1,2,3 [--logits-out F.bin]
                                  [--compare LOGITS.bin]

--logits-out writes float32 [n_tokens x n_vocab] like llama.mjs; --compare
reads such a file (e.g. from llama.mjs or an lmc executable) and prints the
largest absolute difference. Needs numpy (Debian's /usr/bin/python3 has it).
"""
import argparse
import struct
import sys

import numpy as np

# GGUF metadata value types -> struct format (fixed-size ones).
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
           7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_DTYPES = {0: np.float32, 1: np.float16}  # ggml F32, F16


class Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return s.decode("utf-8", "replace")

    def value(self, t):
        if t in _SCALAR:
            return self.take(_SCALAR[t])
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("<I"), self.take("<Q")
            return [self.value(et) for _ in range(n)]
        raise ValueError(f"unknown GGUF value type {t}")


def load_gguf(path):
    buf = memoryview(open(path, "rb").read())
    r = Reader(buf)
    if bytes(buf[:4]) != b"GGUF":
        sys.exit(f"{path}: not a GGUF file")
    r.pos = 4
    version, n_tensors, n_kv = r.take("<I"), r.take("<Q"), r.take("<Q")
    meta = {}
    for _ in range(n_kv):
        k = r.string()
        meta[k] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        ne = [r.take("<Q") for _ in range(r.take("<I"))]
        infos.append((name, ne, r.take("<I"), r.take("<Q")))
    align = meta.get("general.alignment", 32)
    data = (r.pos + align - 1) // align * align
    tensors = {}
    for name, ne, t, off in infos:
        if t not in _DTYPES:
            sys.exit(f"{path}: tensor '{name}' has ggml type {t}; use an F32 twin")
        count = int(np.prod(ne))
        a = np.frombuffer(buf, _DTYPES[t], count, data + off).astype(np.float64)
        tensors[name] = a.reshape(list(reversed(ne)))  # numpy order: [.., ne1, ne0]
    return meta, tensors


def forward(meta, W, tokens):
    a = "qwen3"
    n_layer = meta[f"{a}.block_count"]
    n_head = meta[f"{a}.attention.head_count"]
    n_kv = meta.get(f"{a}.attention.head_count_kv", n_head)
    d = meta[f"{a}.attention.key_length"]
    eps = meta[f"{a}.attention.layer_norm_rms_epsilon"]
    base = meta.get(f"{a}.rope.freq_base", 10000.0)

    def rms(x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w

    T = len(tokens)
    x = W["token_embd.weight"][tokens].copy()
    inv = base ** (-np.arange(0, d, 2) / d)
    ang = np.arange(T)[:, None] * inv[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]

    def rope(v):  # NEOX: dimension i pairs with i + d/2
        lo, hi = v[..., : d // 2], v[..., d // 2:]
        return np.concatenate([lo * cos - hi * sin, lo * sin + hi * cos], -1)

    mask = np.triu(np.full((T, T), -np.inf), 1)
    for i in range(n_layer):
        p = f"blk.{i}."
        h = rms(x, W[p + "attn_norm.weight"])
        q = (h @ W[p + "attn_q.weight"].T).reshape(T, n_head, d)
        k = (h @ W[p + "attn_k.weight"].T).reshape(T, n_kv, d)
        v = (h @ W[p + "attn_v.weight"].T).reshape(T, n_kv, d)
        q = rope(rms(q, W[p + "attn_q_norm.weight"]))
        k = rope(rms(k, W[p + "attn_k_norm.weight"]))
        out = np.empty((T, n_head, d))
        for hh in range(n_head):
            kh = hh // (n_head // n_kv)
            s = q[:, hh] @ k[:, kh].T / np.sqrt(d) + mask
            s = np.exp(s - s.max(1, keepdims=True))
            out[:, hh] = (s / s.sum(1, keepdims=True)) @ v[:, kh]
        x = x + out.reshape(T, n_head * d) @ W[p + "attn_output.weight"].T
        h = rms(x, W[p + "ffn_norm.weight"])
        g = h @ W[p + "ffn_gate.weight"].T
        u = h @ W[p + "ffn_up.weight"].T
        x = x + (g / (1 + np.exp(-g)) * u) @ W[p + "ffn_down.weight"].T
    h = rms(x, W["output_norm.weight"])
    return h @ W.get("output.weight", W["token_embd.weight"]).T


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--logits-out")
    ap.add_argument("--compare")
    args = ap.parse_args()
    tokens = [int(t) for t in args.tokens.replace(" ", ",").split(",") if t]
    meta, W = load_gguf(args.model)
    if meta.get("general.architecture") != "qwen3":
        sys.exit(f"{args.model}: not a qwen3 model")
    ref = forward(meta, W, tokens)
    if args.logits_out:
        ref.astype("<f4").tofile(args.logits_out)
    if args.compare:
        other = np.fromfile(args.compare, "<f4").astype(np.float64)
        if other.size != ref.size:
            sys.exit(f"{args.compare}: {other.size} values, expected {ref.size}")
        other = other.reshape(ref.shape)
        diff = np.abs(other - ref).max()
        agree = np.mean(other.argmax(1) == ref.argmax(1))
        print(f"max |{args.compare} - float64 reference| = {diff:.3e} "
              f"(logit rms {np.sqrt((ref ** 2).mean()):.3f}, argmax agreement {agree:.2f})")


if __name__ == "__main__":
    main()
