"""A Qwen3-0.6B-shaped Q8_0 model (28 layers, hidden 1024, 16/8 heads x 128,
ffn 3072, vocab 151936, real tokenizer) compiles, generates, and agrees with
llama.cpp on the same file within the Q8_0 activation rounding llama.cpp
applies (see test_qwen3_quant.py for the bound's reasoning).
"""
import numpy as np

import harness
from harness import compile_model, synth


class Qwen3RealShape(harness.TestCase):
    def test_qwen3_0_6b_q8_0(self):
        model = self.work.file("qwen3-0.6b-q8_0.gguf")
        config = synth(model, "--preset", "qwen3-0.6b", "--type", "q8_0")
        self.assertEqual((config["layers"], config["hidden"], config["vocab"]), (28, 1024, 151936))
        exe = compile_model(model, self.work.file("qwen3-0.6b"))
        prompt = harness.run([exe, "tokenize", "The capital of France is"]).stdout.split()
        prompt = [int(t) for t in prompt]

        ours = harness.lmc_logits(exe, prompt, config["vocab"], self.work)
        reference = harness.llama_logits(model, prompt, config["vocab"], self.work)
        relative = np.sqrt(np.mean((ours - reference) ** 2) / np.mean(reference ** 2))
        agreement = (ours.argmax(1) == reference.argmax(1)).mean()
        harness.report(f"qwen3-0.6b q8_0: relative rms vs llama.cpp {relative:.3g}, "
                       f"argmax agreement {agreement:.2f}")
        self.assertLess(relative, 6e-2)
        self.assertGreaterEqual(agreement, 0.9)

        generated = harness.lmc_greedy(exe, prompt, 16)
        self.assertGreater(len(generated), 0)
        self.assertTrue(all(0 <= t < config["vocab"] for t in generated))


if __name__ == "__main__":
    harness.main()
