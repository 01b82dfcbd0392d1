#!/usr/bin/env bash
# A test script killed outright — ctest's timeout sends SIGKILL, so its trap never runs — leaves
# no daemon behind: lib.sh's watchdog takes its cluster down (controller, node daemon, the
# job's supervisor and the job) and removes its directory.
source "$(dirname "$0")/lib.sh"

# The victim: an ordinary test that starts a one-node cluster and a long job, says where they
# are, and then idles until it is killed.
victim=$TMP/victim_test.sh
cat >"$victim" <<SCRIPT
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
echo "\$TMP" >"$TMP/victim.tmp"
cluster_up --nodes 1
cat >"\$TMP/job.sh" <<'JOB'
#!/bin/sh
echo \$\$ >"$TMP/job.pid"
exec sleep 600
JOB
(cd "\$TMP" && sbatch job.sh >/dev/null)
wait_until 60 test -s "$TMP/job.pid"
cat "\$CLUSTER"/run/*.pid "\$CLUSTER"/spool/*/*/stepd.pid >"$TMP/victim.pids"
touch "$TMP/victim.ready"
while :; do sleep 0.1; done
SCRIPT
bash "$victim" "$BIN" &
victim_pid=$!
ready_or_dead() { [ -e "$TMP/victim.ready" ] || ! kill -0 "$victim_pid" 2>/dev/null; }
wait_until 90 ready_or_dead
[ -e "$TMP/victim.ready" ] || fail "the victim test ended before its cluster and job were up"
victim_tmp=$(cat "$TMP/victim.tmp")
pids=$(cat "$TMP/victim.pids" "$TMP/job.pid")
[ "$(echo "$pids" | wc -w)" -ge 4 ] || fail "expected ctld, noded, stepd and job pids, got: $pids"
for p in $pids; do kill -0 "$p" || fail "process $p of the victim's cluster is not running"; done
pass "the victim test runs a cluster with a job (pids ${pids//$'\n'/ })"

kill -9 "$victim_pid"
wait "$victim_pid" 2>/dev/null || true
none_left() {
  local p
  for p in $pids; do
    if kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then return 1; fi
  done
}
wait_until 60 none_left
pass "after kill -9 of the test script no daemon, supervisor or job of its cluster runs"
wait_until 30 test ! -e "$victim_tmp"
pass "its directory $victim_tmp is gone"
