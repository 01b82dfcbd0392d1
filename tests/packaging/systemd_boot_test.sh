#!/usr/bin/env bash
# Boots systemd in a fresh Debian 12 root with the drover packages installed (systemd-nspawn
# -b, package systemd-container) and checks the units under a real service manager:
#   - drover-ctld and drover-noded reach `active (running)`: both are Type=notify, so systemd
#     only says so once the daemon sent READY=1 (its STATUS= text shows in StatusText);
#   - `systemctl reload` sends SIGHUP: the daemon says RELOADING=1, then READY=1 with the status
#     "reloaded", and keeps its main PID (no restart);
#   - a job runs: `drover run hostname` and `sbatch --wait` as an ordinary user.
# The root is an overlay over the cached debootstrap base of debian_root.sh (no network needed),
# the container has its own network namespace (only loopback: no port can clash with the host)
# and runs in a cgroup of its own made by the test, which removes it, the overlay and the
# container on every exit. The machine's own init need not be systemd: nspawn runs without
# machined (--register=no) and without a scope unit (--keep-unit).
set -euo pipefail
SRC=${1:?usage: $0 SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: $0 SOURCE_DIR BUILD_DIR}
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
. "$SRC/tests/packaging/debian_root.sh"
enter_mount_namespace "$@"
if ! command -v systemd-nspawn >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd-container >/dev/null ||
    { echo "skip: systemd-nspawn (systemd-container) not installable"; exit 77; }
fi

TMP=$(mktemp -d /tmp/drover-nspawn.XXXXXX)
ROOT=$TMP/root
NAME=drover-boot-$$
NSPAWN_PID=
CGROUPS=()
ORIGIN=()
cleanup() {
  local rc=$?
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true  # nspawn asks the container's systemd to halt
    for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
    wait "$NSPAWN_PID" 2>/dev/null || true
  fi
  # The test leaves its cgroups; whatever else is left in them (nothing, normally) is killed.
  for i in "${!CGROUPS[@]}"; do echo $$ >"${ORIGIN[$i]}/cgroup.procs" 2>/dev/null || true; done
  for cg in "${CGROUPS[@]}"; do
    [ -d "$cg" ] || continue
    find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    for _ in $(seq 1 20); do
      find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$cg" ] || break
      sleep 0.25
    done
  done
  umount -R "$ROOT" 2>/dev/null || true
  rm -rf "/run/systemd/nspawn/propagate/$NAME"
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM
fail() {
  echo "FAIL: $*" >&2
  if [ -n "${LEADER:-}" ]; then
    in_boot journalctl --no-pager -n 30 -u drover-ctld -u drover-noded >&2 2>/dev/null || true
  fi
  exit 1
}
pass() { echo "ok - $*"; }

# nspawn --keep-unit puts its containers below the cgroup it runs in: the test moves itself
# into cgroups of its own (in each hierarchy nspawn uses), so that nothing lands in the
# machine's root cgroup and everything goes at the end.
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
  [ -e "$h/cgroup.procs" ] || continue
  if [ "$h" = /sys/fs/cgroup ] && [ ! -e "$h/cgroup.controllers" ]; then continue; fi  # v1 tmpfs
  case $h in
    */systemd) own=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup) ;;
    *) own=$(sed -n 's/^0:://p' /proc/self/cgroup) ;;
  esac
  mkdir "$h$own/$NAME" || fail "cannot make cgroup $h$own/$NAME"
  CGROUPS+=("$h$own/$NAME")
  ORIGIN+=("$h$own")
  echo $$ >"$h$own/$NAME/cgroup.procs"
done

