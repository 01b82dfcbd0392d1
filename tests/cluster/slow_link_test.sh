#!/usr/bin/env bash
# Scenario 5: node1's link gets 200 ms of latency and 5% packet loss in each direction.
# Submissions from node1 (over that link) and jobs on node1 still work, only slower; node1 is
# never declared down. Needs the kernel's netem queueing discipline (sch_netem); without it the
# test reports SKIP.
NODE_TIMEOUT=15  # the real default is 60; 5 would be tight for heartbeats over a lossy link
source "$(dirname "$0")/lib.sh"
net_up
netem_available || skip "tc's netem qdisc is not available (kernel module sch_netem missing): cannot add latency or loss"
write_configs
for h in "${HOSTS[@]}"; do start "$h"; done
wait_until 60 nodes_idle
cd "$SHARED"

netem node1 delay 200ms loss 5%
pass "node1's link: $(tc -n "$(ns node1)" qdisc show dev eth0 | head -1)"
start_s=$SECONDS
ids=()
for i in $(seq 1 10); do
  ids+=("$(on node1 sbatch --parsable -w node1 --wrap "echo slow $i on \$(hostname)")")
  ids+=("$(on node1 sbatch --parsable -w node2 --wrap "echo fast $i on \$(hostname)")")
done
for id in "${ids[@]}"; do wait_until 180 job_done "$id"; done
for id in "${ids[@]}"; do
  [ "$(acct_state "$id")" = COMPLETED ] || fail "job $id ended $(acct_state "$id")"
  grep -Eq '^(slow [0-9]+ on node1|fast [0-9]+ on node2)$' "slurm-$id.out" || fail "job $id wrote: $(cat "slurm-$id.out")"
done
pass "20 jobs submitted from node1 over the slow link completed, half of them on node1 ($((SECONDS - start_s)) s)"
! grep -q "NodeDown\|node1.*Not responding" "$TMP/hosts/node3/daemon.log" || fail "node1 was declared down"
[ "$(node_state node1)" = idle ] || fail "node1 is $(node_state node1)"
pass "node1 was never declared down"
netem_off node1
id=$(on node1 sbatch --parsable -w node1 --wrap true)
wait_until 60 job_done "$id"
[ "$(acct_state "$id")" = COMPLETED ] || fail "after the link recovered, job $id ended $(acct_state "$id")"
pass "with the link healthy again, node1 runs jobs"
