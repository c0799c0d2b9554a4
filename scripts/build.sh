#!/usr/bin/env bash
# Configures and builds ssebridge.
#   scripts/build.sh [build-dir] [extra cmake args...]
# Example: scripts/build.sh build-asan -DSSEBRIDGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build}"
shift || true
cmake -S . -B "$build_dir" "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
