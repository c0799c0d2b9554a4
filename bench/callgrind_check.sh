#!/usr/bin/env bash
# Fan-out instruction-count regression check.
#
#   bench/callgrind_check.sh [--update] [build-dir]     (build-dir default: build)
#
# Runs bench/fanout_callgrind (1000 write-queue subscribers on one channel,
# 200 messages fanned out to all of them) under valgrind --tool=callgrind and
# computes
#
#   instructions per delivery = (Ir(messages=200) - Ir(messages=0)) / deliveries
#
# Counting is restricted to the publish/drain loop with
# --toggle-collect=RunFanOutWorkload, and the messages=0 run is subtracted on
# top, so process start-up, subscription setup and teardown never enter the
# figure. Instruction counts do not depend on machine load, so the number is
# identical from run to run on the same binary.
#
# Exits 1 when the figure is more than 10% above the committed baseline in
# bench/callgrind_baseline.txt (CALLGRIND_TOLERANCE_PCT overrides the 10), 0
# otherwise, 2 on a usage or setup problem. --update measures and rewrites the
# baseline file instead of checking (review and commit it with the change that
# moved the number).
#
# Build type matters: the baseline is taken from a Release build (-O3, as the
# server ships), and a Debug or RelWithDebInfo build executes a very different
# number of instructions. The script therefore refuses a build dir whose
# CMAKE_BUILD_TYPE is not Release. It (re)builds the fanout_callgrind target in
# that dir itself (`cmake --build <dir> --target fanout_callgrind`, a no-op when
# up to date), so the dir must be configured with SSEBRIDGE_BENCH=ON (the
# default). The count also depends on the compiler, glibc and the CPU features
# glibc picks its string functions by: a baseline belongs to one CI image, so
# re-run with --update when that image changes.
#
# Requires valgrind (Debian: apt-get install valgrind, or scripts/deps.sh --test);
# installs nothing itself. Takes about 10 seconds.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly BASELINE_FILE="$REPO_ROOT/bench/callgrind_baseline.txt"
readonly MESSAGES=200
readonly SUBSCRIBERS=1000
readonly TOLERANCE_PCT="${CALLGRIND_TOLERANCE_PCT:-10}"

die() {
  echo "callgrind_check: $*" >&2
  exit 2
}

update=0
build_arg=""
for arg in "$@"; do
  case "$arg" in
    --update) update=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    -*) die "unknown option '$arg' (see --help)" ;;
    *) [[ -z "$build_arg" ]] || die "more than one build dir given"; build_arg="$arg" ;;
  esac
done
build_arg="${build_arg:-build}"

# A relative build dir is taken from the current directory, else from the repo root.
if [[ -d "$build_arg" ]]; then
  build_dir="$(cd "$build_arg" && pwd)"