# 1. A fresh Debian 12 root with the packages (made by the packaging.cpack test).
mapfile -t debs < <(ls "$BUILD"/packages/drover-*.deb 2>/dev/null)
[ ${#debs[@]} -eq 4 ] || fail "expected 4 packages in $BUILD/packages, got: ${debs[*]}"
mapfile -t deps < <(deb_depends "${debs[@]}")
lower=$(debian_base "${deps[@]}")
mkdir -p "$ROOT" "$TMP/upper" "$TMP/work"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$TMP/upper,workdir=$TMP/work" "$ROOT"
mkdir -p "$ROOT/var/tmp/debs" && cp "${debs[@]}" "$ROOT/var/tmp/debs/"

# Commands in the root before it boots: nspawn without -b (its own /proc, /sys, /dev).
offline() {
  systemd-nspawn -q --register=no --keep-unit --private-network -D "$ROOT" -M "$NAME" "$@"
}
offline sh -c 'DEBIAN_FRONTEND=noninteractive dpkg -i /var/tmp/debs/*.deb' >"$TMP/dpkg.log" 2>&1 ||
  { tail -n 40 "$TMP/dpkg.log" >&2; fail "dpkg -i"; }

# 2. One host, node1, is controller and compute node; a user to run jobs as.
cpus=$(nproc)
cat >"$ROOT/etc/drover/drover.yaml" <<EOF
cluster: boot
controller: {host: node1, address: 127.0.0.1, port: 7817}
state_dir: /var/lib/drover
spool_dir: /var/spool/drover/%n
auth_socket: /run/drover/auth.sock
key_file: /etc/drover/cluster.key
tls: {ca: /etc/drover/tls/ca.crt, cert: /etc/drover/tls/%n.crt, key: /etc/drover/tls/%n.key}
timeouts: {heartbeat_interval: 2, node_timeout: 30}
scheduling: {default_mem_per_cpu: 64M}
topology_policy: config
nodes:
  - {names: node1, address: 127.0.0.1, port: 7818, cpus: $cpus, memory: 256M}
partitions:
  - {name: batch, nodes: node1, default: true}
EOF
echo node1 >"$ROOT/etc/hostname"  # debootstrap copied the build machine's
offline sh -c 'drover keygen --dir /etc/drover --hosts node1 >/dev/null &&
  chown drover:drover /etc/drover/cluster.key /etc/drover/tls/node1.key &&
  useradd -m -s /bin/bash alice &&
  systemctl enable drover-ctld drover-noded' >"$TMP/setup.log" 2>&1 ||
  { cat "$TMP/setup.log" >&2; fail "keygen, useradd or systemctl enable in the root"; }
pass "packages installed, keys made, units enabled in a fresh Debian 12 root"

# 3. Boot it.
systemd-nspawn -q --register=no --keep-unit --private-network -D "$ROOT" -M "$NAME" \
    --hostname=node1 -b --console=pipe </dev/null >"$TMP/console.log" 2>&1 &
NSPAWN_PID=$!
LEADER=
for _ in $(seq 1 60); do
  for p in $(pgrep -P "$NSPAWN_PID" 2>/dev/null); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && LEADER=$p
  done
  [ -n "$LEADER" ] && break
  kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$TMP/console.log" >&2; fail "systemd-nspawn -b exited"; }
  sleep 0.5
done
[ -n "$LEADER" ] || { cat "$TMP/console.log" >&2; fail "no systemd started in the container"; }
in_boot() { nsenter -t "$LEADER" -m -u -i -n -p -C -- "$@"; }
# systemctl answers once PID 1 listens on its private socket; --wait then waits for the boot.
state=
for _ in $(seq 1 120); do
  state=$(in_boot timeout 180 systemctl is-system-running --wait 2>/dev/null || true)
  [ -n "$state" ] && break
  kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$TMP/console.log" >&2; fail "systemd-nspawn -b exited"; }
  sleep 0.5
done
case $state in
  running | degraded) ;;
  *) in_boot systemctl --failed --no-pager >&2 || true; fail "the container's systemd did not finish booting: '$state'" ;;
esac
# degraded: units that need what a container lacks (the NFS server's mounts); not drover's.
[ "$state" = degraded ] &&
  echo "# failed units: $(in_boot systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
