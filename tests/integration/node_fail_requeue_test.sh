#!/usr/bin/env bash
# A node that fails under its jobs: a --requeue job waits and runs again (SLURM_RESTART_COUNT
# set), a --no-requeue job ends NODE_FAIL; when the node comes back, the lost runs are killed
# and reported late, and nothing is counted twice.
source "$(dirname "$0")/lib.sh"
cluster_up

cat >"$TMP/job.sh" <<'SCRIPT'
#!/bin/sh
run=${SLURM_RESTART_COUNT:-0}
echo "run $run on $SLURMD_NODENAME"
# The first run outlives the test unless it is killed; a later one ends at once.
[ "$run" = 0 ] && sleep 120
echo "end $run"
SCRIPT
cd "$TMP"
again=$(sbatch --parsable --requeue -w node1 -o "$TMP/again.out" "$TMP/job.sh")
once=$(sbatch --parsable --no-requeue -w node1 -o "$TMP/once.out" "$TMP/job.sh")
wait_until 30 sh -c "[ \"\$(squeue -h -j $again,$once -o %T | sort -u)\" = RUNNING ]"
wait_until 10 grep -q "run 0 on node1" "$TMP/again.out"
pass "both jobs run on node1"

drover local kill node1
wait_until 60 sh -c "[ \"\$(squeue -h -t all -j $once -o %T)\" = NODE_FAIL ]"
pass "the --no-requeue job ended NODE_FAIL when node1 stopped answering"
state=$(squeue -h -t all -j "$again" -o %T)
[ "$state" = PENDING ] || fail "the --requeue job is $state, not PENDING"
pass "the --requeue job waits for its next run"

drover local start node1
wait_until 60 sh -c "[ \"\$(squeue -h -t all -j $again -o %T)\" = COMPLETED ]"
grep -q "^end [1-9]" "$TMP/again.out" || fail "no later run ended: $(cat "$TMP/again.out")"
grep -q "^end 0" "$TMP/again.out" && fail "the lost first run was counted: $(cat "$TMP/again.out")"
pass "the job ran again on node1 and completed (SLURM_RESTART_COUNT $(grep -o '^end [0-9]*' "$TMP/again.out" | tail -1 | cut -d' ' -f2))"
[ "$(squeue -h -t all -j "$once" -o %T)" = NODE_FAIL ] || fail "the --no-requeue job changed state"
pass "the lost run's late end left the NODE_FAIL job as it was"
n=$(sacct -n -X -P -j "$again" -o JobID,State | grep -c "^$again|")
[ "$n" = 1 ] || fail "sacct lists job $again $n times"
pass "sacct has the requeued job once"
