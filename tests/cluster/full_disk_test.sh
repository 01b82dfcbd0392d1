#!/usr/bin/env bash
# Scenario 6: the controller's state disk fills up. Submissions are refused with a clear error
# and a non-zero exit, every acknowledged job is still there, a job that ends meanwhile is
# recorded once the space is back, and work resumes when the disk is freed.
source "$(dirname "$0")/lib.sh"
net_up
state_on_tmpfs 16m
write_configs
for h in "${HOSTS[@]}"; do start "$h"; done
wait_until 60 nodes_idle
cd "$SHARED"

before=()
for i in 1 2 3; do before+=("$(on node3 sbatch --parsable --hold -J "before$i" --wrap true)"); done
running=$(on node3 sbatch --parsable -w node1 --wrap 'while [ ! -e release ]; do sleep 0.1; done; echo done')
wait_until 60 job_running "$running"

fill_state
pass "state disk full ($(df -h --output=avail "$TMP/state" | tail -1 | tr -d ' ') left)"
# SQLite may still reuse space its journal already holds: submit until the disk refuses.
refused=0 acked=()
for i in $(seq 1 200); do
  if id=$(on node3 sbatch --parsable -J "during$i" --wrap true 2>err); then
    acked+=("$id")
  else
    refused=1
    break
  fi
done
[ $refused -eq 1 ] || fail "200 submissions accepted on a full disk"
grep -qi "disk is full" err || fail "unclear refusal: $(cat err)"
pass "a submission is refused with a non-zero exit and: $(head -1 err)"
touch release
sleep 3  # the job ends now; its end cannot be stored yet

free_state
after=$(on node3 sbatch --parsable -J after --wrap true)
pass "the disk is freed: submissions are accepted again"
wait_until 60 job_done "$running"
[ "$(acct_state "$running")" = COMPLETED ] || fail "the job that ended on a full disk is $(acct_state "$running")"
pass "the job that ended while the disk was full is recorded COMPLETED"
for id in "${before[@]}"; do
  [ "$(on node3 squeue -h -j "$id" -o '%T %r')" = "PENDING JobHeldUser" ] || fail "job $id: $(on node3 squeue -h -j "$id" -o '%T %r')"
done
for id in "${acked[@]}" "$after"; do wait_until 60 job_done "$id"; done
for id in "${acked[@]}" "$after"; do
  [ "$(acct_state "$id")" = COMPLETED ] || fail "job $id ended $(acct_state "$id")"
done
pass "nothing acknowledged was lost: 3 held jobs still held, ${#acked[@]} jobs accepted before the refusal and the new job completed"