pass "systemd booted the root ($state)"

# 4. Both daemons: active (running) means READY=1 arrived.
show() { in_boot systemctl show -p "$2" --value "$1"; }
for u in drover-ctld drover-noded; do
  for _ in $(seq 1 120); do
    [ "$(show $u ActiveState)/$(show $u SubState)" = active/running ] && break
    [ "$(show $u ActiveState)" = failed ] && fail "$u failed"
    [ "$(show $u NRestarts)" = 0 ] || fail "$u exited and was restarted before it was ready"
    sleep 0.5
  done
  [ "$(show $u ActiveState)/$(show $u SubState)" = active/running ] ||
    fail "$u is $(show $u ActiveState)/$(show $u SubState), not active/running"
  [ -n "$(show $u StatusText)" ] || fail "$u sent no STATUS="
  pass "$u is active (running) after READY=1, status '$(show $u StatusText)'"
done
[ "$(show drover-ctld User)" = drover ] || fail "drover-ctld does not run as drover"
[ "$(in_boot stat -c %U "/proc/$(show drover-ctld MainPID)")" = drover ] ||
  fail "drover-ctld's process is not the drover user's"

# 5. A job, through the front end and through sbatch, as alice.
as_alice() { in_boot runuser -u alice -- env -C /home/alice "$@"; }
for _ in $(seq 1 60); do
  as_alice drover info 2>/dev/null | grep -q idle && break
  sleep 0.5
done
out=$(as_alice timeout 120 drover run hostname 2>&1) || fail "drover run hostname: $out"
[ "$out" = node1 ] || fail "drover run hostname printed '$out'"
pass "drover run hostname prints node1"
printf '#!/bin/sh\necho batch on $(hostname)\n' >"$ROOT/home/alice/job.sh"
out=$(as_alice timeout 120 sbatch --wait -o out.txt job.sh 2>&1) || fail "sbatch --wait: $out"
[ "$(cat "$ROOT/home/alice/out.txt")" = "batch on node1" ] ||
  fail "the batch job wrote '$(cat "$ROOT/home/alice/out.txt" 2>/dev/null)'"
pass "sbatch --wait ran a batch job on node1"

# 6. systemctl reload: SIGHUP, RELOADING=1 then READY=1, same process.
for u in drover-ctld drover-noded; do
  pid=$(show $u MainPID)
  in_boot timeout 60 systemctl reload $u || fail "systemctl reload $u"
  for _ in $(seq 1 40); do [ "$(show $u StatusText)" = reloaded ] && break; sleep 0.25; done
  [ "$(show $u StatusText)" = reloaded ] || fail "$u status after reload: '$(show $u StatusText)'"
  [ "$(show $u MainPID)" = "$pid" ] || fail "$u was restarted by the reload"
  [ "$(show $u ActiveState)/$(show $u SubState)" = active/running ] || fail "$u after reload: $(show $u SubState)"
  [ "$(show $u NRestarts)" = 0 ] || fail "$u restarted"
  in_boot journalctl --no-pager -u $u | grep -q 'SIGHUP: reloading' || fail "$u logged no SIGHUP reload"
  pass "systemctl reload $u: SIGHUP, RELOADING=1/READY=1, still running as PID $pid"
done
out=$(as_alice timeout 120 drover run hostname 2>&1) || fail "drover run after the reload: $out"
[ "$out" = node1 ] || fail "drover run hostname after the reload printed '$out'"
pass "a job runs after the reload"

# 7. A stop is clean: STOPPING=1 and exit 0, not a kill after the timeout.
in_boot timeout 120 systemctl stop drover-noded drover-ctld || fail "systemctl stop"
for u in drover-ctld drover-noded; do
  [ "$(show $u Result)" = success ] || fail "$u stopped with result $(show $u Result)"
done
pass "systemctl stop ends both cleanly"
