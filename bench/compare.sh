#!/usr/bin/env bash
# Compares ssebridge with Nchan (nginx pub/sub module) on the same workloads
# and prints one markdown table.  See docs/performance.md for what each row
# means and for a recorded run.
#
# usage: bench/compare.sh [--quick] [--strict] [--require-ssebridge]
#   --quick              small smoke run (< 1 minute) suitable for CI
#   --strict             also exit non-zero when an Nchan or floor run fails its checks
#   --require-ssebridge  exit non-zero when the ssebridge binary is missing
# environment:
#   SSEBRIDGE_BIN  ssebridge binary (default: build/ssebridge under the repo root)
#   LOADGEN_BIN    prebuilt ssebridge_loadgen (default: built from bench/ by cmake;
#                  floor_server is taken from the same directory)
#   KEEP_LOGS      directory to copy every server log and loadgen output into
#
# Every server runs pinned to CPU 0 and the load generator to CPU 1.  All
# systems (Nchan with memory and Redis stores, ssebridge embedded and with
# Redis, and the kernel-floor reference server) run side by side on free
# loopback ports, from a temporary directory; only one is under load at a
# time.  Everything the script starts is remembered by PID and stopped on exit.

set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
STRICT=0
REQUIRE_SSEBRIDGE=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --strict) STRICT=1 ;;
    --require-ssebridge) REQUIRE_SSEBRIDGE=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

