#!/usr/bin/env bash
# The main job on a bundled default, from a fresh machine: installs what lmc
# needs, builds it, synthesizes a small Qwen3 model with the real Qwen3
# tokenizer (seeded random weights, Q8_0), compiles it to an executable and
# generates from a prompt.
#   scripts/demo.sh ["PROMPT"]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LMC_BUILD_DIR:-$root/build}"
out="$root/out"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
mkdir -p "$out"
"$build/bin/lmc-synth" -o "$out/qwen3-small.gguf" --tokenizer qwen3 --type q8_0 \
  --layers 4 --hidden 512 --heads 8 --kv-heads 4 --head-dim 64 --ffn 1536 --seed 1
"$build/bin/lmc" compile "$out/qwen3-small.gguf" -o "$out/qwen3-small"
"$out/qwen3-small" -p "${1:-The meaning of life is}" -n 32 --temp 0.7 --seed 42
