#!/usr/bin/env bash
# Scenario 7, a power cut: every process of the cluster (ctld, each noded, every stepd and job)
# SIGKILLed at once, then every daemon started again. The queue is intact: the finished job is
# still in accounting, held and waiting jobs are still there with their ids and run exactly
# once, the jobs that were running end in a final state instead of vanishing or running
# again, and job ids continue.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$SHARED"

finished=$(on node3 sbatch --parsable --wrap 'echo done')
wait_until 60 job_done "$finished"
held=()
for i in 1 2 3; do held+=("$(on node3 sbatch --parsable --hold -J "held$i" --wrap 'echo x >> ran.$SLURM_JOB_ID')"); done
running=()
for n in "${WORKERS[@]}"; do
  running+=("$(on node3 sbatch --parsable -w "$n" -c 2 \
    --wrap 'echo x >> ran.$SLURM_JOB_ID; while [ ! -e release ]; do sleep 0.1; done')")
done
for id in "${running[@]}"; do wait_until 60 test -e "ran.$id"; done
queued=()
for i in 1 2 3 4; do queued+=("$(on node3 sbatch --parsable -c 2 -J "queued$i" --wrap 'echo x >> ran.$SLURM_JOB_ID')"); done
for id in "${held[@]}" "${queued[@]}"; do
  [ "$(job_state "$id")" = PENDING ] || fail "job $id is $(job_state "$id") before the power cut"
done
pass "before the cut: 1 finished, 3 running (one per node), 3 held and 4 waiting jobs"

power_cut
pass "power cut: every process of the cluster killed"
touch release  # nothing may run it any more: the jobs that were running are dead
for h in "${HOSTS[@]}"; do start "$h"; done
wait_until 60 nodes_up
pass "every daemon restarted and every node is up"

[ "$(acct_state "$finished")" = COMPLETED ] || fail "the finished job is $(acct_state "$finished")"
for id in "${held[@]}"; do
  [ "$(on node3 squeue -h -j "$id" -o '%T %r')" = "PENDING JobHeldUser" ] || fail "held job $id: $(on node3 squeue -h -j "$id" -o '%T %r')"
done
pass "the finished job is still COMPLETED, the held jobs are still held"
for id in "${running[@]}"; do wait_until 60 job_done "$id"; done
for id in "${running[@]}"; do
  state=$(acct_state "$id")
  case "$state" in FAILED|NODE_FAIL) ;; *) fail "job $id, running at the cut, ended $state" ;; esac
done
pass "the jobs running at the cut ended as $(acct_state "${running[0]}") in accounting"
for id in "${queued[@]}"; do wait_until 60 job_done "$id"; done
for id in "${queued[@]}"; do
  [ "$(acct_state "$id")" = COMPLETED ] || fail "queued job $id ended $(acct_state "$id")"
done
pass "the waiting jobs ran after the restart"
on node3 scontrol release "$(IFS=,; echo "${held[*]}")"
for id in "${held[@]}"; do wait_until 60 job_done "$id"; done
for id in "${held[@]}"; do
  [ "$(acct_state "$id")" = COMPLETED ] || fail "held job $id ended $(acct_state "$id")"
done
pass "the held jobs ran once released"
for id in "${running[@]}" "${queued[@]}" "${held[@]}"; do
  [ "$(wc -l < "ran.$id")" -eq 1 ] || fail "job $id ran $(wc -l < "ran.$id") times"
done
pass "no job ran twice"
new=$(on node3 sbatch --parsable --hold --wrap true)
for id in "$finished" "${held[@]}" "${running[@]}" "${queued[@]}"; do
  [ "$new" -gt "$id" ] || fail "job id $new handed out again (job $id exists)"
done
pass "job ids continue after the restart ($new)"
