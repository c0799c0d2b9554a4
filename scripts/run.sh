#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs the bridge with the
# embedded broker on http://127.0.0.1:8080/ (demo page at /). Extra arguments
# go to ssebridge, e.g. scripts/run.sh --redis redis://127.0.0.1:6379
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
exec build/ssebridge "$@"
