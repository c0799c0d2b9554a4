#!/usr/bin/env bash
# Connection-scale check (issue 4): P ssebridge processes sharing one Redis each
# hold N idle EventSource connections with heartbeats running, and one Redis
# PUBLISH (a broadcast) must reach every connection of every process.
#
#   bench/scale.sh [--processes P] [--connections N] [--hold SECONDS]
# Defaults: 4 processes x 19000 connections (the per-process open-file limit
# here is 20,000), held 45 s with --heartbeat 5.
# Prints a markdown table; exits 1 if any connection failed or missed a broadcast.
set -euo pipefail
cd "$(dirname "$0")/.."
processes=4
connections=19000
hold=45
broadcasts=3
while (($#)); do
  case "$1" in
    --processes) processes="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --hold) hold="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bin="${SSEBRIDGE_BIN:-build/ssebridge}"
loadgen="${LOADGEN_BIN:-build/bench/ssebridge_loadgen}"
[[ -x "$bin" && -x "$loadgen" ]] || { echo "build first: cmake --build build (needs $bin and $loadgen)" >&2; exit 2; }

source bench/lib.sh
bench_setup scale
start_private_redis --maxclients 1000

ports=()
server_pids=()
for i in $(seq "$processes"); do
  port="$("$loadgen" --mode free-port)"
  "$bin" --listen "127.0.0.1:$port" --redis "redis://127.0.0.1:$redis_port" --heartbeat 5 \
    --max-connections $((connections + 100)) > "$work/server$i.log" 2>&1 &
  pids+=($!)
  server_pids+=($!)
  ports+=("$port")
  for _ in $(seq 100); do grep -q "redis-subscriber: connected" "$work/server$i.log" && break; sleep 0.1; done
done

loadgen_pids=()
for i in $(seq 0 $((processes - 1))); do
  "$loadgen" --mode idle --port "${ports[$i]}" --subscribers "$connections" --channels 1 --channel-prefix broadcast \
    --duration "$hold" --server-pid "${server_pids[$i]}" --source-ips 8 --connect-timeout 120 \
    > "$work/loadgen$i.out" 2> "$work/loadgen$i.err" &
  loadgen_pids+=($!)
  pids+=($!)
done
# Wait until every load generator holds its connections, then broadcast.
deadline=$((SECONDS + 150))
while ((SECONDS < deadline)); do
  ready=0
  for i in $(seq 0 $((processes - 1))); do grep -q "holding" "$work/loadgen$i.err" 2>/dev/null && ready=$((ready + 1)); done
  ((ready == processes)) && break
  sleep 1
done
total_subscribers="$(redis-cli -p "$redis_port" pubsub numsub broadcast0 | tail -1)"
for n in $(seq "$broadcasts"); do
  # The load generator's payload shape with a run id of 0: counted as "foreign".
  redis-cli -p "$redis_port" publish broadcast0 "{\"seq\":$n,\"ts\":1,\"run\":0,\"pad\":\"\"}" > /dev/null
  sleep 1
done
status=0
printf '| process | connections held | heartbeats seen | broadcasts received | expected | RSS per connection (KiB) |\n|---|---|---|---|---|---|\n'
for i in $(seq 0 $((processes - 1))); do
  wait "${loadgen_pids[$i]}" || status=1
  line="$(grep '^RESULT' "$work/loadgen$i.out" || true)"
  value() { grep -o " $1=[^ ]*" <<<"$line" | head -1 | cut -d= -f2 || true; }
  held="$(value connected)"
  received="$(value foreign)"
  printf '| %d | %s | %s | %s | %d | %s |\n' "$((i + 1))" "${held:-?}" "$(value comments_during_hold)" "${received:-0}" \
    $((connections * broadcasts)) "$(value rss_per_conn_kb)"
  [[ "${received:-0}" == "$((connections * broadcasts))" ]] || status=1
done
echo
echo "Redis subscriber count seen by PUBSUB NUMSUB: $total_subscribers (one per process)"
((status == 0)) && echo "PASS: every connection of every process received every broadcast" || echo "FAIL"
exit $status
