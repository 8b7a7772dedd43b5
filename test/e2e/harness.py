"""Shared pieces of lmc's end-to-end tests.

The tests synthesize models with lmc-synth, compile them with `lmc compile`,
run the executables, and compare with the references under test/reference
(llama.cpp through node-llama-cpp, the real tokenizers). They need the build
(LMC_BUILD_DIR, default <repo>/build), node, and the npm packages that
scripts/setup.sh installs. Run with Debian's /usr/bin/python3 (numpy).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zlib

import numpy as np

SOURCE_DIR = os.environ.get(
    "LMC_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("LMC_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
BIN = os.path.join(BUILD_DIR, "bin")
REFERENCE_DIR = os.path.join(SOURCE_DIR, "test", "reference")


def report(message):
    """A measured number, for the test log."""
    print(message, file=sys.stderr, flush=True)


def tool(name):
    return os.path.join(BIN, name)


def run(args, check=True, errors="replace", **kw):
    """Runs a command; returns the CompletedProcess with stdout and stderr
    decoded as UTF-8 (no newline translation: output may hold CR)."""
    proc = subprocess.run(list(map(str, args)), capture_output=True, **kw)
    proc.stdout = proc.stdout.decode("utf-8", errors)
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


class WorkDir:
    """A scratch directory per test class, removed unless LMC_KEEP_TEST_FILES."""

    def __init__(self, name):
        root = os.path.join(BUILD_DIR, "test-work")
        os.makedirs(root, exist_ok=True)
        self.path = tempfile.mkdtemp(prefix=name + "-", dir=root)

    def file(self, name):
        return os.path.join(self.path, name)

    def remove(self):
        if not os.environ.get("LMC_KEEP_TEST_FILES"):
            shutil.rmtree(self.path, ignore_errors=True)


def synth(out, *options):
    """Writes a model; returns its hyperparameters (lmc-synth --dump-config)."""
    proc = run([tool("lmc-synth"), "-o", out, "--dump-config", *map(str, options)])
    return json.loads(proc.stdout)


def manifest(exe):
    """The manifest compiled into an executable (`OUT info`)."""
    return json.loads(run([exe, "info"]).stdout)


def compile_model(model, out, *options):
    run([tool("lmc"), "compile", model, "-o", out, *options])
    return out


def ids_arg(ids):
    return ",".join(map(str, ids))


def lmc_logits(exe, tokens, vocab, work, batch=None):
    """Logits of every prompt position from a compiled executable; with
    `batch` 1, each position evaluated as a decode step."""
    path = work.file(os.path.basename(exe) + ".logits")
    batching = ["-b", str(batch)] if batch else []
    run([exe, "--tokens", ids_arg(tokens), "-n", "0", "--logits-out", path, "-t", "2",
         *batching])
    return read_logits(path, len(tokens), vocab)


def lmc_greedy(exe, tokens, n):
    out = run([exe, "--tokens", ids_arg(tokens), "-n", str(n), "--temp", "0",
               "--ids", "-t", "2"]).stdout
    return [int(t) for t in out.split()]


def read_logits(path, rows, vocab):
    data = np.fromfile(path, dtype="<f4")
    if data.size != rows * vocab:
        raise AssertionError(f"{path}: {data.size} floats, expected {rows} x {vocab}")
    return data.reshape(rows, vocab)


def llama(*args):
    """Runs test/reference/llama.mjs (llama.cpp, F32 KV cache unless --kv F16,
    no flash attention)."""
    return run(["node", os.path.join(REFERENCE_DIR, "llama.mjs"), *map(str, args)])


def llama_logits(model, tokens, vocab, work, kv="F32"):
    path = work.file(os.path.basename(model) + ".llama.logits")
    llama("--model", model, "--tokens", ids_arg(tokens), "--logits-out", path, "--kv", kv)
    return read_logits(path, len(tokens), vocab)


def llama_greedy(model, tokens, n):
    out = llama("--model", model, "--tokens", ids_arg(tokens), "--greedy", n).stdout
    return [int(t) for t in out.split()]


def prompt_ids(seed, n, vocab, low=0):
    rng = np.random.default_rng(seed)
    return [int(t) for t in rng.integers(low, vocab, n)]


class TestCase(unittest.TestCase):
    """A TestCase with a scratch directory shared by the class."""

    @classmethod
    def setUpClass(cls):
        cls.work = WorkDir(cls.__name__)

    @classmethod
    def tearDownClass(cls):
        cls.work.remove()

    def assertGreedyEqual(self, ours, reference, eos_ids=()):
        """Our executable stops at an end-of-generation id (not printed);
        llama.mjs does not. Equal up to where ours stopped, and the stop is
        the reference's next token being an eos id."""
        self.assertEqual(ours, reference[:len(ours)])
        if len(ours) < len(reference):
            self.assertIn(reference[len(ours)], eos_ids,
                          f"generation stopped after {len(ours)} tokens without eos")


LLAMA_TOLERANCE = 1e-4   # F32 weights: llama.cpp is within ~3e-6 of float64
NOFUSE_TOLERANCE = 1e-5  # the reference lowering against the fused kernels
GREEDY_TOKENS = 32


