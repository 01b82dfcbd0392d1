#!/usr/bin/env bash
# Runs deploy/ansible/site.yml twice against four fresh Debian 12 roots (node1..node4, each an
# overlay over the cached debootstrap base of debian_root.sh) through Ansible's chroot
# connection, with the .deb packages this build makes; the second run must report changed=0.
#
# What the run exercises for real, inside the roots: installing the packages (apt, maintainer
# scripts, the drover user), `drover keygen` on the controller, fetching and copying keys with
# their owners and modes, the topology step (`drover-noded --print-topology` when it has the
# flag, else the fallback values), the one drover.yaml from the template, the NFS export line
# and fstab entry, `systemctl enable` of the units (offline), idempotence. Then drover-ctld is
# started from the controller's root as the drover user with that configuration and keys.
# What it cannot exercise (drover_test_mode skips it): starting services (no systemd runs in a
# chroot), starting the NFS server and mounting the share, restarts, and the smoke test
# `srun -N3 hostname`, which needs the daemons on three hosts.
set -euo pipefail
SRC=${1:?usage: $0 SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: $0 SOURCE_DIR BUILD_DIR}
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
. "$SRC/tests/packaging/debian_root.sh"
enter_mount_namespace "$@"
if ! command -v ansible-playbook >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ansible >/dev/null ||
    { echo "skip: ansible not installable"; exit 77; }
fi

