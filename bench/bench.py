#!/usr/bin/python3
"""lmc against llama.cpp on one GGUF file, same thread count, one table.

    bench/bench.py MODEL.gguf [--threads 2] [--repeats 3] [--prompt 512] [--gen 128]
                   [--kv-type f16|f32] [--prefill-activations int8|f32]
                   [--decode-activations int8|f32] [--exe OUT] [--json FILE]

Compiles MODEL with lmc (unless --exe names a compiled one), then alternates
runs of the lmc executable and of llama.cpp (node-llama-cpp 3.22.1, CPU, its
default settings: an F16 KV cache and activations rounded to 8 bits before
quantized products, which lmc is compiled to do too unless --kv-type f32,
--prefill-activations f32 or --decode-activations f32; lmc rounds them in
prefill on CPUs with AMX-INT8, and in decode before Q4_0/Q4_K/Q6_K products
on CPUs with AVX-512 VNNI) and reports medians of: prefill tokens/s (a prompt of
random ids), decode tokens/s (greedy, --ignore-eos), time to first token and
peak RSS. It measures the machine's read bandwidth with lmc-bandwidth at the
same thread count between every two runs (a shared machine's bandwidth drifts,
on some machines between two levels tens of seconds apart) and gives each
engine's decode speed as the median over its runs of the fraction of that
run's roofline: the mean of the readings just before and just after the run /
(bytes read per token: every weight but the embedding table, one embedding
row, and the KV cache up to the mid-generation position). A run whose two
readings differ by more than 20 % met a change of bandwidth and is left out
of the fractions (all runs count when none is steady, with a warning).

Runs during which other processes used more than a quarter of a core are
marked as disturbed (the machine's busy time from /proc/stat minus the run's
own CPU time).
llama.cpp's numbers are given twice: wall-clock through the node binding
(what the binding costs, ~13 ms/token at 2 threads per reference-facts.md) and
llama.cpp's own llama_perf counters (its compute alone).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("LMC_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
import gguf_edit  # noqa: E402

TIMING = re.compile(r"prompt: (\d+) tokens in ([\d.]+) ms .*generated: (\d+) tokens in ([\d.]+) ms")


def cpu_busy():
    """(busy jiffies of the whole machine, all jiffies) from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def measured_run(args):
    """Runs args under GNU time; returns (process, peak RSS MiB, cores kept
    busy by other processes meanwhile: the machine's busy time from
    /proc/stat minus the run's own CPU time, over the run's wall time)."""
    busy0, total0 = cpu_busy()
    t0 = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *args], capture_output=True)
    wall = time.monotonic() - t0
    busy1, total1 = cpu_busy()
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{proc.stderr.decode(errors='replace')}")
    rss_kb, user, system = proc.stderr.decode().strip().splitlines()[-1].split()
    hz = os.sysconf("SC_CLK_TCK")
    foreign = ((busy1 - busy0) / hz - float(user) - float(system)) / max(wall, 1e-9)
    return proc, int(rss_kb) / 1024, max(0.0, foreign)


def bytes_per_token(model_path, position, kv_bytes):
    """(weight bytes, KV-cache bytes) one decoded token reads: every tensor
    but the embedding table (one row of it), experts in proportion to the
    experts used per token; the cache at `kv_bytes` per element."""
    g = gguf_edit.GGUF(model_path)
    arch = g.metadata["general.architecture"].value
    meta = lambda k: g.metadata[f"{arch}.{k}"].value
    has = lambda k: f"{arch}.{k}" in g.metadata
    used = meta("expert_used_count") / meta("expert_count") if has("expert_count") else 1.0
    sizes = {t.name: len(t.data) * (used if "_exps." in t.name else 1.0) for t in g.tensors}
    tied = "output.weight" not in sizes
    embd = g.tensor("token_embd.weight")
    total = sum(sizes.values())
    if not tied:
        total -= sizes["token_embd.weight"]
    total += len(embd.data) // embd.ne[1]
    layers, heads = meta("block_count"), meta("attention.head_count")
    kv_heads = meta("attention.head_count_kv") if has("attention.head_count_kv") else heads
    head_dim = meta("attention.key_length") if has("attention.key_length") \
        else meta("embedding_length") // heads
    window = meta("attention.sliding_window") if has("attention.sliding_window") else 0
    pattern = meta("attention.sliding_window_pattern") if has("attention.sliding_window_pattern") \
        else 2
    positions = sum(min(position, window) if window and il % pattern < pattern - 1 else position
                    for il in range(layers))
    # Keys and values; MLA caches one latent entry (kv_lora + rope) instead.
    streams = 1 if has("attention.key_length_mla") else 2
    kv = streams * kv_heads * head_dim * kv_bytes * positions
    return total, kv


