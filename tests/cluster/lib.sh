# shellcheck shell=bash
# The Turing Pi on one machine: a four-host drover cluster in network namespaces, and the
# faults the cluster tests inflict on it. Sourced by tests/cluster/*_test.sh with the binary
# directory as $1.
#
# Layout: one namespace per host (node3 runs drover-ctld; node1, node2, node4 run drover-noded),
# each with its own hostname (a UTS namespace per process tree), address and veth "cable" to a
# bridge. The bridge lives in a namespace of its own (the "switch"), so the whole network of a
# run is inside namespaces this run created: nothing is added to the host's own network, and
# runs in parallel cannot collide even if they picked the same subnet (they pick different ones
# anyway, from the PID). Every host shares the file system, as NFS would on the real board:
# $TMP/shared is the common working directory, and jobs' output files land there.
#
# Job cgroups go under drover-cl/SUFFIX/HOST in each hierarchy, so that runs in parallel (whose
# nodes all have the same names and job ids) never meet, and are removed at the end.
#
# Per host, under $TMP/hosts/HOST: drover.yaml (its copy of the cluster's config; the copies
# are identical, as on real hosts, so the controller sees no config mismatch), run/ (the host's
# own /run: every process of the host runs in a mount namespace where it is bind-mounted on
# $TMP/run, so auth_socket $TMP/run/auth.sock is a different socket on each host), daemon.log,
# pid. The controller's state is $TMP/state; spools are $TMP/spool/HOST.
#
# Everything (namespaces, links, processes, mounts, the directory) is removed on exit, pass,
# failure or interrupt. Any process left in one of our namespaces was started by this run, so
# cleanup kills exactly those.
# shellcheck disable=SC2034  # WORKERS and the helpers are for the scripts that source this
set -euo pipefail

BIN=$(cd "${1:?usage: $0 BIN_DIR}" && pwd)
SKIP=77  # ctest SKIP_RETURN_CODE

