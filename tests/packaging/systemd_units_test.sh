#!/usr/bin/env bash
# Checks the real unit files in systemd/ with `systemd-analyze verify`, as installed.
#
# verify loads the unit into a throw-away root (--root): that root holds the host's own units
# (sysinit.target and friends, which verify follows), our units as `cmake --install` puts them,
# and the binaries their ExecStart names, so a unit that names a binary the packages do not
# install fails here. verify exits 0 on warnings (an unknown key, a bad value), so any output at
# all fails the test. Then the properties that are product requirements are checked by name.
# Skipped (exit 77) where systemd-analyze is missing.
set -euo pipefail
SRC=${1:?usage: $0 SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: $0 SOURCE_DIR BUILD_DIR}

command -v systemd-analyze >/dev/null || { echo "skip: systemd-analyze not installed"; exit 77; }
[ -d /lib/systemd/system ] || { echo "skip: no /lib/systemd/system"; exit 77; }

TMP=$(mktemp -d /tmp/drover-units.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

ROOT=$TMP/root
mkdir -p "$ROOT/lib/systemd/system"
cp -a /lib/systemd/system/. "$ROOT/lib/systemd/system/"
DESTDIR=$ROOT cmake --install "$BUILD" --prefix /usr >"$TMP/install.log" 2>&1 ||
  { cat "$TMP/install.log" >&2; fail "cmake --install"; }
# ExecReload runs /bin/sh; the root only needs something executable there.
mkdir -p "$ROOT/bin" && cp -L /bin/sh "$ROOT/bin/sh"

UNITS=$ROOT/lib/systemd/system
for u in drover-ctld drover-noded; do
  [ -f "$UNITS/$u.service" ] || fail "$u.service is not installed to /lib/systemd/system"
  cmp -s "$SRC/systemd/$u.service" "$UNITS/$u.service" || fail "installed $u.service differs from systemd/$u.service"
  if ! systemd-analyze verify --root="$ROOT" "$UNITS/$u.service" >"$TMP/verify.log" 2>&1 ||
     [ -s "$TMP/verify.log" ]; then
    cat "$TMP/verify.log" >&2
    fail "systemd-analyze verify $u.service"
  fi
  pass "systemd-analyze verify $u.service: no complaint"
done

# A unit that names a missing binary must fail: proves verify looked inside the root.
rm "$ROOT/usr/sbin/drover-ctld"
if systemd-analyze verify --root="$ROOT" "$UNITS/drover-ctld.service" >/dev/null 2>&1; then
  fail "verify accepted a unit whose ExecStart binary is missing"
fi
pass "verify refuses a missing ExecStart binary"

has() {  # has UNIT KEY=VALUE
  grep -qx "$2" "$SRC/systemd/$1.service" || fail "$1.service lacks $2"
}
for u in drover-ctld drover-noded; do
  has $u "Type=notify"
  has $u "WatchdogSec=60s"
  has $u "Restart=on-failure"
  has $u "ExecReload=/bin/sh -c 'kill -HUP \$\$MAINPID'"
done
has drover-noded "KillMode=process"  # jobs survive a noded restart
has drover-noded "Delegate=yes"
has drover-ctld "User=drover"
has drover-ctld "RuntimeDirectory=drover"
has drover-ctld "StateDirectory=drover"
has drover-ctld "ProtectSystem=strict"
has drover-ctld "CapabilityBoundingSet="
if grep -q '^User=' "$SRC/systemd/drover-noded.service"; then fail "drover-noded must run as root"; fi
pass "units keep jobs across noded restarts, delegate cgroups, run ctld unprivileged"
