#!/usr/bin/env bash
# srun outside and inside an allocation: task layout and environment, I/O (stdout, stdin,
# labels, argv kept intact), exit status, and the allocation ending with the step.
source "$(dirname "$0")/lib.sh"
cluster_up

out=$(srun -N3 printenv SLURMD_NODENAME | sort | tr '\n' ' ')
[ "$out" = "node1 node2 node4 " ] || fail "srun -N3 printenv SLURMD_NODENAME printed '$out'"
pass "srun -N3 runs one task on each of node1, node2, node4"

out=$(echo hi | srun -n1 cat)
[ "$out" = hi ] || fail "echo hi | srun -n1 cat printed '$out'"
pass "stdin reaches the task"

out=$(srun -n4 -l sh -c 'echo "task $SLURM_PROCID of $SLURM_NTASKS"' | sort)
want=$'0: task 0 of 4\n1: task 1 of 4\n2: task 2 of 4\n3: task 3 of 4'
[ "$out" = "$want" ] || fail "srun -n4 -l printed '$out'"
pass "-l labels every line with its task id"

set +e
srun -n2 sh -c 'exit $SLURM_PROCID' 2>"$TMP/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "srun -n2 sh -c 'exit \$SLURM_PROCID' exited $rc, want 1"
grep -q "task 1: Exited with exit code 1" "$TMP/err" || fail "no task exit message: $(cat "$TMP/err")"
pass "exit status is the highest task exit status"

set +e
srun -n1 sh -c 'kill -TERM $$'
rc=$?
set -e
[ $rc -eq 143 ] || fail "a task killed by SIGTERM gave $rc, want 143"
pass "a task killed by signal N gives 128+N"

out=$(srun -n1 printf '[%s]\n' 'a "quoted" word' 'semi;colon' '  spaces  ' '$HOME' '')
want=$'[a "quoted" word]\n[semi;colon]\n[  spaces  ]\n[$HOME]\n[]'
[ "$out" = "$want" ] || fail "argv changed on the way: '$out'"
pass "argv arrives intact (quotes, semicolons, spaces, no shell expansion)"

out=$(srun -n1 false 2>/dev/null; echo "rc=$?")
[ "$out" = "rc=1" ] || fail "srun false: $out"
nothing=$(srun -n1 true)
[ -z "$nothing" ] || fail "srun printed something of its own on stdout: '$nothing'"
pass "nothing of srun's own on stdout"

# The allocation srun made ends with the step: nothing is left running.
wait_until 10 sh -c '[ -z "$(squeue -h -o %i)" ]'
pass "srun's allocations are gone when it ends"

if is_root; then
  out=$(cd /tmp && setpriv --reuid=nobody --regid=nogroup --clear-groups "$(command -v srun)" -n1 sh -c 'id -un; pwd')
  [ "$out" = $'nobody\n/tmp' ] || fail "task identity/cwd: '$out'"
  pass "tasks run as the calling user, in its working directory"
fi

# salloc holds an allocation while its command runs; srun inside makes steps of it.
out=$(salloc -N2 sh -c 'srun printenv SLURMD_NODENAME | sort | tr "\n" " "; echo "job=$SLURM_JOB_ID nodes=$SLURM_JOB_NODELIST"' 2>"$TMP/salloc.err")
[[ "$out" =~ ^node[0-9]\ node[0-9]\ job=([0-9]+)\ nodes=node\[[0-9,-]+\]$ ]] || fail "salloc printed '$out' ($(cat "$TMP/salloc.err"))"
id=${BASH_REMATCH[1]}
grep -q "^salloc: Granted job allocation $id$" "$TMP/salloc.err" || fail "salloc stderr: $(cat "$TMP/salloc.err")"
[ "$(job_state "$id")" = COMPLETED ] || fail "salloc's job ended $(job_state "$id")"
steps_done() { [ "$(sacct -j "$id" -P -n -o JobID,State | tr '\n' ' ')" = "$id|COMPLETED $id.0|COMPLETED " ]; }
wait_until 10 steps_done
pass "salloc: srun inside runs a step ($id.0) of the allocation, which ends with the command"
