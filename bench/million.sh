#!/usr/bin/env bash
# One machine, many concurrent EventSource streams, one broadcast reaching all
# of them (issue 14). Starts one redis-server and S ssebridge processes that
# share one port (--reuse-port, Redis mode, heartbeats on), opens N streams
# from the load generator's forked processes (each under the per-process
# open-file limit, source addresses spread over 127.0.0.2-251), publishes
# broadcasts one at a time (through Redis PUBLISH, the last through HTTP
# POST /publish), checks every event of every stream for loss, duplicates and
# order, and prints one table.
#
#   bench/million.sh [--streams N | --full] [--servers S] [--heartbeat SECONDS]
#                    [--broadcasts B] [--limit SECONDS] [--tune]
#
# Defaults: 20,000 streams over ceil(N / 18,000) servers (at least 2),
# --heartbeat 15 (the server's default), 2 broadcasts through Redis plus 1
# through HTTP. --full is 1,000,000 streams. --tune (root only) raises the
# kernel limits that a million loopback connections run into (listed in
# docs/performance.md) and puts the old values back on exit.
#
# The run stops itself: the load generator gets a hard timeout and a watchdog
# ends everything after --limit seconds (default 710). Every process it
# started is stopped by PID on exit. Exit status 0 when every stream was
# opened and got every broadcast exactly once and in order.
set -euo pipefail
cd "$(dirname "$0")/.."
streams=20000
servers=0
heartbeat=15
broadcasts=2
limit=710
tune=0
while (($#)); do
  case "$1" in
    --streams) streams="$2"; shift 2 ;;
    --full) streams=1000000; shift ;;
    --servers) servers="$2"; shift 2 ;;
    --heartbeat) heartbeat="$2"; shift 2 ;;
    --broadcasts) broadcasts="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --tune) tune=1; shift ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
bin="${SSEBRIDGE_BIN:-build/ssebridge}"
loadgen="${LOADGEN_BIN:-build/bench/ssebridge_loadgen}"
[[ -x "$bin" && -x "$loadgen" ]] || { echo "build first: cmake --build build (needs $bin and $loadgen)" >&2; exit 2; }
# SO_REUSEPORT spreads by hash, not evenly: 18,000 per process on average
# leaves room under the 20,000-descriptor limit for the unlucky ones.
((servers > 0)) || servers=$(((streams + 17999) / 18000))
((servers >= 2)) || servers=2
# Time budget, scaled from what this 2-vCPU machine needs at a million.
connect_timeout=$((streams / 2500 > 60 ? streams / 2500 : 60))
broadcast_timeout=$((streams / 16000 > 10 ? streams / 16000 : 10))
settle=$((streams >= 100000 ? 10 : 2))
# The load generator stops itself first, so that a run cut short still
# prints what it measured; the margin is for stopping the servers.
loadgen_timeout=$((limit >= 300 ? limit - 60 : limit * 4 / 5))

source bench/lib.sh
bench_setup million
tuned=()
restore_tuning() {
  for entry in "${tuned[@]}"; do sysctl -q -w "$entry" >/dev/null || echo "could not restore $entry" >&2; done
}
# Stops the run after --limit seconds whatever it is doing; the EXIT trap
# then stops every process by PID.
# The sleep is killed with the watchdog so that nothing holds the output open.
(
  sleep "$limit" > /dev/null 2>&1 &
  trap 'kill $! 2>/dev/null; exit 0' TERM
  wait $! && { echo "million.sh: --limit of $limit s reached, stopping" >&2; kill -TERM $$; }
) &
watchdog=$!
trap 'kill "$watchdog" 2>/dev/null || true; restore_tuning; bench_cleanup' EXIT
trap 'exit 3' TERM INT

if ((tune)); then
  ((EUID == 0)) || { echo "--tune needs root (it writes sysctls)" >&2; exit 2; }
  # key=value pairs; each old value is saved first and restored on exit.
  for setting in fs.file-max=4000000 net.core.netdev_max_backlog=65536 net.ipv4.tcp_max_syn_backlog=65536 \
                 "net.ipv4.tcp_mem=1048576 2097152 4194304"; do
    key="${setting%%=*}"
    tuned+=("$key=$(sysctl -n "$key" | tr '\t' ' ')")
    sysctl -q -w "$setting"
  done
fi

counter() {  # file field-name: a kernel counter from /proc/net/snmp or /proc/net/netstat
  awk -v name="$2" '$1 == prev_label { for (i = 2; i <= NF; i++) if (names[i] == name) print $i }
                    { prev_label = $1; for (i = 2; i <= NF; i++) names[i] = $i }' "$1" | head -1
}
retrans_before="$(counter /proc/net/snmp RetransSegs)"
overflows_before="$(counter /proc/net/netstat ListenOverflows)"

start_private_redis --maxclients 10000
port="$("$loadgen" --mode free-port)"
server_args=()
for i in $(seq "$servers"); do
  "$bin" --listen "127.0.0.1:$port" --reuse-port --redis "redis://127.0.0.1:$redis_port" --heartbeat "$heartbeat" \
    > "$work/server$i.log" 2>&1 &
  pids+=($!)
  server_args+=(--server-pid "$!")
done
for i in $(seq "$servers"); do
  for _ in $(seq 200); do grep -q "redis-subscriber: connected" "$work/server$i.log" && break; sleep 0.1; done
  grep -q "redis-subscriber: connected" "$work/server$i.log" || { echo "server $i did not start:" >&2; cat "$work/server$i.log" >&2; exit 1; }
