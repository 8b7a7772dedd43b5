"""Qwen3 dense models with F32 weights against llama.cpp.

For several shapes (head_dim 64 and 128, one KV head and as many as query
heads, tied and untied output, 3+ layers, byte and real Qwen3 tokenizers):
the logits of every prompt position match llama.cpp within 1e-4 (llama.cpp
with F32 KV cache and no flash attention agrees with a float64 reference to
~3e-6, reference-facts.md; 1e-4 leaves room for summation order only), the
unfused build (--no-fuse) matches the fused one within 1e-5, and 32 greedy
tokens are identical.
"""
import zlib

import harness
from harness import synth

SHAPES = {
    "gqa_hd64_untied": ["--layers", 3, "--hidden", 256, "--heads", 4, "--kv-heads", 2,
                        "--head-dim", 64, "--ffn", 512, "--seed", 11],
    "one_kv_head_hd128_tied": ["--layers", 3, "--hidden", 256, "--heads", 2,
                               "--kv-heads", 1, "--head-dim", 128, "--ffn", 384,
                               "--tied", "--seed", 12],
    "mha_odd_heads": ["--layers", 4, "--hidden", 192, "--heads", 3, "--kv-heads", 3,
                      "--head-dim", 64, "--ffn", 320, "--rope-base", 10000,
                      "--eps", 1e-5, "--seed", 13],
    "qwen3_tokenizer_wide_heads": ["--layers", 3, "--hidden", 128, "--heads", 4,
                                   "--kv-heads", 4, "--head-dim", 128, "--ffn", 256,
                                   "--tied", "--tokenizer", "qwen3", "--seed", 14],
}


class Qwen3AgainstLlama(harness.TestCase):
    def check_shape(self, name, prompt_len=40):
        model = self.work.file(name + ".gguf")
        config = synth(model, *SHAPES[name])
        prompt = harness.prompt_ids(zlib.crc32(name.encode()) + prompt_len, prompt_len,
                                    min(config["vocab"], 5000))
        harness.check_f32_model_against_llama(self, self.work, name, model, config["vocab"],
                                              prompt)

    def test_gqa_hd64_untied(self):
        self.check_shape("gqa_hd64_untied")

    def test_one_kv_head_hd128_tied(self):
        self.check_shape("one_kv_head_hd128_tied")

    def test_mha_odd_heads(self):
        self.check_shape("mha_odd_heads")

    def test_qwen3_tokenizer_wide_heads(self):
        self.check_shape("qwen3_tokenizer_wide_heads", prompt_len=24)

    def test_prompt_longer_than_a_batch(self):
        # The executable evaluates prompts 512 tokens at a time.
        self.check_shape("gqa_hd64_untied", prompt_len=600)


if __name__ == "__main__":
    harness.main()