TMP=$(mktemp -d /tmp/drover-ansible.XXXXXX)
CTLD_PID=
cleanup() {
  local rc=$?
  [ -n "$CTLD_PID" ] && kill "$CTLD_PID" 2>/dev/null && wait "$CTLD_PID" 2>/dev/null
  for h in node1 node2 node3 node4; do umount -R "$TMP/hosts/$h" 2>/dev/null || true; done
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

PKGS=$BUILD/packages
mapfile -t debs < <(ls "$PKGS"/drover-*.deb 2>/dev/null)
[ ${#debs[@]} -eq 4 ] || fail "no packages in $PKGS (the packaging.cpack test makes them)"
mapfile -t deps < <(deb_depends "${debs[@]}")
lower=$(debian_base "${deps[@]}")
for h in node1 node2 node3 node4; do make_debian_root "$TMP/hosts/$h" "$lower"; done
version=$(dpkg-deb -f "${debs[0]}" Version)

PORT=$((20000 + RANDOM % 20000))
# The Turing Pi inventory's layout, with chroots for hosts.
cat >"$TMP/inventory.yml" <<INV
all:
  vars:
    ansible_connection: community.general.chroot
    ansible_python_interpreter: /usr/bin/python3
  children:
    drover_controller:
      hosts:
        node3: {ansible_host: $TMP/hosts/node3, drover_address: 127.0.0.1}
    drover_nodes:
      hosts:
        node1: {ansible_host: $TMP/hosts/node1, drover_address: 127.0.0.11}
        node2: {ansible_host: $TMP/hosts/node2, drover_address: 127.0.0.12}
        node4: {ansible_host: $TMP/hosts/node4, drover_address: 127.0.0.14}
INV

# Extra vars: they take precedence over the playbook's group_vars/all.yml.
cat >"$TMP/test-vars.yml" <<VARS
drover_test_mode: true
drover_packages_dir: $PKGS
drover_version: "$version"
drover_secrets_dir: $TMP/secrets
drover_controller_port: $PORT
VARS

cd "$SRC/deploy/ansible"
export ANSIBLE_LOCAL_TEMP=$TMP/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/.ansible ANSIBLE_NOCOLOR=1
ansible-playbook --syntax-check -i "$TMP/inventory.yml" -e "@$TMP/test-vars.yml" site.yml >/dev/null || fail "syntax check"
pass "ansible-playbook --syntax-check site.yml"

run_playbook() {  # run_playbook N: runs it, keeps the log, prints the recap
  if ! ansible-playbook -i "$TMP/inventory.yml" -e "@$TMP/test-vars.yml" site.yml >"$TMP/run$1.log" 2>&1; then
    tail -n 60 "$TMP/run$1.log" >&2
    fail "playbook run $1 failed"
  fi
  sed -n '/PLAY RECAP/,$p' "$TMP/run$1.log"
}
run_playbook 1
pass "first run"

H=$TMP/hosts
for h in node1 node2 node3 node4; do
  [ -x "$H/$h/usr/bin/drover" ] || fail "$h: drover-client not installed"
  grep -q '^drover:' "$H/$h/etc/passwd" || fail "$h: no drover user"
  cmp -s "$H/node3/etc/drover/drover.yaml" "$H/$h/etc/drover/drover.yaml" || fail "$h: drover.yaml differs from node3's"
  [ "$(chroot "$H/$h" stat -c '%a' /etc/drover/cluster.key)" = 400 ] || fail "$h: cluster.key mode"
  [ -f "$H/$h/etc/drover/tls/$h.crt" ] || fail "$h: no certificate"
  cmp -s "$H/node3/etc/drover/cluster.key" "$H/$h/etc/drover/cluster.key" || fail "$h: cluster.key differs"
done
for h in node1 node2 node4; do
  [ -x "$H/$h/usr/sbin/drover-noded" ] || fail "$h: drover-noded not installed"
  [ ! -e "$H/$h/usr/sbin/drover-ctld" ] || fail "$h: drover-ctld installed on a compute node"
  [ "$(chroot "$H/$h" stat -c '%U %a' "/etc/drover/tls/$h.key")" = "root 400" ] || fail "$h: TLS key owner/mode"
  [ "$(chroot "$H/$h" stat -c '%U' /etc/drover/cluster.key)" = root ] || fail "$h: cluster.key owner"
  [ ! -e "$H/$h/etc/drover/tls/ca.key" ] || fail "$h: the CA key left the controller"
  [ -L "$H/$h/etc/systemd/system/multi-user.target.wants/drover-noded.service" ] || fail "$h: drover-noded not enabled"
  grep -q "^127.0.0.1:/shared /shared nfs " "$H/$h/etc/fstab" || fail "$h: no fstab entry for /shared"
  grep -q "names: $h\$" "$H/$h/etc/drover/drover.yaml" || fail "drover.yaml lacks node $h"
done
[ "$(chroot "$H/node3" stat -c '%U %a' /etc/drover/cluster.key)" = "drover 400" ] || fail "node3: cluster.key owner/mode"
[ "$(chroot "$H/node3" stat -c '%U %a' /etc/drover/tls/node3.key)" = "drover 400" ] || fail "node3: TLS key owner/mode"
[ "$(chroot "$H/node3" stat -c '%U %a' /etc/drover/tls/ca.key)" = "root 400" ] || fail "node3: ca.key owner/mode"
[ -L "$H/node3/etc/systemd/system/multi-user.target.wants/drover-ctld.service" ] || fail "node3: drover-ctld not enabled"
grep -q '^/shared 192.168.1.0/24(rw,sync,no_subtree_check)$' "$H/node3/etc/exports" || fail "node3: /shared not exported"
[ "$(chroot "$H/node3" stat -c '%a' /shared)" = 1777 ] || fail "node3: /shared mode"
pass "packages, keys (owners, modes), one drover.yaml, NFS export and mounts, enabled units on the right hosts"

run_playbook 2 >"$TMP/recap2"
cat "$TMP/recap2"
grep -E '^node[0-9]' "$TMP/recap2" | grep -vqE 'changed=0 .*failed=0' &&
  { grep -B2 -A2 '^changed:' "$TMP/run2.log" >&2 || true; fail "the second run changed something"; }
[ "$(grep -cE '^node[0-9].*changed=0 .*failed=0' "$TMP/recap2")" -eq 4 ] || fail "recap of run 2 incomplete"
pass "second run: changed=0 on every host"

# The controller as systemd would run it: the drover user, the generated configuration and
# the keys as the playbook left them. It must load them and serve. /run/drover is what the
# unit's RuntimeDirectory= would make.
install -d -o drover -g drover -m 0755 "$H/node3/run/drover" 2>/dev/null ||
  chroot "$H/node3" install -d -o drover -g drover -m 0755 /run/drover
chroot --userspec=drover:drover "$H/node3" /usr/sbin/drover-ctld --config /etc/drover/drover.yaml \
  >"$TMP/ctld.log" 2>&1 &
CTLD_PID=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$TMP/ctld.log" && break
  kill -0 "$CTLD_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q 'listening on' "$TMP/ctld.log" || { cat "$TMP/ctld.log" >&2; fail "drover-ctld did not start as the drover user"; }
pass "drover-ctld starts as the drover user with the generated configuration and keys"
