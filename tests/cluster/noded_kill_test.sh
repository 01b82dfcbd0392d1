#!/usr/bin/env bash
# Scenario 3: drover-noded SIGKILLed on one worker in the middle of a job. The job keeps running
# under its stepd and finishes while the daemon is dead; the restarted daemon reports it, and
# the job is COMPLETED with its whole output. A job on another worker is untouched.
NODE_TIMEOUT=30  # the node must not be declared down during the short outage
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$SHARED"

cat > job.sh <<'SCRIPT'
#!/bin/sh
echo "before on $(hostname)"
while [ ! -e "release.$SLURM_JOB_ID" ]; do sleep 0.1; done
echo "after on $(hostname)"
SCRIPT
victim=$(on node3 sbatch --parsable -w node2 job.sh)
bystander=$(on node3 sbatch --parsable -w node4 job.sh)
wait_until 60 grep -q before "slurm-$victim.out"
wait_until 60 grep -q before "slurm-$bystander.out"

kill_daemon node2
touch "release.$victim"
wait_until 60 grep -q after "slurm-$victim.out"
pass "the job on node2 kept running and finished while node2's daemon was dead"
[ "$(job_state "$bystander")" = RUNNING ] || fail "the job on node4 is $(job_state "$bystander")"
pass "the job on node4 is still running"

start node2
wait_until 60 job_done "$victim"
[ "$(acct_state "$victim")" = COMPLETED ] || fail "the job on node2 ended $(acct_state "$victim")"
[ "$(cat "slurm-$victim.out")" = "$(printf 'before on node2\nafter on node2')" ] || fail "output: $(cat "slurm-$victim.out")"
pass "the restarted daemon reported the job COMPLETED, with its output intact"
touch "release.$bystander"
wait_until 60 job_done "$bystander"
[ "$(acct_state "$bystander")" = COMPLETED ] || fail "the job on node4 ended $(acct_state "$bystander")"
wait_until 60 nodes_idle
pass "node2 is idle again and the job on node4 completed"
