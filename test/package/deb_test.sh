#!/usr/bin/env bash
# The Debian package: cpack builds it; its Depends, conffiles and lack of
# maintainer scripts are checked; `dpkg-deb -x` unpacks it into a temp dir;
# the unit is verified; the packaged binary runs with the packaged
# configuration (only the listen address overridden, by the environment, to
# a free loopback port) and answers; lintian reports no errors (its
# warnings are printed).
#   test/package/deb_test.sh BUILD_DIR
set -euo pipefail
build_dir="$(cd "$1" && pwd)"
work="$(mktemp -d)"
bridge_pid=""
cleanup() {
  if [[ -n "$bridge_pid" ]]; then kill "$bridge_pid" 2>/dev/null || true; wait "$bridge_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A directory of its own, so a concurrent scripts/package.sh does not collide.
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  fail "cpack: $(cat "$work/cpack.log")"
deb="$(ls "$work"/out/ssebridge_*.deb)"

fields="$(dpkg-deb -f "$deb" Package Depends)"
grep -q '^Depends: .*libuv1' <<<"$fields" || fail "Depends does not name libuv1 (shlibdeps): $fields"
grep -q 'libhiredis' <<<"$fields" || fail "Depends does not name libhiredis: $fields"
[[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" == "/etc/ssebridge/ssebridge.json" ]] ||
  fail "conffiles is not exactly /etc/ssebridge/ssebridge.json"
# No maintainer scripts: the package creates nothing outside its files (the
# unit's DynamicUser= and RuntimeDirectory= need no user or directory made).
scripts="$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -E 'preinst|postinst|prerm|postrm' || true)"
[[ -z "$scripts" ]] || fail "unexpected maintainer scripts: $scripts"

root="$work/root"
dpkg-deb -x "$deb" "$root"
file "$root/usr/bin/ssebridge" | grep -q ', stripped' || fail "binary not stripped: $(file "$root/usr/bin/ssebridge")"

# The packaged unit starts the packaged binary with the packaged config, and
# systemd-analyze accepts it (pointed at the unpacked binary, which it checks
# exists).
unit="$root/usr/lib/systemd/system/ssebridge.service"
grep -q '^ExecStart=/usr/bin/ssebridge --config /etc/ssebridge/ssebridge.json$' "$unit" ||
  fail "the packaged unit's ExecStart: $(grep ExecStart "$unit")"
if [[ -x /usr/bin/systemd-analyze ]]; then
  sed "s|^ExecStart=/usr/bin/ssebridge|ExecStart=$root/usr/bin/ssebridge|" "$unit" >"$work/ssebridge.service"
  output="$(/usr/bin/systemd-analyze verify "$work/ssebridge.service" 2>&1)" || fail "systemd-analyze verify: $output"
  [[ "$output" != *ssebridge.service* ]] || fail "systemd-analyze verify: $output"
fi

# Port 0 picks a free port; the log line names it.
SSEBRIDGE_LISTEN=127.0.0.1:0 "$root/usr/bin/ssebridge" --config "$root/etc/ssebridge/ssebridge.json" \
  >"$work/bridge.log" 2>&1 &
bridge_pid=$!
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/bridge.log" | head -1)"
  [[ -n "$port" ]] && break
  kill -0 "$bridge_pid" 2>/dev/null || fail "the packaged binary exited: $(cat "$work/bridge.log")"
  sleep 0.05
done
[[ -n "$port" ]] || fail "no 'listening on' line: $(cat "$work/bridge.log")"
status="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" ||
  fail "no answer on port $port"
[[ "$status" == 200 ]] || fail "/healthz answered $status"
kill -TERM "$bridge_pid"
wait "$bridge_pid" || fail "the packaged binary did not exit 0 on SIGTERM: $(cat "$work/bridge.log")"
bridge_pid=""

if command -v lintian >/dev/null; then
  # --no-cfg: a developer's ~/.config/lintianrc must not change the verdict.
  lintian --no-cfg "$deb" >"$work/lintian.log" 2>&1 || true
  cat "$work/lintian.log"
  if grep -q '^E: ' "$work/lintian.log"; then fail "lintian reports errors"; fi
else
  echo "lintian is not installed (apt: lintian): package not checked"
fi
echo "PASS"