skip() { echo "SKIP: $*"; exit $SKIP; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

[ "$(id -u)" -eq 0 ] || skip "cluster tests need root (network namespaces, mounts)"
for tool in ip unshare setpriv mountpoint; do
  command -v "$tool" >/dev/null || skip "$tool is missing (scripts/install-deps installs iproute2 and util-linux)"
done

export PATH=$BIN:$PATH
unset DROVER_CONF DROVER_LOCAL_DIR
HOSTS=(node3 node1 node2 node4)
WORKERS=(node1 node2 node4)

# teardown SFX DIR: removes what the run with suffix SFX and directory DIR made. Every process
# in its namespaces was started by that run (daemons, stepds, jobs, clients).
teardown() {
  local sfx=$1 dir=$2 n
  for n in "${HOSTS[@]}" sw; do
    n=drv$sfx-$n
    [ -e "/run/netns/$n" ] || continue
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      [ -z "$(ip netns pids "$n" 2>/dev/null)" ] && break
      ip netns pids "$n" | xargs -r kill -9 2>/dev/null || true
      sleep 0.2
    done
  done
  if mountpoint -q "$dir/state"; then umount "$dir/state" 2>/dev/null || umount -l "$dir/state" || true; fi
  for n in "${HOSTS[@]}" sw; do
    if [ -e "/run/netns/drv$sfx-$n" ]; then ip netns del "drv$sfx-$n" 2>/dev/null || true; fi
  done
  remove_cgroups "drover-cl/$sfx"
  rm -rf "$dir"
}

# remove_cgroups PARENT: every job cgroup under PARENT (<hierarchy>/PARENT/<node>/job_<id>), in
# every hierarchy, deepest first; then drover-cl itself if no other run uses it.
remove_cgroups() {
  local top
  find /sys/fs/cgroup -maxdepth 6 -type d -path "*/$1" 2>/dev/null | while read -r top; do
    find "$top" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    rmdir "$(dirname "$top")" 2>/dev/null || true
  done
}

# A run killed outright (SIGKILL, a ctest timeout) cannot clean up: the next run does, for
# every run whose owner process is gone.
sweep_stale() {
  local d pid sfx
  for d in /tmp/drover-cl.*; do
    [ -f "$d/owner" ] || continue
    read -r pid sfx < "$d/owner" || continue
    [ -e "/proc/$pid" ] && continue
    echo "removing what an interrupted cluster test left behind: $d (namespaces drv$sfx-*)" >&2
    teardown "$sfx" "$d"
  done
}
sweep_stale

# Per-run suffix for namespace names: the PID is unique among live runs; the random part
# keeps a name left by a killed run from blocking a new run that got the same PID.
SFX=$(printf '%xx%02x' $$ $((RANDOM % 256)))
NET=10.231.$(($$ % 200 + 20))
declare -A IP=([node3]=$NET.3 [node1]=$NET.1 [node2]=$NET.2 [node4]=$NET.4)
SW=drv$SFX-sw
TMP=$(mktemp -d /tmp/drover-cl.XXXXXX)
echo "$$ $SFX" > "$TMP/owner"
chmod 755 "$TMP"
SHARED=$TMP/shared
mkdir -p "$SHARED" "$TMP/state" "$TMP/spool" "$TMP/run"
chmod 1777 "$SHARED"

ns() { echo "drv$SFX-$1"; }
conf() { echo "$TMP/hosts/$1/drover.yaml"; }

_cleaned=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ $_cleaned -eq 1 ] && exit $rc
  _cleaned=1
  if [ $rc -ne 0 ] && [ $rc -ne $SKIP ]; then
    for h in "${HOSTS[@]}"; do
      [ -f "$TMP/hosts/$h/daemon.log" ] || continue
      echo "--- $h daemon.log (last 30 lines)" >&2
      tail -n 30 "$TMP/hosts/$h/daemon.log" >&2
    done
  fi
  # Background clients of the test script first, so that nothing starts new work.
  jobs -p | xargs -r kill -9 2>/dev/null || true
  teardown "$SFX" "$TMP"
  wait 2>/dev/null || true
  exit $rc
}
trap cleanup EXIT INT TERM

# wait_until SECONDS CMD...: polls CMD until it succeeds; fails the test if it has not after
# SECONDS. The bound only keeps a broken build from hanging CI; tests never assert on time.
wait_until() {
  local limit=$1 deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for: $*"
    sleep 0.2
  done
}

# --- the network --------------------------------------------------------------------------

net_up() {
  ip netns add "$SW"
  ip -n "$SW" link set lo up
  ip -n "$SW" link add "br$SFX" type bridge
  ip -n "$SW" link set "br$SFX" up
  local h
  for h in "${HOSTS[@]}"; do
    ip netns add "$(ns "$h")"
    # The cable: eth0 in the host, a port named after the host on the switch.
    ip link add eth0 netns "$(ns "$h")" type veth peer name "$h" netns "$SW"
    ip -n "$SW" link set "$h" master "br$SFX" up
    ip -n "$(ns "$h")" addr add "${IP[$h]}/24" dev eth0
    ip -n "$(ns "$h")" link set eth0 up
    ip -n "$(ns "$h")" link set lo up
  done
}

# link_down HOST / link_up HOST: unplug and replug HOST's cable at the switch.
link_down() { ip -n "$SW" link set "$1" down; }
link_up() { ip -n "$SW" link set "$1" up; }

# netem HOST ARGS...: delay/loss on HOST's cable, both directions (`netem node1 delay 200ms
# loss 5%`): on what the host sends (its eth0) and on what the switch sends it (its port).
netem() {
  local h=$1
  shift
  tc -n "$(ns "$h")" qdisc replace dev eth0 root netem "$@"
  tc -n "$SW" qdisc replace dev "$h" root netem "$@"
}
netem_off() {
  tc -n "$(ns "$1")" qdisc del dev eth0 root
  tc -n "$SW" qdisc del dev "$1" root
}
# netem_available: whether the kernel has the netem qdisc (module sch_netem). Call after net_up.
netem_available() {
  tc -n "$SW" qdisc add dev lo root netem delay 1ms 2>/dev/null && tc -n "$SW" qdisc del dev lo root
}

