#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
#   1. Release build: unit, integration (real redis-server, nginx), and
#      WHATWG EventSource framing tests, via ctest;
#   2. the same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build;
#   3. libFuzzer runs of the HTTP and message parsers (20 s each, clang);
#   4. bench/chaos.sh: 200 streams, the bridge's Redis subscriber killed 3 times,
#      no loss/duplicate/reordering, on the sanitizer build;
#   5. the fan-out instruction-count regression check (callgrind);
#   6. bench/compare.sh --quick: the Nchan comparison end to end at small sizes
#      (ssebridge must pass every loss/order/duplicate check under load).
# scripts/test.sh --quick skips steps 2 to 6.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

scripts/deps.sh --test
status=0

echo "== release build"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
ctest --test-dir build --output-on-failure -j2 --timeout 300 || status=1

if ((quick == 0)); then
  echo "== asan+ubsan build"
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSEBRIDGE_SANITIZE=ON -DSSEBRIDGE_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 --timeout 600 || status=1

  if command -v clang++ >/dev/null 2>&1; then
    echo "== fuzzing (libFuzzer, bounded)"
    CC=clang CXX=clang++ scripts/build.sh build-fuzz -DSSEBRIDGE_FUZZ=ON -DSSEBRIDGE_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo
    for target in http_parser_fuzz message_fuzz fetch_reply_fuzz; do
      corpus="$(mktemp -d)"
      cp test/fuzz/corpus/"${target%_fuzz}"/* "$corpus"/ 2>/dev/null || true
      build-fuzz/test/fuzz/$target -max_total_time=20 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" \
        2>&1 | tail -4 || status=1
      rm -rf "$corpus"
    done
  fi

  echo "== no loss while the Redis subscriber connection is killed (ASan build)"
  SSEBRIDGE_BIN=build-asan/ssebridge bench/chaos.sh --subscribers 200 --rate 100 --duration 12 --kills 3 || status=1

  if [[ -x bench/callgrind_check.sh ]]; then
    echo "== fan-out instruction-count check"
    bench/callgrind_check.sh build || status=1
  fi

  echo "== benchmark smoke run (bench/compare.sh --quick)"
  compare_log="$(mktemp)"
  bench/compare.sh --quick --require-ssebridge 2>"$compare_log" || { tail -n 60 "$compare_log"; status=1; }
  rm -f "$compare_log"
fi
exit $status
