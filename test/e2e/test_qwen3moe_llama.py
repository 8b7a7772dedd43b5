"""Qwen3-MoE (llama.cpp "qwen3moe") and Qwen3 with YaRN against llama.cpp.

- Qwen3-MoE: softmax over all experts, the top k renormalised, SwiGLU experts,
  QK-norm attention; F32 models of two expert counts pass the checks of every
  F32 architecture (harness.check_f32_model_against_llama).
- YaRN x4: a Qwen3 model whose GGUF carries rope.scaling (factor 4 over an
  original context of 64) matches llama.cpp at positions up to 300, far beyond
  the original context; and a model without it, compiled with
  `lmc compile --rope-scaling yarn:4:64`, gives the same logits as the one
  that carries it (the override for files that lack the keys).
"""
import zlib

import harness
from harness import compile_model, synth

MOE = ["--arch", "qwen3moe", "--layers", 3, "--hidden", 128, "--heads", 4, "--kv-heads", 2,
       "--head-dim", 64]
YARN_BASE = ["--layers", 3, "--hidden", 128, "--heads", 2, "--kv-heads", 1, "--head-dim", 64,
             "--ffn", 256, "--ctx", 1024, "--rope-base", 10000, "--seed", 63]


class Qwen3MoeAndYarn(harness.TestCase):
    def prompt(self, name, config, length):
        return harness.prompt_ids(zlib.crc32(name.encode()), length, config["vocab"])

    def check(self, name, options, prompt_len=40):
        model = self.work.file(name + ".gguf")
        config = synth(model, *options)
        return harness.check_f32_model_against_llama(self, self.work, name, model,
                                                     config["vocab"],
                                                     self.prompt(name, config, prompt_len))

    def test_moe_16_experts_top4(self):
        self.check("moe16", MOE + ["--experts", 16, "--experts-used", 4, "--expert-ffn", 64,
                                   "--seed", 61])

    def test_moe_8_experts_top2_tied(self):
        self.check("moe8", MOE + ["--experts", 8, "--experts-used", 2, "--expert-ffn", 96,
                                  "--tied", "--seed", 62])

    def test_yarn_x4_beyond_the_original_context(self):
        self.check("yarn", YARN_BASE + ["--rope-scaling", "yarn:4:64"], prompt_len=300)

    def test_rope_scaling_override_equals_the_file_setting(self):
        with_keys = self.work.file("yarn-in-file.gguf")
        without = self.work.file("yarn-absent.gguf")
        config = synth(with_keys, *YARN_BASE, "--rope-scaling", "yarn:4:64")
        synth(without, *YARN_BASE)
        prompt = self.prompt("override", config, 200)
        a = harness.lmc_logits(compile_model(with_keys, self.work.file("in-file")), prompt,
                               config["vocab"], self.work)
        b = harness.lmc_logits(compile_model(without, self.work.file("override"),
                                             "--rope-scaling", "yarn:4:64"),
                               prompt, config["vocab"], self.work)
        plain = harness.lmc_logits(compile_model(without, self.work.file("plain")), prompt,
                                   config["vocab"], self.work)
        self.assertEqual(abs(a - b).max(), 0.0)
        self.assertGreater(abs(a - plain).max(), 100 * harness.LLAMA_TOLERANCE)


if __name__ == "__main__":
    harness.main()