def lmc_run(exe, prompt, gen, threads):
    # The context llama_bench.mjs gives llama.cpp, so long prompts fit both.
    # The ids go through a file: a long prompt exceeds Linux's 128 KiB per argument.
    with tempfile.NamedTemporaryFile("w", suffix=".ids") as ids:
        ids.write(",".join(map(str, prompt)))
        ids.flush()
        args = [exe, "--tokens", "@" + ids.name, "-n", str(gen), "--temp", "0", "--ignore-eos",
                "--ids", "-t", str(threads), "--ctx", str(len(prompt) + gen + 16)]
        proc, rss, load = measured_run(args)
    m = TIMING.search(proc.stderr.decode())
    if not m:
        raise SystemExit("no timing line from " + exe)
    n_prompt, prompt_ms, n_gen, gen_ms = int(m[1]), float(m[2]), int(m[3]), float(m[4])
    return {"prefill": n_prompt / prompt_ms * 1e3, "decode": n_gen / gen_ms * 1e3,
            "ttft_ms": prompt_ms + gen_ms / max(n_gen, 1), "rss": rss, "load": load}


def llama_run(model, prompt_len, gen, threads):
    args = ["node", os.path.join(ROOT, "test", "reference", "llama_bench.mjs"), "--model", model,
            "--threads", str(threads), "--prompt", str(prompt_len), "--gen", str(gen)]
    proc, rss, load = measured_run(args)
    r = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    decoded = gen - 1  # the first token comes with the prompt
    return {"prefill": prompt_len / r["prompt_ms"] * 1e3,
            "decode": decoded / r["decode_ms"] * 1e3,
            "ttft_ms": r["ttft_ms"], "rss": rss,
            "prefill_own": prompt_len / r["llama_prompt_ms"] * 1e3 if r["llama_prompt_ms"] else None,
            "decode_own": r["llama_eval_tokens"] / r["llama_eval_ms"] * 1e3 if r["llama_eval_ms"] else None,
            "load": load}


def read_bandwidth(threads):
    """lmc-bandwidth's median GB/s at `threads` threads."""
    out = subprocess.run([os.path.join(BUILD, "bin", "lmc-bandwidth"), "--threads", str(threads)],
                         capture_output=True, check=True).stdout
    return json.loads(out)["median_gbs"]


