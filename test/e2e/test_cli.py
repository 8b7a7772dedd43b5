"""The compiled executable's command line (../shared/design.md) on a real model.

test/unit/runtime/CliTest covers the contract in detail against a fake model;
these checks run a compiled Qwen3 model: output formats, thread-count
invariance, seeded sampling, chat, and `OUT info`.
"""
import os

import numpy as np

import harness
from harness import compile_model, synth


class CompiledExecutable(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        model = cls.work.file("cli.gguf")
        cls.config = synth(model, "--layers", 3, "--seed", 31)
        cls.exe = compile_model(model, cls.work.file("cli"))
        cls.prompt = harness.prompt_ids(31, 20, cls.config["vocab"])

    def test_ids_are_one_line_of_ids(self):
        out = harness.run([self.exe, "--tokens", harness.ids_arg(self.prompt), "-n", "7",
                           "--temp", "0", "--ids"]).stdout
        self.assertRegex(out, r"^\d+( \d+){0,6}\n$")

    def test_logits_out_layout(self):
        path = self.work.file("layout.bin")
        harness.run([self.exe, "--tokens", "5,6,7", "-n", "0", "--logits-out", path])
        self.assertEqual(os.path.getsize(path), 3 * self.config["vocab"] * 4)

    def test_thread_count_does_not_change_logits(self):
        base = None
        for threads in (1, 2, 3):
            path = self.work.file(f"t{threads}.bin")
            harness.run([self.exe, "--tokens", harness.ids_arg(self.prompt), "-n", "0",
                         "-t", threads, "--logits-out", path])
            logits = np.fromfile(path, dtype="<f4")
            if base is None:
                base = logits
            else:
                np.testing.assert_array_equal(logits, base, f"-t {threads}")

    def test_seeded_sampling_repeats(self):
        def sample(seed):
            return harness.run([self.exe, "--tokens", harness.ids_arg(self.prompt),
                                "-n", "16", "--temp", "1.0", "--top-k", "0", "--top-p", "1",
                                "--min-p", "0", "--seed", seed, "--ids"]).stdout
        self.assertEqual(sample(7), sample(7))
        self.assertNotEqual(sample(7), sample(8))

    def test_prompt_text_is_printed_first(self):
        out = harness.run([self.exe, "-p", "the cat", "-n", "4", "--temp", "0"]).stdout
        self.assertTrue(out.startswith("the cat"), out)
        self.assertTrue(out.endswith("\n"))

    def test_chat(self):
        proc = harness.run([self.exe, "chat", "-n", "5", "--temp", "0"],
                           input=b"hello\nand again\n")
        self.assertEqual(len(proc.stdout.split("\n")), 3, proc.stdout)

    def test_info_prints_the_manifest(self):
        info = harness.manifest(self.exe)
        self.assertEqual(info["arch"], "qwen3")
        self.assertEqual(info["vocab_size"], self.config["vocab"])
        self.assertEqual(info["cache"], {"layers": 3, "streams": 2, "heads": 2, "dim": 64,
                                         "dtype": "f32"})
        self.assertIn(self.config["eos"], info["tokens"]["eos"])

    def test_usage_errors_exit_2(self):
        for args in (["--frobnicate"], ["--tokens", "1,x"], ["-n", "-3", "--tokens", "1"],
                     ["--tokens", str(self.config["vocab"])], ["--ctx", "4", "--tokens",
                                                               "1,2,3,4,5"]):
            with self.subTest(args=args):
                proc = harness.run([self.exe, *args], check=False)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertRegex(proc.stderr, r"^error: [^\n]+\n$")


if __name__ == "__main__":
    harness.main()
