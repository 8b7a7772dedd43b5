"""Hugging Face checkpoint folders against their GGUF twins (and llama.cpp).

lmc-synth writes every architecture both as a GGUF file and as a Hugging Face
folder holding the same values (docs/design/gguf.md): BF16 or F32 matrices,
experts stored one tensor each (Qwen3-MoE, DeepSeek), GPT-OSS's MXFP4 experts
in OpenAI's nibble order with gate and up rows interleaved, DeepSeek-V3's FP8
weights with 128 x 128 block scales (partial edge blocks included), sharded
or not. lmc reads those tensors where they lie, so:
- the folder and its twin compile to executables whose logits are equal (the
  same decoded values through the same kernels: the bound is 1e-6, measured
  0) and whose greedy generations are identical;
- the F32 twins match llama.cpp (1e-4), so the folders do too;
- the executable maps the checkpoint's shards in place (hard links, no copy)
  after a small derived file (norms widened to F32, split or transposed
  tensors), and reports a missing or changed shard by name;
- a broken folder is a one-line error naming the file.
"""
import json
import os
import zlib

import harness
from harness import compile_model, run

TINY_QWEN3 = ["--layers", 2, "--hidden", 128, "--heads", 4, "--kv-heads", 2, "--head-dim", 32,
              "--ffn", 256]
DEEPSEEK = ["--arch", "deepseek2", "--ctx", 163840, "--layers", 3, "--hidden", 192, "--heads", 4,
            "--q-lora-rank", 160, "--kv-lora-rank", 64, "--qk-nope-dim", 32, "--qk-rope-dim", 16,
            "--v-head-dim", 32, "--ffn", 320, "--experts", 16, "--experts-used", 4,
            "--expert-ffn", 160, "--expert-groups", 4, "--expert-groups-used", 2,
            "--shared-experts", 1, "--leading-dense", 1, "--rope-scaling", "yarn:40:4096",
            "--mscale-all-dim", 1.0, "--routed-scale", 2.5]

MODELS = {
    # F32, sharded into 1 MiB files: everything in place.
    "qwen3_f32_sharded": TINY_QWEN3 + ["--hf-dtype", "f32", "--hf-shard-mb", 1, "--seed", 71],
    "qwen3_bf16": TINY_QWEN3 + ["--tied", "--seed", 72],
    "qwen3moe_bf16": ["--arch", "qwen3moe"] + TINY_QWEN3 + [
        "--experts", 8, "--experts-used", 2, "--expert-ffn", 64, "--seed", 73],
    "gptoss_mxfp4": ["--arch", "gpt-oss", "--layers", 2, "--hidden", 128, "--heads", 4,
                     "--kv-heads", 2, "--head-dim", 32, "--experts", 4, "--experts-used", 2,
                     "--expert-ffn", 64, "--expert-type", "mxfp4", "--sliding-window", 8,
                     "--hf-shard-mb", 1, "--seed", 74],
    "gptoss_bf16": ["--arch", "gpt-oss", "--layers", 2, "--hidden", 128, "--heads", 4,
                    "--kv-heads", 2, "--head-dim", 32, "--experts", 4, "--experts-used", 2,
                    "--expert-ffn", 64, "--sliding-window", 8, "--seed", 75],
    # FP8 with partial scale blocks (192 = 128 + 64), the rest F32 so that
    # llama.cpp computes the twin exactly; the kv_b split cuts through scale
    # blocks, so attn_k_b/attn_v_b are decoded to F32.
    "deepseek_fp8": DEEPSEEK + ["--hf-dtype", "f32", "--hf-fp8", "--seed", 76],
    # DeepSeek-V3's head sizes: kv_b splits along whole scale blocks and
    # attn_k_b/attn_v_b stay FP8 (transposed blocks, derived file).
    "deepseek_fp8_v3_heads": ["--arch", "deepseek2", "--ctx", 163840, "--layers", 2,
                              "--hidden", 256, "--heads", 2, "--q-lora-rank", 256,
                              "--kv-lora-rank", 512, "--qk-nope-dim", 128, "--qk-rope-dim", 64,
                              "--v-head-dim", 128, "--ffn", 384, "--experts", 8,
                              "--experts-used", 2, "--expert-ffn", 256, "--expert-groups", 1,
                              "--expert-groups-used", 1, "--shared-experts", 1,
                              "--leading-dense", 1, "--hf-shard-mb", 2, "--seed", 77],
}

