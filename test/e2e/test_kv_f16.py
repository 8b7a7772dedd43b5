"""The f16 KV cache (`lmc compile --kv-type f16`) against llama.cpp's.

For a Qwen3 (GQA), a GPT-OSS (sinks, sliding window shorter than the prompt)
and a DeepSeek-V3 model (MLA: the latent cache) with F32 weights, compiled
with an f16 cache:
- the manifest says f16 (the runtime allocates the cache by it);
- logits at every prompt position are within F16_TOLERANCE of llama.cpp with
  an F16 KV cache, and within the same bound of lmc's own f32-cache build.
  Both differ from the exact (f32 cache) logits by the rounding of keys and
  values to f16 (llama.cpp also rounds queries and softmax weights to f16);
  reference-facts.md measured ~5e-3 for llama.cpp's F16 cache against exact;
  here 1.0-2.6e-3 both ways. A wrong layout or conversion gives errors of
  order 1.
- the f16 build is not the f32 one: its logits differ from them (by more
  than summation order, 1e-5).
- the argmax agrees at >= 95 % of positions with llama.cpp's F16 run.
"""
import zlib

import harness
from harness import synth

F16_TOLERANCE = 1e-2
SHAPES = {
    "qwen3_gqa": ["--layers", 3, "--hidden", 256, "--heads", 4, "--kv-heads", 2,
                  "--head-dim", 64, "--ffn", 512, "--seed", 61],
    "gptoss_window8_sinks": ["--arch", "gpt-oss", "--ctx", 131072, "--layers", 4,
                             "--hidden", 192, "--heads", 6, "--kv-heads", 1,
                             "--head-dim", 64, "--experts", 8, "--experts-used", 2,
                             "--expert-ffn", 128, "--sliding-window", 8, "--seed", 62],
    "deepseek_mla": ["--arch", "deepseek2", "--ctx", 163840, "--layers", 3, "--hidden", 128,
                     "--heads", 4, "--q-lora-rank", 64, "--kv-lora-rank", 64,
                     "--qk-nope-dim", 32, "--qk-rope-dim", 16, "--v-head-dim", 32,
                     "--ffn", 192, "--experts", 8, "--experts-used", 2, "--expert-ffn", 64,
                     "--expert-groups", 1, "--expert-groups-used", 1, "--shared-experts", 1,
                     "--leading-dense", 1, "--seed", 63],
}


class HalfCacheAgainstLlama(harness.TestCase):
    def check(self, name, prompt_len=48):
        model = self.work.file(name + ".gguf")
        config = synth(model, *SHAPES[name])
        vocab = config["vocab"]
        prompt = harness.prompt_ids(zlib.crc32(name.encode()), prompt_len, min(vocab, 5000))
        half = harness.compile_model(model, self.work.file(name + "-f16"), "--kv-type", "f16")
        exact = harness.compile_model(model, self.work.file(name + "-f32"))
        self.assertEqual(harness.manifest(half)["cache"]["dtype"], "f16")
        self.assertEqual(harness.manifest(exact)["cache"]["dtype"], "f32")

        ours = harness.lmc_logits(half, prompt, vocab, self.work)
        reference = harness.llama_logits(model, prompt, vocab, self.work, kv="F16")
        err = abs(ours - reference).max()
        harness.report(f"{name}: max |lmc f16 - llama.cpp F16 KV| = {err:.3g}")
        self.assertLess(err, F16_TOLERANCE)
        agreement = float((ours.argmax(1) == reference.argmax(1)).mean())
        self.assertGreaterEqual(agreement, 0.95)

        full = harness.lmc_logits(exact, prompt, vocab, self.work)
        err = abs(ours - full).max()
        harness.report(f"{name}: max |lmc f16 - lmc f32| = {err:.3g}")
        self.assertLess(err, F16_TOLERANCE)
        self.assertGreater(err, 1e-5, "the f16 build computes what the f32 build does")

    def test_qwen3_gqa(self):
        self.check("qwen3_gqa")

    def test_gptoss_window_sinks(self):
        self.check("gptoss_window8_sinks")

    def test_deepseek_latent_cache(self):
        self.check("deepseek_mla")

    def test_rejects_unknown_type(self):
        model = self.work.file("qwen3_gqa.gguf")
        synth(model, *SHAPES["qwen3_gqa"])
        result = harness.run([harness.tool("lmc"), "compile", model, "-o",
                              self.work.file("bad"), "--kv-type", "bf16"], check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown KV cache type 'bf16' (f32 or f16)", result.stderr)


if __name__ == "__main__":
    harness.main()
