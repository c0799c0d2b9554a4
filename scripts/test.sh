#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
#   1. install: Debian packages and the npm EventSource client (scripts/deps.sh);
#   2. Release build, then unit, integration (real redis-server, nginx),
#      WHATWG EventSource framing and headless Chromium tests, via ctest;
#   3. the same suite on an AddressSanitizer + UndefinedBehaviorSanitizer build
#      (without the browser test: it checks what Chromium receives, and the
#      server paths it drives are in the integration tests, which do run here);
#   4. bounded libFuzzer runs (8 s each, clang, ASan + UBSan) of every input parser:
#      HTTP requests, publish bodies, Redis messages and envelopes, fetch replies, config files;
#   5. bench/chaos.sh: 200 streams, the bridge's Redis subscriber killed 3 times,
#      no loss/duplicate/reordering, on the sanitizer build;
#   6. the fan-out instruction-count regression check (callgrind);
#   7. bench/compare.sh --quick: the Nchan comparison end to end at small sizes
#      (ssebridge must pass every loss/order/duplicate check under load).
# scripts/test.sh --quick runs only 1 and 2 (installing only what they need,
# building without the benchmarks). Each stage prints one line with its time;
# the last line is the total. Exit status 0 only if every stage passed.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

started=$SECONDS
stage_started=$SECONDS
status=0
summary=()

# stage_begin NAME / stage_end RESULT: one line per stage as it ends, with its
# own time and the time since the command started.
stage_begin() {
  stage_name="$1"
  stage_started=$SECONDS
  echo "== $stage_name"
}
stage_end() {
  local result="$1"
  local line
  line=$(printf '%-58s %-6s %5d s  (total %d s)' "$stage_name" "$result" $((SECONDS - stage_started)) \
         $((SECONDS - started)))
  echo "== $line"
  summary+=("$line")
  [[ "$result" == ok ]] || status=1
}
# run_stage NAME COMMAND...: the command's failure fails the stage, not the script.
run_stage() {
  stage_begin "$1"
  shift
  if "$@"; then stage_end ok; else stage_end FAILED; fi
}

if ((quick)); then
  run_stage "install (scripts/deps.sh --test)" scripts/deps.sh --test
  bench=OFF
else
  run_stage "install (scripts/deps.sh --test-full)" scripts/deps.sh --test-full
  bench=ON
fi
# Nothing below can work without the packages.
((status == 0)) || { echo "== install failed; stopping"; exit 1; }

run_stage "release build" scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DSSEBRIDGE_TESTS=ON -DSSEBRIDGE_BENCH=$bench
run_stage "unit, integration and framing tests (ctest, release)" \
  ctest --test-dir build --output-on-failure -j2 --timeout 300

if ((quick == 0)); then
  # -O1 -g1: what the sanitizers' authors recommend (reports keep file and
  # line), and under GCC a third of -O2 -g's compile time with ASan + UBSan
  # (27 s -> 10 s for one test file), which is most of this stage.
  run_stage "asan+ubsan build" scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DSSEBRIDGE_SANITIZE=ON -DSSEBRIDGE_TESTS=ON -DSSEBRIDGE_BENCH=OFF
  run_stage "unit, integration and framing tests (ctest, asan+ubsan)" \
    env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 --timeout 600 -LE browser

  fuzz_all() {
    CC=clang CXX=clang++ scripts/build.sh build-fuzz -DSSEBRIDGE_FUZZ=ON -DSSEBRIDGE_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" || return 1
    local failed=0 binary target corpus
    for binary in build-fuzz/test/fuzz/*_fuzz; do
      target="$(basename "$binary")"
      corpus="$(mktemp -d)"
      cp test/fuzz/corpus/"${target%_fuzz}"/* "$corpus"/ 2>/dev/null || true
      echo "-- $target"
      "$binary" -max_total_time=8 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" >"$corpus.log" 2>&1 ||
        { failed=1; tail -n 40 "$corpus.log"; }
      grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$corpus.log" || true
      rm -rf "$corpus" "$corpus.log"
    done
    return $failed
  }
  run_stage "fuzzers (libFuzzer, 8 s each, asan+ubsan)" fuzz_all

  run_stage "no loss while the Redis subscriber is killed (bench/chaos.sh, asan)" \
    env SSEBRIDGE_BIN=build-asan/ssebridge bench/chaos.sh --subscribers 200 --rate 100 --duration 12 --kills 3

  run_stage "fan-out instruction count (bench/callgrind_check.sh)" bench/callgrind_check.sh build

  compare_smoke() {
    local log
    log="$(mktemp)"
    bench/compare.sh --quick --require-ssebridge 2>"$log" || { tail -n 60 "$log"; rm -f "$log"; return 1; }
    rm -f "$log"
  }
  run_stage "benchmark smoke run (bench/compare.sh --quick)" compare_smoke
fi

echo "== summary"
for line in "${summary[@]}"; do echo "   $line"; done
if ((status == 0)); then
  echo "== all stages passed in $((SECONDS - started)) s"
else
  echo "== some stage FAILED (total $((SECONDS - started)) s)"
fi
exit $status
