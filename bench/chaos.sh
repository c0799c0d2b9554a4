#!/usr/bin/env bash
# No-loss under subscriber-connection kills (issue 3): ssebridge in Redis mode
# delivers a steady HTTP-published stream to N subscribers while the bridge's
# Redis subscriber connection is killed (CLIENT KILL TYPE pubsub) every few
# seconds. The load generator checks every delivery for loss, duplicates and
# order; the bridge must refill each outage from the history streams.
#
#   bench/chaos.sh [--subscribers N] [--rate R] [--duration S] [--kills K]
# SSEBRIDGE_BIN picks the binary (an ASan build works: build-asan/ssebridge).
# Exits non-zero on any loss, duplicate, reordering or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=500 rate=200 duration=18 kills=5
while (($#)); do
  case "$1" in
    --subscribers) subscribers="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --kills) kills="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bin="${SSEBRIDGE_BIN:-build/ssebridge}"
loadgen="${LOADGEN_BIN:-build/bench/ssebridge_loadgen}"
source bench/lib.sh
bench_setup chaos
start_private_redis
bridge_port="$("$loadgen" --mode free-port)"
"$bin" --listen "127.0.0.1:$bridge_port" --redis "redis://127.0.0.1:$redis_port" --log-level info \
  > "$work/bridge.log" 2>&1 &
bridge=$!
pids+=("$bridge")
for _ in $(seq 100); do grep -q "redis-subscriber: connected" "$work/bridge.log" 2>/dev/null && break; sleep 0.1; done

interval=$(( duration / (kills + 1) ))
( for _ in $(seq "$kills"); do sleep "$interval"; redis-cli -p "$redis_port" client kill type pubsub > /dev/null; done ) &
pids+=($!)
status=0
result="$("$loadgen" --mode latency --port "$bridge_port" --subscribers "$subscribers" --rate "$rate" \
  --duration "$duration" --quiet --server-pid "$bridge")" || status=1
kill -TERM "$bridge"
wait "$bridge" || status=1
field() { grep -o " $1=[^ ]*" <<<" $result" | head -1 | cut -d= -f2 || true; }
printf '| subscribers | messages/s | kills | expected | delivered | lost | duplicates | out of order | refills logged |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$subscribers" "$rate" "$kills" "$(field expected)" \
  "$(field delivered)" "$(field lost)" "$(field duplicates)" "$(field out_of_order)" \
  "$(grep -c 'refilled' "$work/bridge.log" || true)"
if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/bridge.log"; then
  echo "sanitizer report:"; grep -E -A20 "AddressSanitizer|LeakSanitizer|runtime error" "$work/bridge.log" | head -40
  status=1
fi
((status == 0)) && echo "PASS" || echo "FAIL"
exit $status
