#!/usr/bin/env bash
# A job past its time limit ends TIMEOUT: its script gets SIGTERM first, then, still running
# after kill_wait, SIGKILL; nothing it started is left, not even a setsid grandchild. The
# limit has Slurm's one-minute resolution, so this test takes a little over a minute (it
# mostly sleeps, in parallel with the others). Two more jobs run alongside it: one whose limit
# is lowered while it runs (it must end TIMEOUT at the new limit, after its --signal), and one
# whose limit root raises (it must outlive its old limit).
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

tag=drover-it-timeout-$$-$RANDOM
cat > job.sh <<SCRIPT
#!/bin/bash
trap 'echo got TERM' TERM
setsid bash -c 'exec -a $tag-daemon sleep 600' &
echo started
# Ignores SIGTERM (the trap only reports it): only SIGKILL ends the script.
while true; do sleep 0.2; done
SCRIPT
cat > lowered.sh <<'SCRIPT'
#!/bin/bash
trap 'echo got USR1' USR1
echo started
while true; do sleep 0.2; done
SCRIPT
id=$(sbatch --parsable --time=1 -o job.out job.sh)
lowered=$(sbatch --parsable --time=10 --signal=B:USR1@30 -o lowered.out lowered.sh)
raised=$(sbatch --parsable --time=1 -o raised.out lowered.sh)
wait_until 30 grep -q started lowered.out
wait_until 30 grep -q started raised.out
# Slurm's relative forms: TimeLimit=-N (older releases' spelling) and TimeLimit+=N (its manual's).
scontrol update JobId="$lowered" TimeLimit=-9 || fail "could not lower the running job's limit by 9 minutes"
scontrol update JobId="$raised" TimeLimit+=4 || fail "root could not raise the running job's limit by 4 minutes"
[ "$(squeue -h -j "$lowered" -o %l)" = "1:00" ] || fail "lowered job's %l: $(squeue -h -j "$lowered" -o %l)"
[ "$(squeue -h -j "$raised" -o %l)" = "5:00" ] || fail "raised job's %l: $(squeue -h -j "$raised" -o %l)"
if out=$(scontrol update JobId="$raised" Partition=batch 2>&1); then fail "a running job changed partition: $out"; fi
grep -q "only a pending job can change partition" <<<"$out" || fail "running job's Partition= said: $out"
if out=$(scontrol update JobId="$lowered" TimeLimit-=1 2>&1); then fail "a limit went to zero: $out"; fi
grep -q "cannot take" <<<"$out" || fail "TimeLimit-=1 of a one-minute limit said: $out"
pass "scontrol update TimeLimit=-9 / TimeLimit+=4 on running jobs (10:00 to 1:00, 1:00 to 5:00); Partition= refused"
wait_until 30 grep -q started job.out
wait_until 30 pgrep -f "^$tag-daemon"
[ "$(squeue -h -j "$id" -o %l)" = "1:00" ] || fail "squeue %l says $(squeue -h -j "$id" -o %l)"
pass "job $id runs with a one-minute limit"

wait_until 120 job_done "$id"
[ "$(job_state "$id")" = TIMEOUT ] || fail "past its limit the job is $(job_state "$id")"
[ "$(sacct -n -X -P -j "$id" -o State)" = TIMEOUT ] || fail "sacct: $(sacct -n -X -P -j "$id" -o State,ExitCode)"
pass "the job ended TIMEOUT (squeue and sacct)"
grep -q "got TERM" job.out || fail "the script never saw SIGTERM: $(cat job.out)"
pass "SIGTERM came first; the script ignored it and was killed after kill_wait"
wait_until 30 sh -c "! pgrep -f '^$tag-'"
pass "no process of the job is left, setsid grandchild included"
elapsed=$(sacct -n -X -P -j "$id" -o ElapsedRaw 2>/dev/null || true)
case "$elapsed" in
  '' | *[!0-9]*) ;;  # ElapsedRaw not offered: nothing more to check
  *) [ "$elapsed" -ge 60 ] || fail "the job ran only ${elapsed}s of its one-minute limit" ;;
esac
pass "it was not ended before its minute was up"

wait_until 60 job_done "$lowered"
[ "$(job_state "$lowered")" = TIMEOUT ] || fail "the lowered job ended $(job_state "$lowered")"
grep -q "got USR1" lowered.out || fail "the lowered job missed its --signal=B:USR1@30: $(cat lowered.out)"
pass "the job whose limit was lowered to a minute got its --signal, then ended TIMEOUT"
# Past 1:05 of run time and still running: its old one-minute limit no longer holds.
past_old_limit() { local t; t=$(squeue -h -t R -j "$raised" -o %M | tr -d :); [ -n "$t" ] && [ "$t" -ge 105 ]; }
wait_until 30 past_old_limit
[ "$(job_state "$raised")" = RUNNING ] || fail "the job whose limit was raised is $(job_state "$raised")"
scancel "$raised"
wait_until 30 job_done "$raised"
pass "the job whose limit was raised outlived its first minute"
