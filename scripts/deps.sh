#!/usr/bin/env bash
# Installs what ssebridge needs on Debian 12, skipping what is already there.
#   scripts/deps.sh          build and run dependencies
#   scripts/deps.sh --test   plus what the test suite and benchmarks use
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ pkg-config libuv1-dev libhiredis-dev node-llhttp nlohmann-json3-dev
          libgtest-dev libgmock-dev redis-server)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(nginx valgrind libbenchmark-dev procps clang libclang-rt-14-dev)
  command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
  echo "deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  # The independent EventSource client used by the framing test (pinned by package-lock.json).
  if [[ ! -f test/node/node_modules/eventsource/package.json ]]; then
    (cd test/node && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
