"""DeepSeek-V3-layout models (llama.cpp "deepseek2", MLA layout) against llama.cpp.

Tiny models with multi-head latent attention (query LoRA or not, interleaved
YaRN rope with mscale), a latent KV cache, leading dense layers and a sigmoid
MoE with the score-correction bias, expert groups, renormalised weights times
the routed scale, and shared experts:
- F32: the checks of every F32 architecture (1e-4 of llama.cpp at every
  position; --no-fuse, which keeps MLA in its explicit form with per-head keys
  and values, within 1e-5 of the fused build, which absorbs W_UK/W_UV and
  attends over the latent cache; 32 greedy tokens).
- Q8_0: 1e-4 of llama.cpp on the F32 twin, and the usual Q8_0 bound against
  llama.cpp on the quantized file (see test_qwen3_quant.py; 0.25 as for the
  other MoE models, whose expert choices flip under llama.cpp's activation
  rounding).
- The checks have teeth: a copy of the model with the expert groups, the
  selection bias, the YaRN attention factor or the routed scale taken out
  compiles to logits far outside the tolerance of llama.cpp on the original.
- The latent cache holds kv_lora + rope floats per layer and position, and
  nothing per head.
"""
import zlib

import numpy as np

import gguf_edit as ge
import harness
from harness import synth

COMMON = ["--arch", "deepseek2", "--ctx", 163840]
SHAPES = {
    "groups4_qlora_yarn": COMMON + [
        "--layers", 3, "--hidden", 128, "--heads", 4, "--q-lora-rank", 64, "--kv-lora-rank", 64,
        "--qk-nope-dim", 32, "--qk-rope-dim", 16, "--v-head-dim", 32, "--ffn", 192,
        "--experts", 16, "--experts-used", 4, "--expert-ffn", 64, "--expert-groups", 4,
        "--expert-groups-used", 2, "--shared-experts", 1, "--leading-dense", 1,
        "--rope-scaling", "yarn:40:4096", "--mscale-all-dim", 1.0, "--routed-scale", 2.5,
        "--seed", 51],
    # Without a query LoRA llama.cpp reads only 26- or 27-layer models
    # (DeepSeek-V2-Lite's shape).
    "no_qlora_no_groups_two_shared": COMMON + [
        "--layers", 26, "--hidden", 64, "--heads", 3, "--q-lora-rank", 0, "--kv-lora-rank", 32,
        "--qk-nope-dim", 16, "--qk-rope-dim", 8, "--v-head-dim", 24,
        "--experts", 8, "--experts-used", 2, "--expert-ffn", 32, "--expert-groups", 1,
        "--expert-groups-used", 1, "--shared-experts", 2, "--leading-dense", 2, "--ffn", 96,
        "--routed-scale", 1.5, "--seed", 52],
    "groups8_of3_yarn_beyond_context": COMMON + [
        "--layers", 2, "--hidden", 128, "--heads", 2, "--q-lora-rank", 48, "--kv-lora-rank", 64,
        "--qk-nope-dim", 32, "--qk-rope-dim", 32, "--v-head-dim", 32, "--ffn", 128,
        "--experts", 32, "--experts-used", 6, "--expert-ffn", 32, "--expert-groups", 8,
        "--expert-groups-used", 3, "--shared-experts", 1, "--leading-dense", 0,
        "--rope-scaling", "yarn:4:32", "--mscale-all-dim", 0.707, "--seed", 53],
}
MOE_RELATIVE_RMS_BOUND = 0.25


class DeepSeekAgainstLlama(harness.TestCase):
    def model(self, name, *extra):
        path = self.work.file(name + ".gguf")
        return path, synth(path, *SHAPES[name], *extra)

    def prompt(self, name, config, length):
        return harness.prompt_ids(zlib.crc32(name.encode()), length, config["vocab"])

    def check_f32(self, name, prompt_len=40):
        path, config = self.model(name)
        return harness.check_f32_model_against_llama(self, self.work, name, path,
                                                     config["vocab"],
                                                     self.prompt(name, config, prompt_len),
                                                     layers=config["layers"])

    def test_groups4_qlora_yarn(self):
        self.check_f32("groups4_qlora_yarn")

    def test_no_qlora_no_groups_two_shared(self):
        self.check_f32("no_qlora_no_groups_two_shared")

    def test_groups8_of3_yarn_beyond_original_context(self):
        # YaRN x4 over an original context of 32: positions up to 80.
        self.check_f32("groups8_of3_yarn_beyond_context", 80)

    def test_q8_0(self):
        name = "groups4_qlora_yarn"
        twin = self.work.file(name + "-q8-twin.gguf")
        path = self.work.file(name + "-q8.gguf")
        config = synth(path, *SHAPES[name], "--type", "q8_0", "--twin-f32", twin)
        harness.check_quantized_model_against_llama(self, self.work, name + "-q8_0", path, twin,
                                                    config["vocab"],
                                                    self.prompt(name, config, 40),
                                                    MOE_RELATIVE_RMS_BOUND)

    def test_removing_a_routing_or_scaling_feature_breaks_the_match(self):
        name = "groups4_qlora_yarn"
        path, config = self.model(name)
        prompt = self.prompt(name, config, 40)
        reference = harness.llama_logits(path, prompt, config["vocab"], self.work)

        def zero_selection_bias(g):
            for t in g.tensors:
                if t.name.endswith("exp_probs_b.bias"):
                    t.data = bytes(len(t.data))

        variants = {
            "no_groups": lambda g: g.metadata.update(
                {"deepseek2.expert_group_count": ge.Value(ge.U32, 1),
                 "deepseek2.expert_group_used_count": ge.Value(ge.U32, 1)}),
            "no_selection_bias": zero_selection_bias,
            "no_mscale": lambda g: g.metadata.update(
                {"deepseek2.rope.scaling.yarn_log_multiplier": ge.Value(ge.F32, 0.0)}),
            "no_routed_scale": lambda g: g.metadata.update(
                {"deepseek2.expert_weights_scale": ge.Value(ge.F32, 1.0)}),
        }
        for variant, edit in variants.items():
            with self.subTest(variant):
                g = ge.GGUF(path)
                edit(g)
                broken = self.work.file(f"{name}-{variant}.gguf")
                g.save(broken)
                exe = harness.compile_model(broken, self.work.file(f"{name}-{variant}"))
                err = abs(harness.lmc_logits(exe, prompt, config["vocab"], self.work) -
                          reference).max()
                harness.report(f"{variant}: max |lmc(without it) - llama.cpp| = {err:.3g}")
                self.assertGreater(err, 100 * harness.LLAMA_TOLERANCE)

    def test_latent_cache_bytes_per_token(self):
        name = "groups4_qlora_yarn"
        path, config = self.model(name)
        exe = harness.compile_model(path, self.work.file(name + "-cache"))
        cache = harness.manifest(exe)["cache"]
        # One entry of kv_lora + rope floats per layer and position.
        self.assertEqual(cache, {"layers": 3, "streams": 1, "heads": 1,
                                 "dim": 64 + 16, "dtype": "f32"})
        bytes_per_token = cache["layers"] * cache["streams"] * cache["heads"] * cache["dim"] * 4
        self.assertEqual(bytes_per_token, 3 * (64 + 16) * 4)
        # What MHA with these heads would cache: keys (nope + rope) and values.
        mha = 3 * config["heads"] * ((32 + 16) + 32) * 4
        harness.report(f"latent cache {bytes_per_token} B/token vs MHA {mha} B/token")
        self.assertLess(bytes_per_token, mha)


if __name__ == "__main__":
    harness.main()
