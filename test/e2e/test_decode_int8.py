"""Decode with int8 activations (`lmc compile --decode-activations int8`).

On a CPU with AVX-512 VNNI, products with few activation rows (decode) of
Q8_0, Q4_0, Q4_K and Q6_K weights round each 32-element block of their
activations to int8 (Q8_0's rounding, as llama.cpp's CPU backend does before
such products) and multiply bytes with vpdpbusd. Every prompt position is
evaluated as a decode step (`-b 1`), so all of them take that path; for
Qwen3 Q8_0, Q4_0 and Q4_K_M (Q4_K with Q6_K) models and a Qwen3-MoE model with
Q4_K experts, against llama.cpp on the same quantized file:
- the logits of every position are within the bound the quantized tests
  allow (relative rms, argmax agreement);
- for Q8_0 and Q4_0, closer to llama.cpp than the exact build: both engines
  round the same activations the same way (measured relative rms 0.0087
  against the exact build's 0.013 for Q8_0, 0.0011 against 0.012 for Q4_0). llama.cpp rounds Q4_K and Q6_K activations in blocks
  of 256 (Q8_K), so there the roundings part (0.022 against 0.018 for
  Q4_K_M, 0.041 against 0.043 for the MoE model);
- the int8 build is not the exact one (more than 1e-4 relative rms apart); a
  wrong factor or correction gives errors of order 1;
- greedy generation continues as llama.cpp's for the first tokens.
Without AVX-512 VNNI the flag changes nothing, and the builds must agree.
"""
import harness

DENSE = ["--layers", 3, "--hidden", 256, "--heads", 4, "--kv-heads", 2, "--head-dim", 64,
         "--ffn", 512]
SHAPES = {
    "qwen3_q8_0": DENSE + ["--type", "q8_0", "--seed", 84],
    "qwen3_q4_0": DENSE + ["--type", "q4_0", "--seed", 81],
    "qwen3_q4_k_m": DENSE + ["--type", "q4_k_m", "--seed", 82],
    "qwen3moe_q4_k": ["--arch", "qwen3moe", "--layers", 2, "--hidden", 256, "--heads", 4,
                      "--kv-heads", 2, "--head-dim", 64, "--experts", 8, "--experts-used", 2,
                      "--expert-ffn", 256, "--type", "q4_k", "--seed", 83],
}


def host_has_avx512_vnni():
    return {"avx512_vnni", "avx512vl", "avx512bw"} <= harness.cpu_flags()


class Int8DecodeAgainstLlama(harness.TestCase):
    def check(self, name, same_rounding=False):
        harness.check_rounded_build(self, self.work, name, SHAPES[name],
                                    ("--decode-activations", "int8"), host_has_avx512_vnni(), same_rounding, batch=1)

    def test_qwen3_q8_0(self):
        self.check("qwen3_q8_0", same_rounding=True)

    def test_qwen3_q4_0(self):
        self.check("qwen3_q4_0", same_rounding=True)

    def test_qwen3_q4_k_m(self):
        self.check("qwen3_q4_k_m")

    def test_qwen3moe_q4_k(self):
        self.check("qwen3moe_q4_k")


if __name__ == "__main__":
    harness.main()
