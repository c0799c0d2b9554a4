#!/usr/bin/env bash
# `cmake --install` with the prefix /usr into a DESTDIR: every file lands
# where Debian expects it, the installed unit names the installed paths, and
# systemd-analyze verify accepts it.
#   test/package/install_test.sh BUILD_DIR
set -euo pipefail
build_dir="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"

fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR="$root" cmake --install "$build_dir" --prefix /usr >"$work/install.log"

for file in usr/bin/ssebridge usr/lib/systemd/system/ssebridge.service etc/ssebridge/ssebridge.json \
            usr/share/man/man1/ssebridge.1.gz usr/share/doc/ssebridge/README.md \
            usr/share/doc/ssebridge/copyright usr/share/doc/ssebridge/changelog.gz \
            usr/share/doc/ssebridge/deployment.md usr/share/doc/ssebridge/operations.md \
            usr/share/doc/ssebridge/configuration.md; do
  [[ -f "$root/$file" ]] || fail "not installed: /$file"
done
# Nothing outside the prefix and /etc.
unexpected="$(cd "$root" && find . -type f | grep -v -e '^\./usr/' -e '^\./etc/ssebridge/' || true)"
[[ -z "$unexpected" ]] || fail "installed outside /usr and /etc/ssebridge: $unexpected"

unit="$root/usr/lib/systemd/system/ssebridge.service"
grep -q '^ExecStart=/usr/bin/ssebridge --config /etc/ssebridge/ssebridge.json$' "$unit" ||
  fail "the installed unit does not start the installed binary with the installed config: $(grep ExecStart "$unit")"
grep -q '^Documentation=.*file:///usr/share/doc/ssebridge/' "$unit" || fail "Documentation= does not name /usr/share/doc"

# The manual page is the one the binary writes, and man renders it without a warning.
cmp <(gzip -dc "$root/usr/share/man/man1/ssebridge.1.gz") <("$root/usr/bin/ssebridge" --print-man) ||
  fail "the installed manual page differs from --print-man"
if command -v man >/dev/null; then
  warnings="$(gzip -dc "$root/usr/share/man/man1/ssebridge.1.gz" | LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l - 2>&1 >/dev/null)"
  [[ -z "$warnings" ]] || fail "man reports: $warnings"
fi

# systemd-analyze verify checks that ExecStart's binary exists: let it see
# the DESTDIR's. Every other line is the installed unit's.
if [[ -x /usr/bin/systemd-analyze ]]; then
  sed "s|^ExecStart=/usr/bin/ssebridge|ExecStart=$root/usr/bin/ssebridge|" "$unit" >"$work/ssebridge.service"
  output="$(/usr/bin/systemd-analyze verify "$work/ssebridge.service" 2>&1)" || fail "systemd-analyze verify: $output"
  # It exits 0 even for a directive it ignores, with a line naming the file.
  [[ "$output" != *ssebridge.service* ]] || fail "systemd-analyze verify: $output"
else
  echo "systemd-analyze is not installed (apt: systemd): unit not verified"
fi
echo "PASS"