# bpf_loss HOST PERCENT: where netem is missing, random loss on HOST's cable in both
# directions from a tc BPF classifier (tests/cluster/bpf/loss.c, built here with clang);
# bpf_loss_off HOST removes it. Fails if clang or tc's BPF loader is missing.
bpf_loss() {
  local h=$1 percent=$2 obj="$TMP/loss-$2.o"
  local arch_include
  arch_include=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  [ -e "$obj" ] || clang -O2 -target bpf -DLOSS_PERCENT="$percent" -I"$arch_include" \
    -c "$(dirname "${BASH_SOURCE[0]}")/bpf/loss.c" -o "$obj" || return 1
  tc -n "$(ns "$h")" qdisc replace dev eth0 clsact &&
    tc -n "$(ns "$h")" filter replace dev eth0 egress bpf da obj "$obj" sec tc &&
    tc -n "$SW" qdisc replace dev "$h" clsact &&
    tc -n "$SW" filter replace dev "$h" egress bpf da obj "$obj" sec tc
}
bpf_loss_off() {
  tc -n "$(ns "$1")" qdisc del dev eth0 clsact
  tc -n "$SW" qdisc del dev "$1" clsact
}

# --- keys, configuration, daemons -----------------------------------------------------------

# cluster_config: the cluster's drover.yaml.
# Scenarios may set NODE_TIMEOUT before cluster_up.
cluster_config() {
  cat <<EOF
# Written by tests/cluster/lib.sh: the Turing Pi's four hosts in network namespaces.
cluster: pi
controller: {host: node3, address: ${IP[node3]}, port: 7817}
state_dir: $TMP/state
spool_dir: $TMP/spool/%n
auth_socket: $TMP/run/auth.sock
key_file: $TMP/keys/cluster.key
tls: {ca: $TMP/keys/tls/ca.crt, cert: $TMP/keys/tls/%n.crt, key: $TMP/keys/tls/%n.key}
timeouts: {heartbeat_interval: 1, node_timeout: ${NODE_TIMEOUT:-5}, kill_wait: 2}
scheduling: {default_mem_per_cpu: 100M, allow_root_jobs: true}
cgroups: {parent: drover-cl/$SFX}
nodes:
  - {names: node1, address: ${IP[node1]}, cpus: 2, memory: 1G}
  - {names: node2, address: ${IP[node2]}, cpus: 2, memory: 1G}
  - {names: node4, address: ${IP[node4]}, cpus: 2, memory: 1G}
partitions:
  - {name: batch, nodes: "node[1-2,4]", default: true}
EOF
}

write_configs() {
  drover keygen --dir "$TMP/keys" --hosts "node[1-4]" >/dev/null
  local h
  for h in "${HOSTS[@]}"; do
    mkdir -p "$TMP/hosts/$h/run"
    cluster_config > "$(conf "$h")"
    chmod 644 "$(conf "$h")"
  done
}

# in_host HOST CMD...: CMD in HOST's network namespace, under its hostname (a new UTS
# namespace), with the host's run/ on $TMP/run (ip netns exec gives each command a mount
# namespace of its own, whose mounts do not propagate back).
host_prefix() {
  # shellcheck disable=SC2016  # expanded by the inner sh
  PREFIX=(ip netns exec "$(ns "$1")" unshare --uts sh -c
    'hostname "$0" && mount --bind "$1" "$2" && shift 2 && exec "$@"' "$1" "$TMP/hosts/$1/run" "$TMP/run")
}
in_host() {
  local PREFIX
  host_prefix "$1"
  shift
  "${PREFIX[@]}" "$@"
}