elif [[ "$build_arg" != /* && -d "$REPO_ROOT/$build_arg" ]]; then
  build_dir="$REPO_ROOT/$build_arg"
else
  die "build dir '$build_arg' does not exist; configure it first, e.g.
  cmake -S $REPO_ROOT -B $build_arg -DCMAKE_BUILD_TYPE=Release"
fi

command -v valgrind >/dev/null 2>&1 ||
  die "valgrind is not installed (Debian: apt-get install valgrind, or scripts/deps.sh --test)"

[[ -f "$build_dir/CMakeCache.txt" ]] || die "$build_dir is not a configured CMake build dir"
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")"
[[ "$build_type" == "Release" ]] ||
  die "$build_dir has CMAKE_BUILD_TYPE='$build_type'; the baseline is for a Release build
  (cmake -S $REPO_ROOT -B <dir> -DCMAKE_BUILD_TYPE=Release -DSSEBRIDGE_BENCH=ON)"
grep -q '^SSEBRIDGE_SANITIZE:BOOL=ON' "$build_dir/CMakeCache.txt" &&
  die "$build_dir is a sanitizer build; use a plain Release build dir"

if ! build_log="$(cmake --build "$build_dir" --target fanout_callgrind 2>&1)"; then
  echo "$build_log" | tail -20 >&2
  die "could not build fanout_callgrind in $build_dir (is it configured with -DSSEBRIDGE_BENCH=ON?)"
fi
binary="$build_dir/bench/fanout_callgrind"
[[ -x "$binary" ]] || die "$binary missing after the build"

work="$(mktemp -d "${TMPDIR:-/tmp}/callgrind_check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Prints "<Ir> <deliveries>" for one run with the given message count.
measure() {
  local messages="$1"
  local out="$work/callgrind.$messages.out"
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=RunFanOutWorkload \
      "$binary" "$messages" "$SUBSCRIBERS" >"$work/stdout.$messages" 2>"$work/stderr.$messages"; then
    cat "$work/stderr.$messages" >&2
    die "fanout_callgrind $messages $SUBSCRIBERS failed under valgrind"
  fi
  local ir deliveries
  # "totals:" (or older "summary:") holds the event counts; Ir is the first.
  ir="$(awk '/^(totals|summary):/ { print $2; exit }' "$out")"
  deliveries="$(sed -n 's/.*deliveries=\([0-9]*\).*/\1/p' "$work/stdout.$messages")"
  [[ "$ir" =~ ^[0-9]+$ ]] || die "no instruction total in $out"
  [[ "$deliveries" =~ ^[0-9]+$ ]] || die "fanout_callgrind printed no delivery count"
  echo "$ir $deliveries"
}

# measure runs in a subshell: pass its failure (already reported) on as status 2.
setup_result="$(measure 0)" || exit 2
run_result="$(measure "$MESSAGES")" || exit 2
read -r ir_setup _ <<<"$setup_result"
read -r ir_total deliveries <<<"$run_result"
((deliveries > 0)) || die "no deliveries"
# Fixed-point arithmetic in awk: two decimals are plenty at ~10^2-10^3 per delivery.
current="$(awk -v t="$ir_total" -v s="$ir_setup" -v d="$deliveries" 'BEGIN { printf "%.2f", (t - s) / d }')"

echo "fan-out: $SUBSCRIBERS subscribers x $MESSAGES messages = $deliveries deliveries ($build_dir, $build_type)"
echo "Ir counted: $ir_total with messages, $ir_setup without -> $current instructions per delivery"

if ((update)); then
  cat >"$BASELINE_FILE" <<EOF
# Instructions per delivery of the fan-out hot path, checked by bench/callgrind_check.sh.
# Produced by \`bench/callgrind_check.sh --update <Release build dir>\`: valgrind --tool=callgrind
# --toggle-collect=RunFanOutWorkload on bench/fanout_callgrind ($SUBSCRIBERS write-queue subscribers,
# $MESSAGES messages), (Ir - Ir of a 0-message run) / deliveries.
# Measured with $(c++ --version 2>/dev/null | head -1 || echo "unknown compiler"), $(valgrind --version), on $(uname -m).
instructions_per_delivery $current
EOF
  echo "baseline written to ${BASELINE_FILE#"$REPO_ROOT"/}"
  exit 0
fi

[[ -f "$BASELINE_FILE" ]] || die "no baseline at $BASELINE_FILE; create it with --update"
baseline="$(awk '$1 == "instructions_per_delivery" { print $2; exit }' "$BASELINE_FILE")"
[[ "$baseline" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "no 'instructions_per_delivery <n>' line in $BASELINE_FILE"

ratio="$(awk -v c="$current" -v b="$baseline" 'BEGIN { printf "%.3f", c / b }')"
limit="$(awk -v b="$baseline" -v p="$TOLERANCE_PCT" 'BEGIN { printf "%.2f", b * (1 + p / 100) }')"
printf '\n%-30s %12s\n' "instructions per delivery" "value"
printf '%-30s %12s\n' "baseline" "$baseline"
printf '%-30s %12s\n' "current" "$current"
printf '%-30s %12s\n' "ratio (current / baseline)" "$ratio"
printf '%-30s %12s\n' "limit (+${TOLERANCE_PCT}%)" "$limit"
echo

if awk -v c="$current" -v l="$limit" 'BEGIN { exit !(c > l) }'; then
  echo "FAIL: fan-out costs $current instructions per delivery, more than ${TOLERANCE_PCT}% over the baseline $baseline."
  echo "      If the increase is intended, run bench/callgrind_check.sh --update and commit the new baseline."
  exit 1
fi
if awk -v r="$ratio" -v p="$TOLERANCE_PCT" 'BEGIN { exit !(r < 1 - p / 100) }'; then
  echo "PASS (much cheaper than the baseline: consider bench/callgrind_check.sh --update to lock the gain in)"
else
  echo "PASS"
fi
exit 0