def check_f32_model_against_llama(test, work, name, model, vocab, prompt, layers=4):
    """The checks every F32 architecture passes: logits at every prompt
    position within LLAMA_TOLERANCE of llama.cpp, the --no-fuse build within
    NOFUSE_TOLERANCE of the fused one, GREEDY_TOKENS greedy tokens identical.
    The fused kernels sum in another order than the primitive graph, and each
    layer adds its rounding: the --no-fuse bound is NOFUSE_TOLERANCE per four
    layers (measured: 2-5e-6 for 2-4 layers, 1.4e-5 for 26)."""
    fused = compile_model(model, work.file(name))
    unfused = compile_model(model, work.file(name + "-nofuse"), "--no-fuse")
    ours = lmc_logits(fused, prompt, vocab, work)
    reference = llama_logits(model, prompt, vocab, work)
    err = abs(ours - reference).max()
    report(f"{name}: max |lmc - llama.cpp| = {err:.3g}")
    test.assertLess(err, LLAMA_TOLERANCE, f"{name}: max |lmc - llama.cpp| = {err:.3g}")
    test.assertTrue((ours.argmax(1) == reference.argmax(1)).all())
    plain = lmc_logits(unfused, prompt, vocab, work)
    err = abs(plain - ours).max()
    report(f"{name}: max |no-fuse - fused| = {err:.3g}")
    test.assertLess(err, NOFUSE_TOLERANCE * max(1.0, layers / 4),
                    f"{name}: max |no-fuse - fused| = {err:.3g}")
    eos = manifest(fused)["tokens"]["eos"]
    test.assertGreedyEqual(lmc_greedy(fused, prompt, GREEDY_TOKENS),
                           llama_greedy(model, prompt, GREEDY_TOKENS), eos)
    return fused


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def check_quantized_model_against_llama(test, work, name, model, twin, vocab, prompt,
                                        relative_rms_bound, argmax_agreement=0.90):
    """A quantized model: within LLAMA_TOLERANCE of llama.cpp running the F32
    twin (the exact decoded weights), and within `relative_rms_bound` of
    llama.cpp running the quantized file (which also rounds activations),
    with the argmax equal at `argmax_agreement` of the positions."""
    exe = compile_model(model, work.file(name))
    ours = lmc_logits(exe, prompt, vocab, work)
    exact = llama_logits(twin, prompt, vocab, work)
    err = abs(ours - exact).max()
    report(f"{name}: max |lmc - llama.cpp(F32 twin)| = {err:.3g}")
    test.assertLess(err, LLAMA_TOLERANCE)
    quantized = llama_logits(model, prompt, vocab, work)
    relative = rms(ours - quantized) / rms(quantized)
    agreement = float((ours.argmax(1) == quantized.argmax(1)).mean())
    report(f"{name}: vs llama.cpp(quantized): relative rms {relative:.3g}, "
           f"argmax agreement {agreement:.3f}")
    test.assertLess(relative, relative_rms_bound)
    test.assertGreaterEqual(agreement, argmax_agreement)
    return exe


ROUNDED_RMS_BOUND = 6e-2  # as the quantized tests: the activation rounding with headroom
ROUNDED_ARGMAX_AGREEMENT = 0.90
ROUNDED_PROMPT = 48


def check_rounded_build(test, work, name, shape, flag, available, same_rounding=False,
                        batch=None):
    """A build whose products round activations to int8 (`flag`: the lmc
    compile option that asks for it) against llama.cpp on the same quantized
    file and against the exact build: within ROUNDED_RMS_BOUND relative rms
    of llama.cpp, argmax equal at ROUNDED_ARGMAX_AGREEMENT of the positions,
    closer to llama.cpp than the exact build where both round the same way
    (`same_rounding`), more than 1e-4 from the exact build, and the same first
    greedy tokens as llama.cpp. Where the host lacks the instructions
    (`available` false) the flag must change nothing. `batch` as for
    lmc_logits."""
    model = work.file(name + ".gguf")
    vocab = synth(model, *shape)["vocab"]
    prompt = prompt_ids(zlib.crc32(name.encode()), ROUNDED_PROMPT, min(vocab, 5000))
    rounded = compile_model(model, work.file(name + "-int8"), *flag)
    exact = compile_model(model, work.file(name + "-exact"))
    ours = lmc_logits(rounded, prompt, vocab, work, batch=batch)
    full = lmc_logits(exact, prompt, vocab, work, batch=batch)
    reference = llama_logits(model, prompt, vocab, work)
    scale = rms(reference)
    relative = rms(ours - reference) / scale
    exact_relative = rms(full - reference) / scale
    agreement = float((ours.argmax(1) == reference.argmax(1)).mean())
    rounding = rms(ours - full) / rms(full)
    report(f"{name}: vs llama.cpp relative rms int8 {relative:.3g}, exact "
           f"{exact_relative:.3g}; argmax agreement {agreement:.3f}; "
           f"int8 vs exact {rounding:.3g}")
    if not available:
        test.assertLess(abs(ours - full).max(), 1e-6)
        return
    test.assertLess(relative, ROUNDED_RMS_BOUND)
    test.assertGreaterEqual(agreement, ROUNDED_ARGMAX_AGREEMENT)
    if same_rounding:
        test.assertLess(relative, exact_relative)
    test.assertGreater(rounding, 1e-4)
    eos = manifest(rounded)["tokens"]["eos"]
    test.assertGreedyEqual(lmc_greedy(rounded, prompt, 4), llama_greedy(model, prompt, 4), eos)


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        return set(f.read().split())


def main():
    unittest.main(verbosity=2)