# start HOST: the host's daemon. noded is not told its name: it takes it from the hostname, as
# on a real node. The pid recorded is the daemon's own (each wrapper execs the next).
start() {
  local h=$1 cmd PREFIX
  if [ "$h" = node3 ]; then cmd=(drover-ctld --config "$(conf "$h")"); else cmd=(drover-noded --config "$(conf "$h")"); fi
  host_prefix "$h"
  "${PREFIX[@]}" "$BIN/${cmd[0]}" "${cmd[@]:1}" >>"$TMP/hosts/$h/daemon.log" 2>&1 </dev/null &
  echo $! > "$TMP/hosts/$h/pid"
  disown $!  # no "Killed" notices from bash when the faults kill it
}

# kill_daemon HOST: SIGKILL, as a crash would; returns once it is gone.
kill_daemon() {
  local pid
  pid=$(cat "$TMP/hosts/$1/pid")
  kill -9 "$pid" 2>/dev/null || true
  gone "$pid"
}
# gone PID: returns once PID has exited and been reaped (bash reaps disowned children too).
gone() { while [ -e "/proc/$1" ]; do sleep 0.05; done; }

# on HOST CMD...: runs CMD as root on HOST (its namespace, hostname and config).
on() {
  local h=$1
  shift
  in_host "$h" env DROVER_CONF="$(conf "$h")" "$@"
}
# as_nobody HOST CMD...: the same as the unprivileged user nobody.
as_nobody() {
  local h=$1
  shift
  on "$h" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

node_state() { on node3 sinfo -h -N -o '%N %t' | awk -v n="$1" '$1 == n { print $2 }'; }
# nodes_up: every node answers (idle, mixed or allocated).
nodes_up() {
  local states
  states=$(on node3 sinfo -h -N -o %t) && [ -n "$states" ] && ! grep -qv -e idle -e mix -e alloc <<<"$states"
}
nodes_idle() { [ "$(on node3 sinfo -h -o '%t %N')" = "idle node[1-2,4]" ]; }

# cluster_up: network, keys, configs, every daemon; returns when all three nodes are idle.
cluster_up() {
  net_up
  write_configs
  local h
  for h in "${HOSTS[@]}"; do start "$h"; done
  wait_until 60 nodes_idle
}

# power_cut: every process of the cluster SIGKILLed at once (daemons, stepds, jobs).
power_cut() {
  local h
  for h in "${HOSTS[@]}"; do
    # A job may fork between the listing and the kill, or end before it: list again.
    while [ -n "$(ip netns pids "$(ns "$h")")" ]; do
      ip netns pids "$(ns "$h")" | xargs -r kill -9 2>/dev/null || true
      sleep 0.05
    done
  done
  for h in "${HOSTS[@]}"; do gone "$(cat "$TMP/hosts/$h/pid")"; done
}

# --- state disk -----------------------------------------------------------------------------

# state_on_tmpfs SIZE: the controller's state directory becomes a small file system of its own
# (call before cluster_up).
state_on_tmpfs() { mount -t tmpfs -o "size=$1,mode=755" drover-state "$TMP/state"; }
# fill_state: writes a file until the state file system is full.
fill_state() { dd if=/dev/zero of="$TMP/state/filler" bs=4k 2>/dev/null || true; }
free_state() { rm -f "$TMP/state/filler"; }

# --- jobs -----------------------------------------------------------------------------------

job_state() { on node3 squeue -h -t all -j "$1" -o %T; }
acct_state() { on node3 sacct -n -X -P -j "$1" -o State; }
queue_empty() { [ -z "$(on node3 squeue -h -o %i)" ]; }
job_running() { [ "$(job_state "$1")" = RUNNING ]; }
job_done() { case "$(job_state "$1")" in PENDING|RUNNING|COMPLETING|CONFIGURING|"") return 1 ;; *) return 0 ;; esac; }
