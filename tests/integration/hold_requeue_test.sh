#!/usr/bin/env bash
# Hold, release and requeue through the Slurm front ends (CONTRACT.md CT-1, CT-2).
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

id=$(sbatch --parsable --hold --wrap 'echo run $SLURM_JOB_ID')
[ "$(squeue -h -j "$id" -o '%t %r')" = "PD JobHeldUser" ] || fail "held: $(squeue -h -j "$id" -o '%t %r')"
scontrol show job "$id" | grep -q "JobState=PENDING" || fail "scontrol show job"
# Its priority breakdown is there at once, without waiting for a scheduling pass.
explain=$(drover queue --explain "$id")
echo "$explain" | grep -q "^job $id (.*), priority [0-9-]*, [0-9]* of [0-9]* pending; waiting: JobHeldUser" ||
  fail "--explain right after sbatch: $explain"
scontrol release "$id"
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "released job ended $(job_state "$id")"
pass "sbatch --hold, scontrol release"

id2=$(sbatch --parsable --wrap 'sleep 300')
scontrol hold "$id2" 2>/dev/null || true  # may already run; hold only applies to pending jobs
scontrol release "$id2" 2>/dev/null || true
wait_until 30 sh -c "[ \"\$(squeue -h -j $id2 -o %T)\" = RUNNING ]"
scontrol requeue "$id2"
wait_until 30 sh -c "[ \"\$(scontrol -o show job $id2 | grep -o 'Restarts=[0-9]*')\" = Restarts=1 ]"
wait_until 30 sh -c "[ \"\$(squeue -h -j $id2 -o %T)\" = RUNNING ]"
pass "scontrol requeue stops the running job and runs it again (Restarts=1)"
scontrol -o show job "$id2" | grep -q "JobState=RUNNING" || fail "scontrol -o"
scontrol show jobid -dd "$id2" | grep -q "JobState=RUNNING" || fail "scontrol show jobid -dd"
pass "scontrol show job / -o / jobid -dd carry JobState="
scancel "$id2"

id3=$(sbatch --parsable --wrap 'true')
wait_until 30 job_done "$id3"
scontrol requeuehold "$id3"
[ "$(squeue -h -j "$id3" -o '%t %r')" = "PD JobHeldUser" ] || fail "requeuehold: $(squeue -h -j "$id3" -o '%t %r')"
explain=$(drover queue --explain "$id3")
echo "$explain" | grep -q "^job $id3 (.*), priority " || fail "--explain right after requeuehold: $explain"
pass "a finished job requeued with hold is pending and held"

[ "$(scontrol show hostnames 'node[1-2,4]' | paste -sd' ')" = "node1 node2 node4" ] || fail "show hostnames"
[ "$(scontrol show hostlist node1,node2,node4)" = "node[1-2,4]" ] || fail "show hostlist"
pass "scontrol show hostnames / hostlist"

if scontrol hold 999999 2>/dev/null; then fail "hold of an unknown job succeeded"; fi
pass "unknown ids are errors for scontrol"
