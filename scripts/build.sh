#!/usr/bin/env bash
# Configures and builds ssebridge.
#   scripts/build.sh [--target TARGET] [build-dir] [extra cmake args...]
# Example: scripts/build.sh build-asan -DSSEBRIDGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
#          scripts/build.sh --target ssebridge build -DSSEBRIDGE_TESTS=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
target=()
if [[ "${1:-}" == "--target" ]]; then
  target=(--target "$2")
  shift 2
fi
build_dir="${1:-build}"
shift || true
cmake -S . -B "$build_dir" "$@" >/dev/null
cmake --build "$build_dir" "${target[@]}" -j"$(nproc)"
