"""Prefill with int8 activations (`lmc compile --prefill-activations int8`).

On a CPU with AMX-INT8, prefill products of block-quantized weights round
each 32-element block of their activations to int8 (Q8_0's rounding, as
llama.cpp's CPU backend does before Q8_0, Q4_0, Q4_K, Q6_K and MXFP4 products)
and multiply on int8 tiles (Q6_K per 16 columns); on one with AVX-512 VNNI
and no AMX, the same products run with vpdpbusd. For Qwen3 (Q8_0, and
Q4_K_M: Q4_K with Q6_K), GPT-OSS (MXFP4 experts, Q8_0 attention) and DeepSeek-V3 (MLA,
Q8_0) models, against llama.cpp on the same quantized file:
- the logits of every prompt position are within the bound the quantized
  tests allow (relative rms, argmax agreement);
- for the Qwen3 Q8_0 and the GPT-OSS model, closer to llama.cpp than the
  exact build is: both engines round the same activations the same way
  (Q8_0 blocks before Q8_0 and MXFP4 products; measured relative rms 0.0054
  against the exact build's 0.012, and 0.0092 against 0.084 where the exact
  build's routing parts from llama.cpp's). Elsewhere the roundings part:
  llama.cpp rounds Q4_K activations in blocks of 256 (Q8_K), and its MLA
  products differ (0.021 against 0.017-0.018);
- the int8 build is not the exact one: its logits differ from the exact
  build's by the rounding (more than 1e-4 relative rms); a broken tile layout
  or factor gives errors of order 1;
- decode (one row per step, the exact row path) still continues greedily as
  llama.cpp does for the first tokens.
Without AMX-INT8 and AVX-512 VNNI the flag changes nothing, and the builds
must agree.
"""
import harness

SHAPES = {
    "qwen3_q8_0": ["--layers", 3, "--hidden", 256, "--heads", 4, "--kv-heads", 2,
                   "--head-dim", 64, "--ffn", 512, "--type", "q8_0", "--seed", 71],
    "qwen3_q4_k_m": ["--layers", 3, "--hidden", 256, "--heads", 4, "--kv-heads", 2,
                     "--head-dim", 64, "--ffn", 512, "--type", "q4_k_m", "--seed", 72],
    "gptoss_mxfp4": ["--arch", "gpt-oss", "--ctx", 131072, "--layers", 4,
                     "--hidden", 192, "--heads", 6, "--kv-heads", 1,
                     "--head-dim", 64, "--experts", 8, "--experts-used", 2,
                     "--expert-ffn", 128, "--sliding-window", 8, "--type", "q8_0",
                     "--expert-type", "mxfp4", "--seed", 73],
    "deepseek_q8_0": ["--arch", "deepseek2", "--ctx", 163840, "--layers", 3, "--hidden", 128,
                      "--heads", 4, "--q-lora-rank", 64, "--kv-lora-rank", 64,
                      "--qk-nope-dim", 32, "--qk-rope-dim", 16, "--v-head-dim", 32,
                      "--ffn", 192, "--experts", 8, "--experts-used", 2, "--expert-ffn", 64,
                      "--expert-groups", 1, "--expert-groups-used", 1, "--shared-experts", 1,
                      "--leading-dense", 1, "--type", "q8_0", "--seed", 74],
}


def host_rounds_prefill():
    """Whether the build rounds prefill activations: AMX-INT8 tiles, or
    without AMX, AVX-512 VNNI."""
    flags = harness.cpu_flags()
    if {"amx_bf16", "amx_tile"} <= flags:
        return "amx_int8" in flags
    return {"avx512_vnni", "avx512vl", "avx512bw"} <= flags


class Int8PrefillAgainstLlama(harness.TestCase):
    def check(self, name, same_rounding=False):
        harness.check_rounded_build(self, self.work, name, SHAPES[name],
                                    ("--prefill-activations", "int8"), host_rounds_prefill(),
                                    same_rounding)

    def test_qwen3_q8_0(self):
        self.check("qwen3_q8_0", same_rounding=True)

    def test_qwen3_q4_k_m(self):
        self.check("qwen3_q4_k_m")

    def test_gptoss_mxfp4(self):
        self.check("gptoss_mxfp4", same_rounding=True)

    def test_deepseek_q8_0(self):
        self.check("deepseek_q8_0")


if __name__ == "__main__":
    harness.main()
