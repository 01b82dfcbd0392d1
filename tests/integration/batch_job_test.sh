#!/usr/bin/env bash
# A batch job submitted with sbatch runs on a node as the submitting user, its output file has
# the expected content and owner, squeue shows it and then stops showing it.
source "$(dirname "$0")/lib.sh"
cluster_up

sinfo_out=$(sinfo -h -o '%P %a %D %t %N')
[ "$sinfo_out" = "batch* up 3 idle node[1-2,4]" ] || fail "sinfo: got '$sinfo_out'"
pass "sinfo shows node[1-2,4] idle"

work=$TMP/work
mkdir -p "$work"
as_user=()
owner=$(id -un)
if is_root; then
  chown nobody "$work"
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  owner=nobody
fi
cat > "$work/job.sh" <<'SCRIPT'
#!/bin/sh
#SBATCH --job-name=itest -N 1
#SBATCH -c 1 # one CPU
echo "id=$SLURM_JOB_ID name=$SLURM_JOB_NAME node=$SLURMD_NODENAME nodes=$SLURM_JOB_NODELIST"
echo "nnodes=$SLURM_NNODES submit_dir=$SLURM_SUBMIT_DIR cpus=$SLURM_CPUS_ON_NODE"
echo "drover=$DROVER_JOB_ID cwd=$(pwd) user=$(id -un)"
echo "args=$*"
# Runs until the test has seen it in squeue (a fixed sleep loses that race on a slow build);
# bounded so that a failed test leaves nothing behind.
for _ in $(seq 600); do [ -e release ] && break; sleep 0.1; done
SCRIPT
chmod 644 "$work/job.sh"
out=$(cd "$work" && "${as_user[@]}" sbatch job.sh one two)
[[ "$out" =~ ^Submitted\ batch\ job\ ([0-9]+)$ ]] || fail "sbatch printed '$out'"
id=${BASH_REMATCH[1]}
pass "sbatch printed 'Submitted batch job $id'"

squeue -h -o '%i %u %j' | grep -q "^$id $owner itest$" || fail "squeue does not show job $id"
pass "squeue shows the job"
touch "$work/release"
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job ended $(job_state "$id")"
squeue -h -o %i | grep -q "^$id$" && fail "squeue still shows finished job $id"
squeue -h -t all -o '%i %t' | grep -q "^$id CD$" || fail "squeue -t all does not show $id CD"
pass "squeue stops showing the job once it completed; -t all shows CD"

f=$work/slurm-$id.out
[ -f "$f" ] || fail "no output file $f"
[ "$(stat -c %U "$f")" = "$owner" ] || fail "output owned by $(stat -c %U "$f"), want $owner"
grep -q "^id=$id name=itest node=node1 nodes=node1$" "$f" || fail "unexpected output: $(cat "$f")"
grep -q "^nnodes=1 submit_dir=$work cpus=1$" "$f" || fail "unexpected output: $(cat "$f")"
grep -q "^drover=$id cwd=$work user=$owner$" "$f" || fail "unexpected output: $(cat "$f")"
grep -q "^args=one two$" "$f" || fail "script arguments lost: $(cat "$f")"
pass "output file content and owner ($owner)"

# A job whose output file cannot be opened fails, and says why (its error file is no help).
bad=$(sbatch --parsable -o /nonexistent-dir/out.txt --wrap true)
wait_until 30 job_done "$bad"
[ "$(job_state "$bad")" = FAILED ] || fail "job with an unopenable output ended $(job_state "$bad")"
reason=$(squeue -h -t all -j "$bad" -o %r)
[[ "$reason" == *"cannot open the job's output file /nonexistent-dir/out.txt"* ]] || fail "its reason is '$reason'"
pass "a job whose output cannot be opened fails with the reason: $reason"
