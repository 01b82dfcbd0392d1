#!/usr/bin/env bash
# Installs the .deb packages (made by the packaging.cpack test) into a fresh Debian 12 root.
#
# The root is a debootstrap'd bookworm minbase (tests/packaging/debian_root.sh: cached, so only
# the first run pays for the debootstrap, and each run writes to an overlay over it) with the
# drover packages' library dependencies preinstalled (so no network is needed); the packages go
# in with dpkg -i inside a chroot, so dpkg checks their Depends and runs their maintainer
# scripts (groupadd, useradd, install -d) for real, against a system that has never seen drover.
# The base is cached: on a new machine the first run pays a few minutes for debootstrap. Not exercised: systemd (nothing runs in the chroot; the units
# are checked by systemd_units_test.sh, and run under a booted systemd by systemd_boot_test.sh) and upgrades from an older release (there is none).
set -euo pipefail
SRC=${1:?usage: $0 SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: $0 SOURCE_DIR BUILD_DIR}
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
. "$SRC/tests/packaging/debian_root.sh"
enter_mount_namespace "$@"

TMP=$(mktemp -d /tmp/drover-deb.XXXXXX)
ROOT=$TMP/root
cleanup() {
  local rc=$?
  umount -R "$ROOT" 2>/dev/null || true  # the namespace would drop them anyway
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
in_root() { chroot "$ROOT" "$@"; }

# 1. The packages (made by the packaging.cpack test).
mapfile -t debs < <(ls "$BUILD"/packages/drover-*.deb 2>/dev/null)
[ ${#debs[@]} -eq 4 ] || fail "expected 4 packages in $BUILD/packages, got: ${debs[*]}"
for p in common ctld noded client; do
  ls "$BUILD"/packages/drover-"$p"_*.deb >/dev/null 2>&1 || fail "no drover-$p package"
done
pass "cpack made drover-common, -ctld, -noded and -client"

# 2. A fresh Debian 12 root with the libraries they depend on.
mapfile -t deps < <(deb_depends "${debs[@]}")
lower=$(debian_base "${deps[@]}")
make_debian_root "$ROOT" "$lower"
grep -q 'VERSION_CODENAME=bookworm' "$ROOT/etc/os-release" || fail "the root is not Debian 12"
grep -q '^drover:' "$ROOT/etc/passwd" && fail "the fresh root already has a drover user"
mkdir -p "$ROOT/tmp/debs" && cp "${debs[@]}" "$ROOT/tmp/debs/"
in_root_debs=()
for d in "${debs[@]}"; do in_root_debs+=("/tmp/debs/$(basename "$d")"); done

install_all() {
  in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "${in_root_debs[@]}" >"$TMP/dpkg.log" 2>&1 ||
    { tail -n 40 "$TMP/dpkg.log" >&2; fail "dpkg -i $*"; }
}
install_all
pass "dpkg installed the four packages into the fresh root: dependencies met, maintainer scripts ran"

# 3. What they laid out.
for b in /usr/sbin/drover-ctld /usr/sbin/drover-noded /usr/sbin/drover-stepd /usr/sbin/drover-zygote /usr/bin/drover; do
  [ -f "$ROOT$b" ] && [ -x "$ROOT$b" ] || fail "$b missing or not executable"
done
for a in sbatch squeue sinfo scancel sacct scontrol; do
  [ "$(readlink "$ROOT/usr/bin/$a")" = drover ] || fail "/usr/bin/$a is not a symlink to drover"
done
# Every library resolves inside the root: the Depends are complete.
for b in /usr/sbin/drover-ctld /usr/sbin/drover-noded /usr/bin/drover; do
  in_root "$b" --help >/dev/null 2>&1 || { in_root "$b" --help || true; fail "$b --help does not run in the root"; }
done
in_root sbatch --help >/dev/null 2>&1 || fail "sbatch --help does not run in the root"
pass "binaries, front ends and their libraries are in place"

for u in drover-ctld drover-noded; do
  [ -f "$ROOT/lib/systemd/system/$u.service" ] || fail "$u.service not in /lib/systemd/system"
done
[ -f "$ROOT/etc/drover/drover.yaml" ] || fail "no /etc/drover/drover.yaml"
cmp -s "$ROOT/etc/drover/drover.yaml" "$SRC/etc/drover.yaml" || fail "/etc/drover/drover.yaml is not the example"
grep -q '^drover:x:' "$ROOT/etc/passwd" || fail "no drover user in the root's /etc/passwd"
grep -q '^drover:x:' "$ROOT/etc/group" || fail "no drover group"
shell=$(grep '^drover:' "$ROOT/etc/passwd" | cut -d: -f7)
[ "$shell" = /usr/sbin/nologin ] || fail "drover user has shell $shell"
[ "$(in_root stat -c '%U:%G %a' /var/lib/drover)" = "drover:drover 750" ] || fail "/var/lib/drover: $(in_root stat -c '%U:%G %a' /var/lib/drover)"
[ "$(in_root stat -c '%U %a' /var/spool/drover)" = "root 755" ] || fail "/var/spool/drover: $(in_root stat -c '%U %a' /var/spool/drover)"
[ -d "$ROOT/etc/drover/tls" ] || fail "no /etc/drover/tls"
pass "units, configuration, drover user and directories are in place"

# 4. The configuration is the administrator's: a reinstall keeps a change.
echo "# changed by the administrator" >>"$ROOT/etc/drover/drover.yaml"
install_all again
grep -q '^# changed by the administrator' "$ROOT/etc/drover/drover.yaml" || fail "reinstall overwrote drover.yaml"
[ "$(grep -c '^drover:' "$ROOT/etc/passwd")" -eq 1 ] || fail "reinstall added a second drover user"
pass "reinstalling keeps a changed drover.yaml and the one drover user"

# 5. Remove keeps configuration and state; purge removes state but not a changed config.
in_root dpkg --remove drover-ctld drover-noded >/dev/null 2>&1 || fail "dpkg --remove"
[ -d "$ROOT/var/lib/drover" ] || fail "remove deleted /var/lib/drover"
in_root dpkg --purge drover-ctld drover-noded drover-client drover-common >/dev/null 2>&1 || fail "dpkg --purge"
[ ! -e "$ROOT/var/lib/drover" ] || fail "purge left /var/lib/drover"
[ ! -e "$ROOT/usr/sbin/drover-ctld" ] || fail "purge left drover-ctld"
grep -q '^# changed by the administrator' "$ROOT/etc/drover/drover.yaml" || fail "purge removed a changed drover.yaml"
pass "remove keeps state; purge removes state and binaries, keeps a changed drover.yaml"
