"""`lmc compile` and `lmc import` on bad input: one clear line, never a crash.

Each case breaks a valid synthesized GGUF in one way (at the level of what the
file means, past the reader's structural checks that test/unit/gguf covers)
or passes a wrong command line, and expects a non-zero exit (not a signal),
exactly one line on stderr starting with "lmc: error:", and words naming the
problem.
"""
import os
import re
import struct

import gguf_edit as ge
import harness
from harness import synth


def drop_key(key):
    return lambda g: g.metadata.pop(key)


def set_key(key, type, value, elem_type=None):
    def edit(g):
        g.metadata[key] = ge.Value(type, value, elem_type)
    return edit


def drop_tensor(name):
    def edit(g):
        g.tensors = [t for t in g.tensors if t.name != name]
    return edit


def quantize_norm(g):
    # A Q8_0 block of 32 elements per 34 bytes, with the norm's element count.
    t = g.tensor("blk.0.attn_norm.weight")
    t.type = ge.GGML_Q8_0
    t.data = bytes(t.ne[0] // 32 * 34)


def swap_dims(name):
    def edit(g):
        g.tensor(name).ne.reverse()
    return edit


def as_q5_k(name):
    def edit(g):
        t = g.tensor(name)
        t.type = ge.GGML_Q5_K
        t.data = bytes(t.ne[0] * t.ne[1] // 256 * 176)
    return edit


def bad_merge(g):
    merges = g.metadata["tokenizer.ggml.merges"].value
    merges[3] = "nonexistent_piece t"


def short_token_types(g):
    g.metadata["tokenizer.ggml.token_type"].value.pop()


def more_tokens_than_rows(g):
    v = g.metadata["tokenizer.ggml.tokens"].value
    v.append("[EXTRA]")
    g.metadata["tokenizer.ggml.token_type"].value.append(1)


# name -> (edit, pattern the message must contain)
CORRUPTIONS = {
    "unsupported_architecture": (
        set_key("general.architecture", ge.STRING, "llama"), r"architecture 'llama'.*not supported"),
    "missing_block_count": (drop_key("qwen3.block_count"), r"qwen3\.block_count.*missing"),
    "block_count_type_confused": (
        set_key("qwen3.block_count", ge.F32, 2.0), r"qwen3\.block_count.*f32.*u32"),
    "heads_not_multiple_of_kv_heads": (
        set_key("qwen3.attention.head_count_kv", ge.U32, 3), r"not a multiple of head_count_kv"),
    "zero_layers": (set_key("qwen3.block_count", ge.U32, 0), r"block_count must be positive"),
    "odd_head_size": (
        set_key("qwen3.attention.key_length", ge.U32, 63), r"key_length must be positive and even"),
    "zero_epsilon": (
        set_key("qwen3.attention.layer_norm_rms_epsilon", ge.F32, 0.0), r"epsilon must be positive"),
    "unknown_rope_scaling": (
        set_key("qwen3.rope.scaling.type", ge.STRING, "ntk"), r"rope\.scaling\.type 'ntk'"),
    "yarn_without_original_context": (
        lambda g: (set_key("qwen3.rope.scaling.type", ge.STRING, "yarn")(g),
                   set_key("qwen3.rope.scaling.factor", ge.F32, 4.0)(g)),
        r"original_context_length is missing"),
    "quantized_norm": (quantize_norm, r"blk\.0\.attn_norm\.weight.*Q8_0.*must be F32"),
    "missing_tensor": (drop_tensor("blk.1.ffn_up.weight"), r"missing tensor 'blk\.1\.ffn_up\.weight'"),
    "missing_embedding": (drop_tensor("token_embd.weight"), r"token_embd\.weight.*missing"),
    "transposed_tensor": (
        swap_dims("blk.0.attn_k.weight"), r"'blk\.0\.attn_k\.weight' has shape"),
    "unsupported_tensor_type": (
        as_q5_k("blk.0.ffn_gate.weight"), r"blk\.0\.ffn_gate\.weight.*Q5_K.*cannot read"),
    "tokenizer_not_bpe": (set_key("tokenizer.ggml.model", ge.STRING, "llama"), r"tokenizer\.ggml\.model 'llama'"),
    "unknown_pre_tokenizer": (
        set_key("tokenizer.ggml.pre", ge.STRING, "mystery"), r"tokenizer\.ggml\.pre 'mystery'"),
    "merge_of_unknown_token": (bad_merge, r"merges.*not a vocabulary token"),
    "token_type_count_mismatch": (short_token_types, r"token_type has \d+ entries for \d+ tokens"),
    "bos_out_of_range": (
        set_key("tokenizer.ggml.bos_token_id", ge.U32, 99999), r"bos_token_id.*outside"),
    "more_tokens_than_embedding_rows": (more_tokens_than_rows, r"tokenizer has \d+ tokens but token_embd"),
}


class DriverErrors(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = cls.work.file("good.gguf")
        synth(cls.model, "--layers", 2)

    def assertCleanError(self, args, pattern, code=1):
        proc = harness.run([harness.tool("lmc"), *args], check=False)
        lines = proc.stderr.splitlines()
        harness.report(f"{args[0]} {os.path.basename(str(args[1])) if len(args) > 1 else ''}: "
                       f"{proc.stderr.strip()}")
        self.assertEqual(proc.returncode, code, proc.stderr)
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("lmc: error: "), lines[0])
        self.assertRegex(lines[0], pattern)

    def corrupted(self, name):
        edit, _ = CORRUPTIONS[name]
        g = ge.GGUF(self.model)
        edit(g)
        path = self.work.file(name + ".gguf")
        g.save(path)
        return path

    def test_every_corruption(self):
        self.assertGreaterEqual(len(CORRUPTIONS), 15)
        for name, (_, pattern) in CORRUPTIONS.items():
            with self.subTest(name):
                path = self.corrupted(name)
                self.assertCleanError(["compile", path, "-o", self.work.file(name)], pattern)
                self.assertCleanError(["import", path], pattern)

    def test_the_editor_round_trips_a_valid_file(self):
        # Without this the corruption cases could fail for the editor's sake.
        path = self.work.file("rewritten.gguf")
        ge.GGUF(self.model).save(path)
        harness.compile_model(path, self.work.file("rewritten"))

    def test_truncated_file(self):
        with open(self.model, "rb") as f:
            data = f.read()
        for cut in (3, 20, len(data) // 3, len(data) - 1):
            with self.subTest(cut=cut):
                path = self.work.file(f"cut{cut}.gguf")
                with open(path, "wb") as f:
                    f.write(data[:cut])
                self.assertCleanError(["compile", path, "-o", self.work.file("x")], r"cut\d+\.gguf: ")

    def test_bad_magic(self):
        path = self.work.file("magic.gguf")
        with open(self.model, "rb") as f:
            data = bytearray(f.read())
        data[:4] = b"GGML"
        with open(path, "wb") as f:
            f.write(data)
        self.assertCleanError(["compile", path, "-o", self.work.file("x")], r"magic")

    def test_huge_tensor_count(self):
        path = self.work.file("count.gguf")
        with open(self.model, "rb") as f:
            data = bytearray(f.read())
        data[8:16] = struct.pack("<Q", 1 << 60)
        with open(path, "wb") as f:
            f.write(data)
        self.assertCleanError(["compile", path, "-o", self.work.file("x")], r"tensor")

    def test_missing_file(self):
        self.assertCleanError(["compile", self.work.file("absent.gguf"), "-o", "x"],
                              r"absent\.gguf: no such file")

    def test_unwritable_output(self):
        self.assertCleanError(["compile", self.model, "-o", "/nonexistent-dir/out"],
                              r"/nonexistent-dir/out")

    def test_command_line_errors(self):
        self.assertCleanError(["compile", self.model, "-o", "x", "--frobnicate"],
                              r"unknown option '--frobnicate'", code=2)
        self.assertCleanError(["compile", self.model, "-o", "x", "--emit", "wasm"],
                              r"unknown --emit kind 'wasm'", code=2)
        self.assertCleanError(["compile", self.model], r"needs -o", code=2)
        self.assertCleanError(["compile", self.model, "-o", "x", "--target", "tpu"],
                              r"unknown target 'tpu'", code=2)
        self.assertCleanError(["frobnicate"], r"unknown command", code=2)
        self.assertCleanError(["compile", self.model, "-o", "x", "--kv-type", "bf16"],
                              r"unknown KV cache type 'bf16'", code=2)
        self.assertCleanError(["compile", self.model, "-o", "x", "--prefill-activations", "int4"],
                              r"unknown prefill activation type 'int4' \(f32 or int8\)", code=2)
        self.assertCleanError(["compile", self.model, "-o", "x", "--prefill-activations"],
                              r"--prefill-activations needs a value", code=2)
        self.assertCleanError(["compile", self.model, "-o", "x", "--decode-activations", "fp8"],
                              r"unknown decode activation type 'fp8' \(f32 or int8\)", code=2)
        for bad in ("yarn:4", "yarn:0.5:4096", "ntk:2", "yarn:4:x"):
            self.assertCleanError(["compile", self.model, "-o", "x", "--rope-scaling", bad],
                                  r"--rope-scaling '.*': expected none, linear", code=2)

    def test_executable_rejects_a_foreign_weights_file(self):
        exe = harness.compile_model(self.model, self.work.file("stale"))
        other = self.work.file("other.gguf")
        synth(other, "--layers", 2, "--seed", 99)
        os.replace(other, exe + ".weights")
        proc = harness.run([exe, "--tokens", "1,2", "-n", "1"], check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"^error: .*fingerprint")
        self.assertEqual(len(proc.stderr.splitlines()), 1)


if __name__ == "__main__":
    harness.main()