# Twins whose GGUF holds F32 values llama.cpp computes with exactly (its BF16
# products round the activations to BF16).
AGAINST_LLAMA = ["qwen3_f32_sharded", "deepseek_fp8"]
# GPT-OSS's unquantized experts multiply from the right in the checkpoint
# (gate_up_proj [E, H, 2I]): they are transposed into the derived file.
TRANSPOSED_EXPERTS = ["gptoss_bf16"]
EQUAL_TOLERANCE = 1e-6


def synth_pair(work, name):
    gguf, folder = work.file(name + ".gguf"), work.file(name)
    proc = run([harness.tool("lmc-synth"), "-o", gguf, "--hf-out", folder, "--dump-config",
                *map(str, MODELS[name])])
    return gguf, folder, json.loads(proc.stdout)


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)
               if f.endswith(".safetensors"))


class HuggingFaceFolders(harness.TestCase):
    def check_pair(self, name):
        gguf, folder, config = synth_pair(self.work, name)
        vocab = config["vocab"]
        prompt = harness.prompt_ids(zlib.crc32(name.encode()), 48, vocab)
        from_hf = compile_model(folder, self.work.file(name + "-hf"))
        from_gguf = compile_model(gguf, self.work.file(name + "-gguf"))
        a = harness.lmc_logits(from_hf, prompt, vocab, self.work)
        b = harness.lmc_logits(from_gguf, prompt, vocab, self.work)
        err = abs(a - b).max()
        harness.report(f"{name}: max |lmc(folder) - lmc(GGUF twin)| = {err:.3g}")
        self.assertLessEqual(err, EQUAL_TOLERANCE)
        # The folder has no generation_config.json: the GGUF may stop at more
        # ids (its EOT), so compare up to the first id either stops at.
        eos = set(harness.manifest(from_hf)["tokens"]["eos"] +
                  harness.manifest(from_gguf)["tokens"]["eos"])
        ours = harness.lmc_greedy(from_hf, prompt, harness.GREEDY_TOKENS)
        twin = harness.lmc_greedy(from_gguf, prompt, harness.GREEDY_TOKENS)
        shorter, longer = sorted([ours, twin], key=len)
        self.assertEqual(shorter, longer[:len(shorter)])
        if len(shorter) < len(longer):
            self.assertIn(longer[len(shorter)], eos, "one stopped without an eos id")
        if name in AGAINST_LLAMA:
            reference = harness.llama_logits(gguf, prompt, vocab, self.work)
            err = abs(a - reference).max()
            harness.report(f"{name}: max |lmc(folder) - llama.cpp(GGUF twin)| = {err:.3g}")
            self.assertLess(err, harness.LLAMA_TOLERANCE)
            self.assertGreedyEqual(harness.lmc_greedy(from_hf, prompt, harness.GREEDY_TOKENS),
                                   harness.llama_greedy(gguf, prompt, harness.GREEDY_TOKENS), eos)
        self.check_in_place(name, folder, from_hf)

    def check_in_place(self, name, folder, exe):
        """The shards are the executable's weight parts, linked, not copied;
        what is derived is small."""
        parts = harness.manifest(exe)["weights"].get("parts", [])
        shards = sorted(f for f in os.listdir(folder) if f.endswith(".safetensors"))
        self.assertEqual(len(parts), len(shards))
        for part, shard in zip(parts, shards):
            installed = os.stat(exe + ".weights" + part["suffix"])
            self.assertEqual(installed.st_ino, os.stat(os.path.join(folder, shard)).st_ino,
                             f"{name}: {shard} was copied")
        derived = os.path.getsize(exe + ".weights")
        harness.report(f"{name}: derived weights {derived} bytes, checkpoint "
                       f"{folder_bytes(folder)} bytes read in place")
        if name not in TRANSPOSED_EXPERTS:
            self.assertLess(derived, 0.2 * folder_bytes(folder))

    def test_qwen3_f32_sharded(self):
        self.check_pair("qwen3_f32_sharded")

    def test_qwen3_bf16(self):
        self.check_pair("qwen3_bf16")

    def test_qwen3moe_bf16_experts_apart(self):
        self.check_pair("qwen3moe_bf16")

    def test_gptoss_mxfp4_in_place(self):
        self.check_pair("gptoss_mxfp4")

    def test_gptoss_bf16_experts(self):
        self.check_pair("gptoss_bf16")

    def test_deepseek_fp8_partial_blocks(self):
        self.check_pair("deepseek_fp8")

    def test_deepseek_fp8_v3_head_sizes(self):
        self.check_pair("deepseek_fp8_v3_heads")

    def test_fp8_stays_fp8(self):
        """FP8 projections and experts are declared e4m3 with their scales."""
        _, folder, _ = synth_pair(self.work, "deepseek_fp8")
        ir = self.work.file("deepseek_fp8.mlir")
        compile_model(folder, ir, "--emit", "mlir")
        text = open(ir).read()
        self.assertIn('@blk.2.ffn_gate_exps.weight : !tfm.weight<16x160x192, e4m3>', text)
        self.assertIn('scales = @blk.2.ffn_gate_exps.weight_scale_inv', text)
        self.assertIn('@blk.2.ffn_gate_exps.weight_scale_inv : !tfm.weight<16x2x2, f32>', text)

    def test_missing_or_changed_shard(self):
        _, folder, config = synth_pair(self.work, "qwen3_f32_sharded")
        exe = compile_model(folder, self.work.file("shards"))
        prompt = "1,2,3"
        second = exe + ".weights.2"
        os.rename(second, second + ".away")
        proc = run([exe, "--tokens", prompt, "-n", "1"], check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"cannot open weights file '{second}'", proc.stderr)
        os.rename(second + ".away", second)
        # A shard rewritten with other contents (same size).
        with open(second, "r+b") as f:
            f.seek(100)
            f.write(b"\x01\x02\x03\x04")
        proc = run([exe, "--tokens", prompt, "-n", "1"], check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(f"weights file '{second}' does not belong to this model", proc.stderr)

    def test_object_output_installs_the_weights(self):
        _, folder, _ = synth_pair(self.work, "qwen3_bf16")
        obj = self.work.file("model.o")
        compile_model(folder, obj, "--emit", "obj")
        self.assertTrue(os.path.getsize(obj) > 0)
        self.assertTrue(os.path.exists(obj + ".weights"))
        self.assertTrue(os.path.exists(obj + ".weights.1"))

    def test_broken_folders(self):
        _, folder, _ = synth_pair(self.work, "qwen3_f32_sharded")

        def expect_error(what, fragment):
            proc = run([harness.tool("lmc"), "compile", folder, "-o", self.work.file("bad")],
                       check=False)
            self.assertNotEqual(proc.returncode, 0, what)
            self.assertIn(fragment, proc.stderr, what)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)

        config = os.path.join(folder, "config.json")
        original = open(config).read()
        with open(config, "w") as f:
            f.write(original[: len(original) // 2])
        expect_error("truncated config.json", "config.json")
        with open(config, "w") as f:
            f.write(original.replace('"hidden_size"', '"hidden_sizes"'))
        expect_error("config.json without hidden_size", "hidden_size")
        with open(config, "w") as f:
            f.write(original)
        shard = os.path.join(folder, "model-00002-of-00002.safetensors")
        data = open(shard, "rb").read()
        with open(shard, "wb") as f:
            f.write(data[: len(data) - 100])
        expect_error("truncated shard", "model-00002-of-00002.safetensors")
        os.remove(shard)
        expect_error("missing shard", "model-00002-of-00002.safetensors")
        with open(shard, "wb") as f:
            f.write(data)
        tokenizer = os.path.join(folder, "tokenizer.json")
        with open(tokenizer, "w") as f:
            f.write("{\"model\": 3}")
        expect_error("malformed tokenizer.json", "tokenizer.json")


if __name__ == "__main__":
    harness.main()
