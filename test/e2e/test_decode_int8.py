"""Decode with int8 activations (`lmc compile --decode-activations int8`).

On a CPU with AVX-512 VNNI, products with few activation rows (decode) of
Q4_0, Q4_K and Q6_K weights round each 32-element block of their
activations to int8 (Q8_0's rounding, as llama.cpp's CPU backend does before
such products) and multiply bytes with vpdpbusd. Every prompt position is
evaluated as a decode step (`-b 1`), so all of them take that path; for
Qwen3 Q4_0 and Q4_K_M (Q4_K with Q6_K) models and a Qwen3-MoE model with
Q4_K experts, against llama.cpp on the same quantized file:
- the logits of every position are within the bound the quantized tests
  allow (relative rms, argmax agreement);
- for Q4_0, closer to llama.cpp than the exact build: both engines round the
  same activations the same way (measured relative rms 0.0011 against the
  exact build's 0.012). llama.cpp rounds Q4_K and Q6_K activations in blocks
  of 256 (Q8_K), so there the roundings part (0.022 against 0.018 for
  Q4_K_M, 0.041 against 0.043 for the MoE model);
- the int8 build is not the exact one (more than 1e-4 relative rms apart); a
  wrong factor or correction gives errors of order 1;
- greedy generation continues as llama.cpp's for the first tokens.
Without AVX-512 VNNI the flag changes nothing, and the builds must agree.
"""
import zlib

import harness
from harness import synth

DENSE = ["--layers", 3, "--hidden", 256, "--heads", 4, "--kv-heads", 2, "--head-dim", 64,
         "--ffn", 512]
SHAPES = {
    "qwen3_q4_0": DENSE + ["--type", "q4_0", "--seed", 81],
    "qwen3_q4_k_m": DENSE + ["--type", "q4_k_m", "--seed", 82],
    "qwen3moe_q4_k": ["--arch", "qwen3moe", "--layers", 2, "--hidden", 256, "--heads", 4,
                      "--kv-heads", 2, "--head-dim", 64, "--experts", 8, "--experts-used", 2,
                      "--expert-ffn", 256, "--type", "q4_k", "--seed", 83],
}
# As test_qwen3_quant.py: the activation rounding with headroom.
RELATIVE_RMS_BOUND = 6e-2
ARGMAX_AGREEMENT = 0.90
PROMPT = 48


def host_has_avx512_vnni():
    with open("/proc/cpuinfo") as f:
        flags = f.read().split()
    return all(flag in flags for flag in ("avx512_vnni", "avx512vl", "avx512bw"))


class Int8DecodeAgainstLlama(harness.TestCase):
    def check(self, name, same_rounding=False):
        model = self.work.file(name + ".gguf")
        config = synth(model, *SHAPES[name])
        vocab = config["vocab"]
        prompt = harness.prompt_ids(zlib.crc32(name.encode()), PROMPT, min(vocab, 5000))
        int8 = harness.compile_model(model, self.work.file(name + "-int8"),
                                     "--decode-activations", "int8")
        exact = harness.compile_model(model, self.work.file(name + "-exact"))
        ours = harness.lmc_logits(int8, prompt, vocab, self.work, batch=1)
        full = harness.lmc_logits(exact, prompt, vocab, self.work, batch=1)
        reference = harness.llama_logits(model, prompt, vocab, self.work)
        scale = harness.rms(reference)
        relative = harness.rms(ours - reference) / scale
        exact_relative = harness.rms(full - reference) / scale
        agreement = float((ours.argmax(1) == reference.argmax(1)).mean())
        rounding = harness.rms(ours - full) / harness.rms(full)
        harness.report(f"{name}: vs llama.cpp relative rms int8 {relative:.3g}, exact "
                       f"{exact_relative:.3g}; argmax agreement {agreement:.3f}; "
                       f"int8 vs exact {rounding:.3g}")
        if not host_has_avx512_vnni():
            self.assertLess(abs(ours - full).max(), 1e-6)
            return
        self.assertLess(relative, RELATIVE_RMS_BOUND)
        self.assertGreaterEqual(agreement, ARGMAX_AGREEMENT)
        if same_rounding:
            self.assertLess(relative, exact_relative)
        self.assertGreater(rounding, 1e-4)
        eos = harness.manifest(int8)["tokens"]["eos"]
        self.assertGreedyEqual(harness.lmc_greedy(int8, prompt, 4),
                               harness.llama_greedy(model, prompt, 4), eos)

    def test_qwen3_q4_0(self):
        self.check("qwen3_q4_0", same_rounding=True)

    def test_qwen3_q4_k_m(self):
        self.check("qwen3_q4_k_m")

    def test_qwen3moe_q4_k(self):
        self.check("qwen3moe_q4_k")


if __name__ == "__main__":
    harness.main()