done

# How unevenly SO_REUSEPORT spread the streams: each server's open
# descriptors, counted once the load generator has opened everything.
server_pids=("${pids[@]:1}")
(
  until grep -q "settling" "$work/loadgen.err" 2>/dev/null; do sleep 1; done
  for pid in "${server_pids[@]}"; do ls "/proc/$pid/fd" 2>/dev/null | wc -l; done | sort -n > "$work/spread"
) &
pids+=($!)
echo "million.sh: $streams streams, $servers servers on 127.0.0.1:$port, heartbeat ${heartbeat}s, limit ${limit}s" >&2
status=0
"$loadgen" --mode broadcast --port "$port" --subscribers "$streams" --channel-prefix million --source-ips 250 \
  --redis-port "$redis_port" --broadcasts "$broadcasts" --http-broadcasts 1 --settle "$settle" \
  --connect-timeout "$connect_timeout" --broadcast-timeout "$broadcast_timeout" --drain-timeout $((broadcast_timeout / 2)) --timeout "$loadgen_timeout" \
  "${server_args[@]}" > "$work/result" 2> >(tee "$work/loadgen.err" >&2) || status=$?
line="$(grep '^RESULT' "$work/result" || true)"
value() { grep -o " $1=[^ ]*" <<<"$line" | head -1 | cut -d= -f2 || true; }
number() { local v; v="$(value "$1")"; echo "${v:-0}"; }
retrans=$(($(counter /proc/net/snmp RetransSegs) - retrans_before))
overflows=$(($(counter /proc/net/netstat ListenOverflows) - overflows_before))

echo
echo "| figure | value |"
echo "|---|---|"
echo "| streams connected (target) | $(value connected) ($streams) over $servers ssebridge and $(value processes) load generator processes |"
echo "| time to connect | $(value connect_s) s |"
for k in $(seq $((broadcasts + 1))); do
  [[ -n "$(value "b${k}_via")" ]] || continue
  echo "| broadcast $k via $(value "b${k}_via"): received by | $(value "b${k}_received") streams, first / median / p99 / last $(value "b${k}_first_ms") / $(value "b${k}_p50_ms") / $(value "b${k}_p99_ms") / $(value "b${k}_last_ms") ms |"
  echo "| broadcast $k: CPU seconds | server $(value "b${k}_server_cpu_s"), load generator $(value "b${k}_loadgen_cpu_s"); whole machine busy $(value "b${k}_machine_busy_s") (softirq $(value "b${k}_machine_softirq_s")), idle $(value "b${k}_machine_idle_s"); peak TCP buffer memory $(value "b${k}_peak_tcp_mem_kb") KiB |"
done
echo "| events lost / duplicated / out of order | $(value lost) / $(value duplicates) / $(value out_of_order) (of $(value expected); $(value disconnects) streams dropped) |"
if [[ -s "$work/spread" ]]; then
  echo "| open descriptors per server process: fewest / most (hard limit) | $(head -1 "$work/spread") / $(tail -1 "$work/spread") ($(ulimit -Hn)) |"
fi
echo "| SSE comments received (stream preambles and heartbeats) | $(value heartbeats) |"
echo "| server RSS total / per stream | $(value server_rss_connected_kb) KiB / $(value server_rss_per_stream_kb) KiB |"
echo "| kernel slab (both ends) / per connection | +$(($(number kernel_slab_connected_kb) - $(number kernel_slab_before_kb))) KiB / $(value kernel_slab_per_connection_kb) KiB |"
echo "| TCP sockets / socket buffer memory when idle | $(value tcp_sockets_connected) / $(value tcp_mem_connected_kb) KiB |"
echo "| CPU seconds: server connect / server total / load generator | $(value server_cpu_connect_s) / $(value server_cpu_total_s) / $(value loadgen_cpu_s) |"
echo "| CPU while holding (heartbeats), cores: server / load generator | $(value server_cpu_idle_util) / $(value loadgen_cpu_idle_util) |"
echo "| TCP retransmissions / listen queue overflows | $retrans / $overflows |"

# Which limit stopped the run short of its target, from the evidence left.
if [[ "$(value connected)" != "$streams" ]]; then
  reason="unknown (see $work before it is removed: rerun with a --limit you can inspect)"
  if (($(number connect_timeouts) > 0)); then
    reason="time: $(number connect_timeouts) streams were still connecting when the connect timeout ($connect_timeout s) passed"
  elif grep -qi "too many open files\|EMFILE" "$work"/server*.log "$work/loadgen.err" 2>/dev/null; then
    reason="open files per process (ulimit -n)"
  elif grep -qi "ENFILE\|file table overflow" "$work"/server*.log "$work/loadgen.err" 2>/dev/null; then
    reason="fs.file-max"
  elif grep -qi "cannot assign requested address" "$work/loadgen.err" 2>/dev/null; then
    reason="ephemeral ports (net.ipv4.ip_local_port_range x source addresses)"
  elif grep -qi "max-connections\|503" "$work"/server*.log 2>/dev/null; then
    reason="a server's --max-connections (uneven SO_REUSEPORT spread: use more --servers)"
  elif [[ "$(value failure)" == *timeout* ]]; then
    reason="time: the connect timeout ($connect_timeout s) or --limit passed first"
  fi
  echo "| limit that stopped the ramp | $reason |"
fi
echo
if ((status == 0)); then
  echo "PASS: every stream received every broadcast exactly once, in order"
else
  echo "FAIL ($(value failure))"
fi
exit "$status"
