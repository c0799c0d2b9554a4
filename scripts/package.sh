#!/usr/bin/env bash
# Builds the Debian package build-package/deb/ssebridge_VERSION_ARCH.deb
# (a Release build without tests or benchmarks) and checks it with lintian.
#   scripts/package.sh [build-dir]
# The package installs /usr/bin/ssebridge, the unit
# /usr/lib/systemd/system/ssebridge.service, the configuration
# /etc/ssebridge/ssebridge.json (a conffile), the manual page and the docs;
# see docs/deployment.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build-package}"
# Debian's own build flags, as dpkg-buildflags gives them to Debian's packages:
# stack protector, _FORTIFY_SOURCE, format checks, RELRO and BIND_NOW. They
# are read when the build dir is first configured. CMake takes CFLAGS,
# CXXFLAGS and LDFLAGS from the environment but not CPPFLAGS, so the
# preprocessor's flags go into the first two. Release's -O3 follows the -O2.
if command -v dpkg-buildflags >/dev/null; then
  eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
  export CFLAGS="$CFLAGS $CPPFLAGS" CXXFLAGS="$CXXFLAGS $CPPFLAGS"
fi
scripts/build.sh --target all "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSSEBRIDGE_TESTS=OFF -DSSEBRIDGE_BENCH=OFF
(cd "$build_dir" && cpack -G DEB)
deb="$(ls "$build_dir"/deb/ssebridge_*.deb)"
if command -v lintian >/dev/null; then
  lintian --no-cfg "$deb" || { echo "package: lintian found errors in $deb" >&2; exit 1; }
fi
echo "package: $deb"
