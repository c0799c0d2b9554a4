#!/usr/bin/env bash
# Quick start: installs what building needs, builds only the server (no tests,
# no benchmarks), and runs it with the embedded broker on
# http://127.0.0.1:8080/ (demo page at /). Extra arguments go to ssebridge,
# e.g. scripts/run.sh --redis redis://127.0.0.1:6379 (a Redis you run).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
scripts/deps.sh
installed=$SECONDS
scripts/build.sh --target ssebridge build -DCMAKE_BUILD_TYPE=Release -DSSEBRIDGE_TESTS=OFF -DSSEBRIDGE_BENCH=OFF
echo "run: packages checked in $((installed - started)) s, built in $((SECONDS - installed)) s; starting build/ssebridge $*"
echo "run: open the 'demo page' address the bridge prints below; Ctrl-C stops it"
exec build/ssebridge "$@"
