#!/usr/bin/env bash
# Installs what ssebridge needs on Debian 12, skipping what is already there.
# Every package a script of this project uses is named here, so a minimal
# Debian 12 (a debootstrap minbase or a `debian:12` image) is enough.
#   scripts/deps.sh              what building and running the bridge needs
#   scripts/deps.sh --test       plus what the quick test pass needs (scripts/test.sh --quick)
#   scripts/deps.sh --test-full  plus sanitizers' and fuzzers' compiler, valgrind,
#                                Google Benchmark and nginx's Nchan module (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

tier="${1:-}"
case "$tier" in
  ""|--test|--test-full) ;;
  *) echo "usage: scripts/deps.sh [--test|--test-full]" >&2; exit 2 ;;
esac

# Building: cmake only recommends make, and --no-install-recommends below does
# not bring recommendations, so the build tool and both compilers are named
# (gcc for llhttp's C sources, g++ for ours).
# libjwt-dev verifies tokens; libssl-dev (libcrypto) reads the type of a PEM
# public key, and its libssl serves the tls: listeners; libsystemd-dev: sd_notify for systemd's Type=notify readiness
# and watchdog.
packages=(cmake make gcc g++ pkg-config libuv1-dev libhiredis-dev node-llhttp nlohmann-json3-dev libjwt-dev libssl-dev
          libsystemd-dev)
if [[ "$tier" == --test || "$tier" == --test-full ]]; then
  # Unit and integration tests: GoogleTest, the real servers they start, ps/pgrep
  # for the harness, Node.js for the WHATWG EventSource framing test, for
  # the browser test Debian's Chromium (driven by playwright-core, which
  # downloads no browser of its own) and curl (the publisher cyclone-sse's
  # README shows), systemd for systemd-analyze, which checks the shipped unit,
  # and the openssl command, which makes the TLS tests' certificates and plays
  # s_client against the TLS listener, and redis-sentinel for the Sentinel
  # failover test.
  # The package tests (ctest -L package) build the .deb: dpkg-dev for
  # dpkg-shlibdeps, which computes Depends; file tells them the binary is
  # stripped. (lintian and man-db, which check the package and the manual
  # page, are in --test-full; without them those two checks are skipped.)
  packages+=(libgtest-dev libgmock-dev redis-server redis-sentinel nginx procps chromium curl systemd openssl dpkg-dev file)
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi
if [[ "$tier" == --test-full ]]; then
  # clang and its runtime for libFuzzer; valgrind for the callgrind check; the
  # benchmarks' Google Benchmark, taskset (util-linux) and the Nchan module
  # that bench/compare.sh measures against. lintian checks the .deb and
  # man-db renders the manual page in the package tests.
  packages+=(clang libclang-rt-14-dev valgrind libbenchmark-dev util-linux libnginx-mod-nchan lintian man-db)
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
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "$tier" == --test || "$tier" == --test-full ]]; then
  # The independent EventSource client used by the framing test, and
  # playwright-core and jQuery for the browser test (pinned by package-lock.json;
  # playwright-core stays at 1.61, the last release that supports the Node.js 18
  # Debian 12 ships).
  if [[ ! -f test/node/node_modules/eventsource/package.json || ! -f test/node/node_modules/playwright-core/package.json ||
        ! -f test/node/node_modules/jquery/package.json ]]; then
    (cd test/node && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
