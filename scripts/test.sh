#!/usr/bin/env bash
# Builds lmc and runs every test: unit (GoogleTest), lit (FileCheck) and
# end-to-end (against llama.cpp and the real tokenizers).
#   scripts/test.sh [ctest options...]     e.g. scripts/test.sh -L e2e
# Expects scripts/setup.sh to have run (the README's one-liner does both).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LMC_BUILD_DIR:-$root/build}"
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"
