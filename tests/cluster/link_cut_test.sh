#!/usr/bin/env bash
# Scenario 4: node2's cable unplugged for longer than the node timeout. node2 goes DOWN with the
# reason "Not responding"; its --no-requeue job ends NODE_FAIL and its --requeue job goes back
# to the queue; the job on node1 is untouched. Plugged back in, node2 registers again and is
# idle (drover has no return-to-service setting: a node that registers is back), the
# controller cancels the orphaned runs there, and the requeued job runs again once its lost
# run is gone. Every run appends a line to a file on the shared directory when it starts, so
# the test sees that no job ran twice at once and that the lost runs never finished.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$SHARED"

work='echo "start on $(hostname)" >> runs.$SLURM_JOB_ID; while [ ! -e release ]; do sleep 0.1; done; echo end >> runs.$SLURM_JOB_ID'
requeue=$(on node3 sbatch --parsable -w node2 --requeue -o /dev/null --wrap "$work")
norequeue=$(on node3 sbatch --parsable -w node2 --no-requeue -o /dev/null --wrap "$work")
bystander=$(on node3 sbatch --parsable -w node1 -o /dev/null --wrap "$work")
for id in "$requeue" "$norequeue" "$bystander"; do wait_until 60 test -s "runs.$id"; done
pass "two jobs run on node2, one on node1"

link_down node2
node2_down() { [ "$(node_state node2)" = 'down*' ]; }
wait_until 60 node2_down
on node3 scontrol show node node2 | grep -q 'Reason=Not responding' ||
  fail "no reason for node2: $(on node3 scontrol show node node2)"
pass "node2 is down* with reason 'Not responding' after its link was cut"
wait_until 30 job_done "$norequeue"
[ "$(acct_state "$norequeue")" = NODE_FAIL ] || fail "the --no-requeue job on node2 ended $(acct_state "$norequeue")"
pass "the --no-requeue job on node2 ended NODE_FAIL"
requeued() { [ "$(job_state "$requeue")" = PENDING ]; }
wait_until 30 requeued
pass "the --requeue job on node2 is pending again (it may run only on node2)"
[ "$(job_state "$bystander")" = RUNNING ] || fail "the job on node1 is $(job_state "$bystander")"
pass "the job on node1 is still running"

link_up node2
# Back in service: idle, or already running the requeued job again.
node2_back() { case "$(node_state node2)" in idle | mix | alloc) return 0 ;; *) return 1 ;; esac; }
wait_until 60 node2_back
pass "node2 is back in service once its link is back ($(node_state node2))"
# The orphans still running on node2 are cancelled when it registers; their spool is removed
# once the controller has their end.
wait_until 60 test ! -e "$TMP/spool/node2/job_$norequeue"
second_run() { [ "$(grep -c start "runs.$requeue")" -eq 2 ] && [ "$(job_state "$requeue")" = RUNNING ]; }
wait_until 60 second_run
! grep -q end "runs.$requeue" || fail "the lost run of job $requeue went on to its end"
pass "the requeued job runs again on node2, after its lost run was stopped"
touch release
wait_until 60 job_done "$bystander"
wait_until 60 job_done "$requeue"
[ "$(acct_state "$bystander")" = COMPLETED ] || fail "the job on node1 ended $(acct_state "$bystander")"
[ "$(acct_state "$requeue")" = COMPLETED ] || fail "the requeued job ended $(acct_state "$requeue")"
[ "$(grep -c end "runs.$requeue")" -eq 1 ] || fail "job $requeue: $(cat "runs.$requeue")"
[ "$(acct_state "$norequeue")" = NODE_FAIL ] || fail "job $norequeue is $(acct_state "$norequeue") after node2 came back"
[ "$(grep -c start "runs.$norequeue")" -eq 1 ] || fail "job $norequeue started $(grep -c start "runs.$norequeue") times"
! grep -q end "runs.$norequeue" || fail "job $norequeue ran on after the controller gave it up"
pass "no job ran twice at once; node2's orphans were stopped; the requeued and node1 jobs completed"
after=$(on node3 sbatch --parsable -w node2 -o /dev/null --wrap "$work")
wait_until 60 job_done "$after"
[ "$(acct_state "$after")" = COMPLETED ] || fail "a new job on node2 ended $(acct_state "$after")"
pass "node2 runs new jobs"
