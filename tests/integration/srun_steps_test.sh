#!/usr/bin/env bash
# Job steps: srun inside a batch job makes steps N.0, N.1 that sacct and squeue -s show;
# Ctrl-C, SIGTERM and the loss of srun end the step and leave no process on any node;
# --kill-on-bad-exit; per-task output files exist while the tasks run.
source "$(dirname "$0")/lib.sh"
cluster_up

procs() { pgrep -f "^sleep $1" | wc -l; }
no_procs() { [ "$(procs "$1")" -eq 0 ]; }
n_procs() { [ "$(procs "$1")" -eq "$2" ]; }

work=$TMP/work
mkdir -p "$work"
cat > "$work/steps.sh" <<'SCRIPT'
#!/bin/sh
#SBATCH -N2 -o steps-%j.out
srun printenv SLURM_STEP_ID | sort -u
srun -n1 --cpu-bind=q sh -c 'echo "nodes=$SLURM_STEP_NODELIST ntasks=$SLURM_NTASKS"'
SCRIPT
id=$(cd "$work" && sbatch --parsable steps.sh)
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "batch job with steps ended $(job_state "$id"): $(cat "$work/steps-$id.out")"
out=$(cat "$work/steps-$id.out")
[ "$out" = $'0\nnodes=node1 ntasks=1' ] || fail "steps printed '$out'"
want="$id|steps.sh|COMPLETED|0:0 $id.batch|batch|COMPLETED|0:0 $id.0|printenv|COMPLETED|0:0 $id.1|sh|COMPLETED|0:0 "
# A node reports its part of a step a moment after srun has returned.
sacct_rows() { [ "$(sacct -j "$id" -P -n -o JobID,JobName,State,ExitCode | tr '\n' ' ')" = "$want" ]; }
wait_until 10 sacct_rows
pass "a batch script calling srun twice makes steps $id.0 and $id.1 (sacct)"

# A running step in squeue -s; Ctrl-C ends it on every node.
srun -N3 sleep 3171 &
pid=$!
wait_until 20 n_procs 3171 3
squeue -s -h -o '%i %j %N' | grep -Eq '^[0-9]+\.0 sleep node\[1-2,4\]$' || fail "squeue -s: $(squeue -s)"
pass "squeue -s lists the running step"
kill -INT $pid
set +e
wait $pid
rc=$?
set -e
[ $rc -eq 130 ] || fail "srun after Ctrl-C exited $rc, want 130"
wait_until 10 no_procs 3171
pass "Ctrl-C sends SIGINT to the tasks; nothing is left behind"

srun -N2 sh -c 'trap "" INT; sleep 3172' &
pid=$!
wait_until 20 n_procs 3172 2
kill -INT $pid
sleep 0.2
kill -INT $pid
set +e
wait $pid
set -e
wait_until 10 no_procs 3172
pass "a second Ctrl-C within a second kills the step"

srun -N3 sleep 3173 &
pid=$!
wait_until 20 n_procs 3173 3
kill -TERM $pid
set +e
wait $pid
set -e
wait_until 15 no_procs 3173
pass "SIGTERM to srun ends the step"

srun -N3 sleep 3174 &
pid=$!
wait_until 20 n_procs 3174 3
kill -KILL $pid
wait $pid 2>/dev/null || true
wait_until 15 no_procs 3174
wait_until 15 sh -c '[ -z "$(squeue -h -o %i)" ]'
pass "when srun dies its step is torn down and its allocation ends"

set +e
srun -n2 -K sh -c 'if [ "$SLURM_PROCID" = 1 ]; then exit 3; fi; exec sleep 3175' 2>/dev/null
rc=$?
set -e
[ $rc -ne 0 ] || fail "srun -K exited 0"
wait_until 15 no_procs 3175
pass "--kill-on-bad-exit ends the step at the first failing task (exit $rc)"

srun -n2 -o "$work/out-%j-%4t.txt" sh -c 'echo "task $SLURM_PROCID"; exec sleep 3176' &
pid=$!
have_files() { [ "$(cat "$work"/out-*-0000.txt 2>/dev/null)" = "task 0" ] && [ "$(cat "$work"/out-*-0001.txt 2>/dev/null)" = "task 1" ]; }
wait_until 20 have_files
pass "per-task output files (%4t) exist and are written while the tasks run"
kill -TERM $pid
wait $pid 2>/dev/null || true
wait_until 15 no_procs 3176

out=$(echo ignored | srun -n2 --input=none sh -c 'cat; echo done' | sort | tr '\n' ' ')
[ "$out" = "done done " ] || fail "--input=none: '$out'"
out=$(srun -n3 -o 1 printenv SLURM_PROCID)
[ "$out" = 1 ] || fail "-o 1 printed '$out'"
pass "--input=none and --output=<task>"

# srun --signal=USR1@50 with a one-minute limit: the step's tasks get USR1 about ten seconds
# in (not waiting for the limit), outside a job (srun's own allocation, -t 1) ...
out=$(srun -n2 -t 1 --signal=USR1@50 bash -c 'trap "echo got USR1; exit 0" USR1; while true; do sleep 0.2; done' |
  sort | tr '\n' ' ')
[ "$out" = "got USR1 got USR1 " ] || fail "srun -n2 -t 1 --signal=USR1@50: '$out'"
pass "srun --signal=USR1@50 reaches every task of its own allocation's step before the limit"
# ... and inside one, to that step alone (not the batch shell, not the step beside it).
cat > "$work/signal.sh" <<'SCRIPT'
#!/bin/bash
trap 'echo batch got USR1' USR1
srun -n1 --signal=USR1@50 bash -c 'trap "echo step-a got USR1; exit 0" USR1; while true; do sleep 0.2; done' &
srun -n1 bash -c 'trap "echo step-b got USR1; exit 0" USR1; sleep 20; echo step-b done'
wait
SCRIPT
sid=$(cd "$work" && sbatch --parsable -n2 -t 1 -o signal.out signal.sh)
wait_until 60 job_done "$sid"
[ "$(job_state "$sid")" = COMPLETED ] || fail "the --signal job ended $(job_state "$sid"): $(cat "$work/signal.out")"
grep -q "step-a got USR1" "$work/signal.out" || fail "the step with --signal missed it: $(cat "$work/signal.out")"
grep -q "step-b done" "$work/signal.out" || fail "the other step did not finish: $(cat "$work/signal.out")"
if grep -q "step-b got\|batch got" "$work/signal.out"; then fail "the signal went further: $(cat "$work/signal.out")"; fi
pass "srun --signal inside a job signals that step alone"
