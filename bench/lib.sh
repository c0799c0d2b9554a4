# Shared by bench/scale.sh and bench/chaos.sh (sourced, not run): a private
# temporary directory, bookkeeping of every background process with an EXIT
# trap that stops them by PID, and a private redis-server on a free port.
# Expects $loadgen (the load generator, for free ports) to be set.

bench_setup() {  # name
  work="$(mktemp -d "/tmp/ssebridge-$1-XXXXXX")"
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

start_private_redis() {  # extra redis-server arguments...; sets redis_port
  redis_port="$("$loadgen" --mode free-port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" "$@" \
    > "$work/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-server did not start" >&2
  return 1
}