def median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def steady_median(rows, key):
    """The median over the runs that met a steady bandwidth (all, if none)."""
    return median([r for r in rows if r["bandwidth_steady"]] or rows, key)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--kv-type", choices=("f16", "f32"), default="f16",
                    help="the KV cache lmc stores (default f16, as llama.cpp's default)")
    ap.add_argument("--prefill-activations", choices=("int8", "f32"), default="int8",
                    help="lmc's prefill activations before quantized products (default int8, "
                         "as llama.cpp rounds them)")
    ap.add_argument("--decode-activations", choices=("int8", "f32"), default="int8",
                    help="lmc's decode activations before Q4_0/Q4_K/Q6_K products (default "
                         "int8, as llama.cpp rounds them)")
    ap.add_argument("--exe", help="an executable lmc compiled from MODEL (default: compile now)")
    ap.add_argument("--skip-llama", action="store_true")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()

    rows = []
    info = {}
    exe = args.exe
    if not exe:
        out_dir = tempfile.mkdtemp(prefix="lmc-bench-")
        exe = os.path.join(out_dir, "model")
        t0 = time.monotonic()
        subprocess.run([os.path.join(BUILD, "bin", "lmc"), "compile", args.model, "-o", exe,
                        "--kv-type", args.kv_type,
                        "--prefill-activations", args.prefill_activations,
                        "--decode-activations", args.decode_activations], check=True)
        info["prefill_activations"] = args.prefill_activations
        info["decode_activations"] = args.decode_activations
        info["compile_s"] = time.monotonic() - t0
    info["exe_mb"] = os.path.getsize(exe) / 2**20
    # What the executable stores (an --exe may have been compiled either way).
    dtype = json.loads(subprocess.run([exe, "info"], capture_output=True,
                                      check=True).stdout)["cache"]["dtype"]
    info["kv_type"] = dtype
    weights, kv = bytes_per_token(args.model, args.prompt + args.gen // 2,
                                  2 if dtype == "f16" else 4)
    info["bytes_per_token_mb"] = (weights + kv) / 1e6

    vocab_limit = 100000
    prompt = [(i * 7919 + 13) % vocab_limit for i in range(args.prompt)]
    lmc_rows, llama_rows = [], []
    bandwidths = [read_bandwidth(args.threads)]

    def bracketed(row, *fractions):
        """Adds the run's bandwidth (the readings either side of it) and its
        decode speeds as fractions of that roofline."""
        bandwidths.append(read_bandwidth(args.threads))
        before, after = bandwidths[-2:]
        row["bandwidth_gbs"] = (before + after) / 2
        row["bandwidth_steady"] = max(before, after) <= 1.2 * min(before, after)
        roofline = row["bandwidth_gbs"] * 1e9 / (weights + kv)
        for key, fraction in fractions:
            row[fraction] = row[key] / roofline if row.get(key) else None
        return row

    for _ in range(args.repeats):
        lmc_rows.append(bracketed(lmc_run(exe, prompt, args.gen, args.threads),
                                  ("decode", "roofline_fraction")))
        if not args.skip_llama:
            llama_rows.append(bracketed(llama_run(args.model, args.prompt, args.gen, args.threads),
                                        ("decode", "roofline_fraction"),
                                        ("decode_own", "roofline_fraction_own")))
    info["bandwidth_gbs"] = bandwidths
    runs = lmc_rows + llama_rows
    steady = [r for r in runs if r["bandwidth_steady"]]
    bw = statistics.median(r["bandwidth_gbs"] for r in (steady or runs))
    roofline = bw * 1e9 / (weights + kv)

    def fmt(v, f="{:.1f}"):
        return "—" if v is None else f.format(v)

    fractions = ("roofline_fraction", "roofline_fraction_own")
    lmc = {k: (steady_median if k in fractions else median)(lmc_rows, k)
           for k in ("prefill", "decode", "ttft_ms", "rss", "load", "roofline_fraction")}
    ll = {k: (steady_median if k in fractions else median)(llama_rows, k)
          for k in ("prefill", "decode", "ttft_ms", "rss", "load", "prefill_own", "decode_own",
                    "roofline_fraction", "roofline_fraction_own")} if llama_rows else {}
    ratio = lambda a, b: None if not a or not b else a / b
    lines = [
        f"model {os.path.basename(args.model)}, {args.threads} threads, prompt {args.prompt}, "
        f"generate {args.gen}, median of {args.repeats}; lmc KV cache {dtype}"
        + (f", prefill / decode activations {info['prefill_activations']} / "
           f"{info['decode_activations']}" if "prefill_activations" in info else ""),
        f"read bandwidth {bw:.1f} GB/s (median over the {len(steady or runs)} runs "
        f"{'between steady readings' if steady else '(none steady)'}; "
        f"readings {min(bandwidths):.1f}-{max(bandwidths):.1f}); "
        f"{info['bytes_per_token_mb']:.1f} MB read per "
        f"decoded token; roofline {roofline:.1f} tok/s"
        + (f"; compile {info['compile_s']:.1f} s" if "compile_s" in info else "")
        + f"; executable {info['exe_mb']:.1f} MiB",
        "",
        "| metric | lmc | llama.cpp (binding) | llama.cpp (own counters) | lmc / llama.cpp |",
        "|---|---|---|---|---|",
        f"| prefill tok/s | {fmt(lmc['prefill'])} | {fmt(ll.get('prefill'))} | "
        f"{fmt(ll.get('prefill_own'))} | {fmt(ratio(lmc['prefill'], ll.get('prefill_own')), '{:.2f}x')} |",
        f"| decode tok/s | {fmt(lmc['decode'])} | {fmt(ll.get('decode'))} | "
        f"{fmt(ll.get('decode_own'))} | {fmt(ratio(lmc['decode'], ll.get('decode_own')), '{:.2f}x')} |",
        f"| decode, fraction of roofline | {fmt(lmc['roofline_fraction'], '{:.0%}')} | "
        f"{fmt(ll.get('roofline_fraction'), '{:.0%}')} | "
        f"{fmt(ll.get('roofline_fraction_own'), '{:.0%}')} | |",
        f"| time to first token ms | {fmt(lmc['ttft_ms'], '{:.0f}')} | {fmt(ll.get('ttft_ms'), '{:.0f}')} | | |",
        f"| peak RSS MiB | {fmt(lmc['rss'], '{:.0f}')} | {fmt(ll.get('rss'), '{:.0f}')} | | |",
        f"| other load, cores (max) | {fmt(max(r['load'] for r in lmc_rows), '{:.2f}')} | "
        f"{fmt(max((r['load'] for r in llama_rows), default=None), '{:.2f}')} | | |",
    ]
    disturbed = [r for r in runs if r["load"] > 0.25]
    if disturbed:
        lines.append("")
        lines.append(f"WARNING: {len(disturbed)} of {len(runs)} runs "
                     "disturbed by other load (> 0.25 cores); rerun on an idle machine")
    unsteady = len(runs) - len(steady)
    if unsteady:
        lines.append("")
        lines.append(f"{'WARNING: ' if not steady else ''}{unsteady} of {len(runs)} runs met a "
                     "change of bandwidth (readings before and after differ > 20 %): "
                     + ("left out of the roofline fractions" if steady else
                        "no run was steady, the fractions are unreliable"))
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "lmc": lmc_rows, "llama": llama_rows, "roofline": roofline}, f,
                      indent=1)


if __name__ == "__main__":
    main()