SSEBRIDGE_BIN="${SSEBRIDGE_BIN:-build/ssebridge}"
# A relative SSEBRIDGE_BIN is taken relative to the repository root so the
# script behaves the same from any working directory.
[[ "$SSEBRIDGE_BIN" = /* ]] || SSEBRIDGE_BIN="$REPO_ROOT/$SSEBRIDGE_BIN"

log() { echo "[compare $(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------------------
# Process bookkeeping: every background process is recorded so the EXIT trap
# can stop exactly those processes (never anything found by name).
# ---------------------------------------------------------------------------
STARTED_PIDS=()
WORKDIR="$(mktemp -d /tmp/ssebridge-compare.XXXXXX)"

stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local i
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED_PIDS[i]}"; done
  if [[ -n "${KEEP_LOGS:-}" ]]; then
    mkdir -p "$KEEP_LOGS" && cp -r "$WORKDIR"/. "$KEEP_LOGS"/ 2>/dev/null || true
  fi
  rm -rf "$WORKDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------
readonly NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so
install_missing_packages() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  [[ -f "$NCHAN_MODULE" ]] || missing+=(libnginx-mod-nchan)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}
install_missing_packages

if [[ -n "${LOADGEN_BIN:-}" ]]; then
  LOADGEN="$LOADGEN_BIN"
else
  # Built in its own directory under build/ so it never disturbs the main
  # build tree; cmake makes repeated runs incremental.
  loadgen_build="$REPO_ROOT/build/loadgen-standalone"
  log "building ssebridge_loadgen in $loadgen_build"
  cmake -S "$REPO_ROOT/bench" -B "$loadgen_build" -DCMAKE_BUILD_TYPE=Release >"$WORKDIR/cmake.log" 2>&1 ||
    { cat "$WORKDIR/cmake.log" >&2; exit 1; }
  cmake --build "$loadgen_build" >>"$WORKDIR/cmake.log" 2>&1 || { cat "$WORKDIR/cmake.log" >&2; exit 1; }
  LOADGEN="$loadgen_build/ssebridge_loadgen"
fi
# The kernel-floor reference (bench/floor_server.cc) is built next to the
# load generator.
FLOOR_BIN="$(dirname "$LOADGEN")/floor_server"

HAVE_SSEBRIDGE=0
if [[ -x "$SSEBRIDGE_BIN" ]]; then
  HAVE_SSEBRIDGE=1
else
  log "ssebridge binary not found at $SSEBRIDGE_BIN: its columns will read n/a"
  if ((REQUIRE_SSEBRIDGE)); then echo "compare.sh: --require-ssebridge given but $SSEBRIDGE_BIN is missing" >&2; exit 1; fi
fi

# Servers and load generator need more than the default 1024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---------------------------------------------------------------------------
# Workload sizes.  The full run stays well under 10 minutes; --quick is a
# smoke test of the whole pipeline in under a minute.
# ---------------------------------------------------------------------------
if ((QUICK)); then
  SUBSCRIBERS=100;  IDLE_CONNECTIONS=500;   IDLE_HOLD_S=1;  IDLE_SETTLE_S=0.5
  LATENCY_RATE=100; LATENCY_S=1;  ROUNDS=1
  CPU_RATE=200;     CPU_S=1;  CPU_HIGH_RATE=400
  TPUT_START=500;   TPUT_BUDGET_S=3;  TPUT_STEP_S=1
  PUBLISH_S=1;      SETTLE_S=0.5
else
  SUBSCRIBERS=1000; IDLE_CONNECTIONS=10000; IDLE_HOLD_S=5;  IDLE_SETTLE_S=2
  LATENCY_RATE=100; LATENCY_S=8;  ROUNDS=3
  CPU_RATE=250;     CPU_S=6;  CPU_HIGH_RATE=400
  TPUT_START=100;   TPUT_BUDGET_S=30; TPUT_STEP_S=2
  PUBLISH_S=3;      SETTLE_S=1
fi
readonly PAYLOAD_BYTES=64
# Row (e): 64 pipelined requests on each of 16 keep-alive connections.  With
# fewer in flight the load generator and the server take turns instead of
# working at the same time, and the figure measures that ping-pong rather
# than the server (both servers are then below full use of their core).
readonly PUBLISH_INFLIGHT=1024 PUBLISH_CONNS=16
# Reads are coalesced for the high-rate workloads: on loopback the kernel
# charges the receiver's TCP processing and wake-ups to the sending server,
# so a client that wakes for every single event would inflate the server's
# CPU figures and make the client itself the bottleneck.
readonly COALESCE_US=1000

free_port() { "$LOADGEN" --mode free-port; }

wait_for_port() {  # port pid timeout_s
  local port="$1" pid="$2" deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------
# Systems under test.  Each start_* sets SERVER_PIDS (what --server-pid
# samples), AUX_PIDS (its redis-server, sampled separately) and the load
# generator arguments; every process is also in STARTED_PIDS for the EXIT trap.
# ---------------------------------------------------------------------------
SERVER_PIDS=(); AUX_PIDS=()
SUB_ARGS=(); PUB_ARGS=(); FANOUT_PUB_ARGS=(); PORT=0

start_redis() {
  REDIS_PORT="$(free_port)"
  taskset -c 0 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORKDIR" --logfile "$WORKDIR/redis-$REDIS_PORT.log" &
  local pid=$!
  STARTED_PIDS+=("$pid"); AUX_PIDS=("$pid")
  wait_for_port "$REDIS_PORT" "$pid" 10 || { log "redis-server did not start"; return 1; }
}

start_nchan() {  # memory|redis
  local store="$1" dir="$WORKDIR/nchan-$1" redis_upstream="" redis_pass=""
  mkdir -p "$dir"
  PORT="$(free_port)"
  if [[ "$store" == redis ]]; then
    start_redis || return 1
    redis_upstream="upstream bench_redis { nchan_redis_server redis://127.0.0.1:$REDIS_PORT; }"
    redis_pass="nchan_redis_pass bench_redis;"
  fi
  cat >"$dir/nginx.conf" <<EOF
load_module $NCHAN_MODULE;
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  # nginx closes a keep-alive connection after 1000 requests by default,
  # which would drop pipelined publishes in flight.
  keepalive_requests 1000000000;
  $redis_upstream
  server {
    listen 127.0.0.1:$PORT backlog=4096;
    location ~ /sub/(\w+)$ {
      nchan_subscriber eventsource;
      nchan_channel_id \$1;
      # New subscribers wait for new messages instead of replaying the buffer.
      nchan_subscriber_first_message newest;
      $redis_pass
    }
    location = /pub {
      nchan_publisher;
      nchan_channel_id \$arg_id;
      nchan_message_buffer_length 10;
      $redis_pass
    }
  }
}
EOF
  taskset -c 0 nginx -c "$dir/nginx.conf" -p "$dir" 2>>"$dir/stderr.log" &
  local master=$!
  STARTED_PIDS+=("$master")
  wait_for_port "$PORT" "$master" 10 || { log "nginx did not start:"; cat "$dir/error.log" "$dir/stderr.log" >&2; return 1; }
  local worker
  worker="$(pgrep -P "$master" | head -n1)"
  SERVER_PIDS=("$master" "$worker")
  SUB_ARGS=(--port "$PORT" --sub-path '/sub/{channel}')
  PUB_ARGS=(--pub-path '/pub?id={channel}' --body raw)
  FANOUT_PUB_ARGS=("${PUB_ARGS[@]}")
}

start_ssebridge() {  # embedded|redis
  local mode="$1" extra=()
  PORT="$(free_port)"
  if [[ "$mode" == redis ]]; then
    start_redis || return 1
    extra=(--redis "redis://127.0.0.1:$REDIS_PORT")
  fi
  local log_file="$WORKDIR/ssebridge-$mode.log"
  taskset -c 0 "$SSEBRIDGE_BIN" --listen "127.0.0.1:$PORT" --max-connections 19000 --log-level warn \
    "${extra[@]}" 2>"$log_file" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  wait_for_port "$PORT" "$pid" 10 || { log "ssebridge did not start:"; cat "$log_file" >&2; return 1; }
  SERVER_PIDS=("$pid")
  SUB_ARGS=(--port "$PORT" --sub-path '/events/{channel}')
  PUB_ARGS=(--pub-path /publish --body json)
  if [[ "$mode" == redis ]]; then
    # In Redis mode messages normally enter through Redis itself.
    FANOUT_PUB_ARGS=(--publish-via redis --redis-port "$REDIS_PORT")
  else
    FANOUT_PUB_ARGS=("${PUB_ARGS[@]}")
  fi
}

start_floor() {  # the least any relay must do: PSUBSCRIBE * and one write per socket
  PORT="$(free_port)"
  start_redis || return 1
  taskset -c 0 "$FLOOR_BIN" --port "$PORT" --redis-port "$REDIS_PORT" 2>"$WORKDIR/floor.log" &
  local pid=$!
  STARTED_PIDS+=("$pid")
  wait_for_port "$PORT" "$pid" 10 || { log "floor_server did not start:"; cat "$WORKDIR/floor.log" >&2; return 1; }
  SERVER_PIDS=("$pid")
  SUB_ARGS=(--port "$PORT" --sub-path '/events/{channel}')
  PUB_ARGS=()
  FANOUT_PUB_ARGS=(--publish-via redis --redis-port "$REDIS_PORT")
}

# ---------------------------------------------------------------------------
# Running the load generator and collecting its RESULT lines.
# ---------------------------------------------------------------------------
declare -A RESULT       # "<system>/<workload>" -> RESULT line
declare -A FAILURES     # "<system>" -> comma-separated failed workloads

run_workload() {  # system workload loadgen-args...
  local system="$1" workload="$2"
  shift 2
  local pid_args=() pid
  for pid in "${SERVER_PIDS[@]}"; do pid_args+=(--server-pid "$pid"); done
  for pid in "${AUX_PIDS[@]}"; do pid_args+=(--aux-pid "$pid"); done
  local out="$WORKDIR/$system-$workload.out" rc=0
  log "$system: $workload"
  # `timeout` is a second guard on top of the loadgen's own --timeout.
  timeout --signal=KILL 300 taskset -c 1 "$LOADGEN" --label "$system/$workload" --payload-bytes "$PAYLOAD_BYTES" \
    "${pid_args[@]}" "$@" >"$out" 2>"$out.err" || rc=$?
  RESULT["$system/$workload"]="$(grep '^RESULT ' "$out" | tail -n1 || true)"
  # The throughput search's steps are the evidence behind row (d).
  grep -E 'step [0-9]+:|stopping the search' "$out.err" >&2 || true
  if ((rc != 0)); then
    FAILURES["$system"]+="${FAILURES[$system]:+,}$workload"
    log "$system: $workload FAILED (exit $rc):"
    tail -n 40 "$out.err" >&2
  fi
}

# Each system's processes and load generator arguments, kept while all
# systems run side by side (see the interleaved rounds below).
declare -A SYS_SERVER_PIDS SYS_AUX_PIDS SYS_SUB_ARGS SYS_PUB_ARGS SYS_FANOUT_ARGS SYS_PORT
SYSTEMS=()

start_system() {  # system start-function [its argument]
  local system="$1"
  shift
  SERVER_PIDS=(); AUX_PIDS=(); SUB_ARGS=(); PUB_ARGS=(); FANOUT_PUB_ARGS=()
  if ! "$@"; then
    FAILURES["$system"]+="${FAILURES[$system]:+,}startup"
    return 0
  fi
  SYS_SERVER_PIDS["$system"]="${SERVER_PIDS[*]}"
  SYS_AUX_PIDS["$system"]="${AUX_PIDS[*]}"
  SYS_SUB_ARGS["$system"]="${SUB_ARGS[*]}"
  SYS_PUB_ARGS["$system"]="${PUB_ARGS[*]}"
  SYS_FANOUT_ARGS["$system"]="${FANOUT_PUB_ARGS[*]}"
  SYS_PORT["$system"]="$PORT"
  SYSTEMS+=("$system")
}

# Makes a started system current (no argument contains spaces).
use_system() {  # system
  read -ra SERVER_PIDS <<<"${SYS_SERVER_PIDS[$1]}"
  read -ra AUX_PIDS <<<"${SYS_AUX_PIDS[$1]}"
  read -ra SUB_ARGS <<<"${SYS_SUB_ARGS[$1]}"
  read -ra PUB_ARGS <<<"${SYS_PUB_ARGS[$1]}"
  read -ra FANOUT_PUB_ARGS <<<"${SYS_FANOUT_ARGS[$1]}"
  PORT="${SYS_PORT[$1]}"
}

run_fixed_workloads() {  # system
  local system="$1"
  run_workload "$system" idle --mode idle "${SUB_ARGS[@]}" --subscribers "$IDLE_CONNECTIONS" \
    --duration "$IDLE_HOLD_S" --settle "$IDLE_SETTLE_S" --connect-concurrency 256
  run_workload "$system" cpu --mode latency "${SUB_ARGS[@]}" "${FANOUT_PUB_ARGS[@]}" \
    --subscribers "$SUBSCRIBERS" --rate "$CPU_RATE" --duration "$CPU_S" --settle "$SETTLE_S" --coalesce-us "$COALESCE_US"
  # The same at a rate where a fan-out (1000 writes) takes about as long as
  # the gap between messages: what per-turn batching does as load rises.
  run_workload "$system" cpu-high --mode latency "${SUB_ARGS[@]}" "${FANOUT_PUB_ARGS[@]}" \
    --subscribers "$SUBSCRIBERS" --rate "$CPU_HIGH_RATE" --duration "$CPU_S" --settle "$SETTLE_S" --coalesce-us "$COALESCE_US"
  run_workload "$system" throughput --mode throughput "${SUB_ARGS[@]}" "${FANOUT_PUB_ARGS[@]}" \
    --subscribers "$SUBSCRIBERS" --rate "$TPUT_START" --duration "$TPUT_BUDGET_S" --settle "$SETTLE_S" \
    --step-duration "$TPUT_STEP_S" --max-lag 1 --coalesce-us "$COALESCE_US" --inflight 256
}

run_round() {  # system round
  local system="$1" round="$2"
  run_workload "$system" "latency-r$round" --mode latency "${SUB_ARGS[@]}" "${FANOUT_PUB_ARGS[@]}" \
    --subscribers "$SUBSCRIBERS" --rate "$LATENCY_RATE" --duration "$LATENCY_S" --settle "$SETTLE_S"
  # The floor server has no HTTP publish endpoint.
  [[ "$system" == kernel-floor ]] && return 0
  run_workload "$system" "publish-r$round" --mode publish --port "$PORT" "${PUB_ARGS[@]}" --rate 0 \
    --inflight "$PUBLISH_INFLIGHT" --pub-conns "$PUBLISH_CONNS" --duration "$PUBLISH_S"
}

# RESULT["system/workload"] from the rounds: the median of each key, and
# status ok only when every round was ok.
aggregate_rounds() {  # system workload keys...
  local system="$1" workload="$2" key round line status=ok values median
  shift 2
  local merged="RESULT rounds=$ROUNDS"
  for ((round = 1; round <= ROUNDS; round++)); do
    line="${RESULT["$system/$workload-r$round"]:-}"
    [[ "$(tr ' ' '\n' <<<"$line" | awk -F= '$1 == "status" { print $2 }')" == ok ]] || status=fail
  done
  for key in "$@"; do
    values=""
    for ((round = 1; round <= ROUNDS; round++)); do
      line="${RESULT["$system/$workload-r$round"]:-}"
      values+="$(tr ' ' '\n' <<<"$line" | awk -F= -v k="$key" '$1 == k { print $2 }')"$'\n'
    done
    median="$( (grep -E '^[0-9.]+$' <<<"$values" || true) | sort -g |
      awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')"
    if [[ -n "$median" ]]; then merged+=" $key=$median"; fi
  done
  RESULT["$system/$workload"]="$merged status=$status failure=see_round_logs"
}

START_SECONDS=$SECONDS
# All systems run side by side, each on its own ports (idle ones cost next to
# nothing); only one is under load at a time.
start_system nchan-memory start_nchan memory
start_system nchan-redis start_nchan redis
if ((HAVE_SSEBRIDGE)); then
  start_system ssebridge-embedded start_ssebridge embedded
  start_system ssebridge-redis start_ssebridge redis
fi
if [[ -x "$FLOOR_BIN" ]]; then
  start_system kernel-floor start_floor
else
  log "floor_server not found at $FLOOR_BIN: its column will read n/a"
fi
for system in "${SYSTEMS[@]}"; do
  use_system "$system"
  run_fixed_workloads "$system"
done
# Latency and publish rates move with the VM's speed from minute to minute,
# so they are measured in rounds that visit every system in turn, and each
# system's median is reported.
for ((round = 1; round <= ROUNDS; round++)); do
  for system in "${SYSTEMS[@]}"; do
    use_system "$system"
    run_round "$system" "$round"
  done
done
for system in "${SYSTEMS[@]}"; do
  aggregate_rounds "$system" latency latency_p50_us latency_p99_us
  aggregate_rounds "$system" publish requests_per_s server_cpu_us_per_request
done
log "all workloads finished in $((SECONDS - START_SECONDS))s"

# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------
field() {  # system workload key -> value or empty
  local line="${RESULT["$1/$2"]:-}"
  [[ -n "$line" ]] || return 0
  tr ' ' '\n' <<<"$line" | awk -F= -v key="$3" '$1 == key { print $2; exit }'
}

# Formats field*scale with the given decimals; empty when missing.
scaled() {  # system workload key scale decimals
  local v
  v="$(field "$1" "$2" "$3")"
  [[ -n "$v" && "$v" != nan && "$v" != -nan ]] || return 0
  awk -v v="$v" -v s="$4" -v d="$5" 'BEGIN { printf "%.*f", d, v * s }'
}

# A cell shows the number, and says so when the run behind it failed a check.
cell() {  # system workload key scale decimals
  local system="$1" workload="$2"
  if [[ "$system" == ssebridge-* ]] && ((!HAVE_SSEBRIDGE)); then echo "n/a"; return; fi
  if [[ "$system" == kernel-floor && ( "$workload" == publish || ! -x "$FLOOR_BIN" ) ]]; then echo "n/a"; return; fi
  local v status
  v="$(scaled "$@")"
  status="$(field "$system" "$workload" status)"
  [[ -n "$v" ]] || v="—"
  # A throughput search that stopped for any reason other than lag did not
  # find the server's limit, so its figure is only a lower bound.
  if [[ "$3" == max_sustained_deliveries_per_s && "$v" != "—" ]]; then
    local ended
    ended="$(field "$system" "$workload" search_ended)"
    [[ "$ended" == lag || -z "$ended" ]] || v="≥ $v ($ended)"
  fi
  if [[ -n "$status" && "$status" != ok ]]; then
    v="$v (FAIL: $(field "$system" "$workload" failure))"
  elif [[ -z "$status" ]]; then
    v="$v (no result)"
  fi
  echo "$v"
}

ratio() {  # ssebridge-value nchan-value
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) { printf "n/a"; exit }
    printf "%.2f×", a / b }'
}

# When a throughput figure is only a lower bound, so is (or at most is) the ratio.
bound_prefix() {  # ssebridge-system nchan-system workload key ...
  [[ "$4" == max_sustained_deliveries_per_s ]] || return 0
  local a b
  a="$(field "$1" "$3" search_ended)"; b="$(field "$2" "$3" search_ended)"
  local a_bound=0 b_bound=0
  [[ -n "$a" && "$a" != lag ]] && a_bound=1
  [[ -n "$b" && "$b" != lag ]] && b_bound=1
  if ((a_bound && b_bound)); then echo -n "~"
  elif ((a_bound)); then echo -n "≥ "
  elif ((b_bound)); then echo -n "≤ "
  fi
}

row() {  # label direction workload key scale decimals
  local label="$1" direction="$2"
  shift 2
  local nm nr se sr fl
  nm="$(cell nchan-memory "$@")"; nr="$(cell nchan-redis "$@")"
  se="$(cell ssebridge-embedded "$@")"; sr="$(cell ssebridge-redis "$@")"
  fl="$(cell kernel-floor "$@")"
  local r1 r2 r3
  r1="$(bound_prefix ssebridge-embedded nchan-memory "$@")$(ratio "$(scaled ssebridge-embedded "$@")" "$(scaled nchan-memory "$@")")"
  r2="$(bound_prefix ssebridge-redis nchan-redis "$@")$(ratio "$(scaled ssebridge-redis "$@")" "$(scaled nchan-redis "$@")")"
  r3="$(bound_prefix ssebridge-redis kernel-floor "$@")$(ratio "$(scaled ssebridge-redis "$@")" "$(scaled kernel-floor "$@")")"
  ((HAVE_SSEBRIDGE)) || { r1="n/a"; r2="n/a"; r3="n/a"; }
  [[ "$fl" == n/a ]] && r3="n/a"
  echo "| $label | $nm | $nr | $se | $sr | $fl | embedded/memory $r1, redis/redis $r2 ($direction is better); redis/floor $r3 |"
}

integrity_cell() {
  local system="$1"
  if [[ "$system" == ssebridge-* ]] && ((!HAVE_SSEBRIDGE)); then echo "n/a"; return; fi
  if [[ "$system" == kernel-floor && ! -x "$FLOOR_BIN" ]]; then echo "n/a"; return; fi
  [[ -z "${FAILURES[$system]:-}" ]] && echo "pass" || echo "FAIL: ${FAILURES[$system]}"
}

mode_note="full run"
((QUICK)) && mode_note="--quick smoke run (small sizes; numbers are not comparable to a full run)"
echo
echo "ssebridge vs Nchan, $mode_note; $SUBSCRIBERS subscribers on one channel, ${PAYLOAD_BYTES}-byte payloads;"
echo "servers pinned to CPU 0, load generator to CPU 1."
echo
echo "| metric | nchan-memory | nchan-redis | ssebridge-embedded | ssebridge-redis | kernel-floor | ratio ssebridge/nchan; ssebridge/floor |"
echo "|---|---|---|---|---|---|---|"
row "(a) server CPU per delivery, µs ($CPU_RATE msg/s × $SUBSCRIBERS subs)" lower cpu server_cpu_us_per_delivery 1 2
row "(a) Redis CPU per delivery, µs (same run)" lower cpu aux_cpu_us_per_delivery 1 3
row "(a2) server CPU per delivery, µs ($CPU_HIGH_RATE msg/s × $SUBSCRIBERS subs)" lower cpu-high server_cpu_us_per_delivery 1 2
row "(a2) latency p99, ms (same run)" lower cpu-high latency_p99_us 0.001 2
row "(b) latency p50, ms ($LATENCY_RATE msg/s × $SUBSCRIBERS subs, ${LATENCY_S}s; median of $ROUNDS rounds)" lower latency latency_p50_us 0.001 2
row "(b) latency p99, ms (same runs, median)" lower latency latency_p99_us 0.001 2
row "(c) server RSS per idle connection, KiB ($IDLE_CONNECTIONS conns)" lower idle rss_per_conn_kb 1 2
row "(d) max sustained deliveries/s, zero loss, lag ≤ 1 s" higher throughput max_sustained_deliveries_per_s 1 0
row "(e) HTTP publish requests/s, no subscribers (median of $ROUNDS rounds)" higher publish requests_per_s 1 0
row "(e) server CPU per publish request, µs (same runs, median)" lower publish server_cpu_us_per_request 1 2
echo "| all checks (loss, duplicates, order, connections) | $(integrity_cell nchan-memory) | $(integrity_cell nchan-redis) | $(integrity_cell ssebridge-embedded) | $(integrity_cell ssebridge-redis) | $(integrity_cell kernel-floor) | |"
echo
echo "Publishing: Nchan via HTTP POST /pub; ssebridge-embedded via HTTP POST /publish (JSON);"
echo "ssebridge-redis fan-out workloads via Redis PUBLISH, row (e) via HTTP POST /publish."
echo "kernel-floor: bench/floor_server.cc, the least any relay must do (Redis PSUBSCRIBE, one write per socket"
echo "per Redis read; no ids, history, checks or limits), fed by Redis PUBLISH: what the kernel alone costs."

# ssebridge failures always fail the script; Nchan's only with --strict,
# because a problem in the reference system must not break ssebridge's CI.
status=0
for system in ssebridge-embedded ssebridge-redis; do
  [[ -z "${FAILURES[$system]:-}" ]] || { log "$system failed: ${FAILURES[$system]}"; status=1; }
done
for system in nchan-memory nchan-redis kernel-floor; do
  if [[ -n "${FAILURES[$system]:-}" ]]; then
    log "$system failed: ${FAILURES[$system]}"
    ((STRICT)) && status=1
  fi
done
exit "$status"
