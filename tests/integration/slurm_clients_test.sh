#!/usr/bin/env bash
# Replays the command lines of the clients of CONTRACT.md §9.7 as those clients write them, and
# parses the output the way each client does (regexes and splits taken from their code), on one
# local cluster.
source "$(dirname "$0")/lib.sh"
cluster_up
WORK=$TMP/work
mkdir -p "$WORK"
cd "$WORK"
export USER=${USER:-$(id -un)}
finished() { job_done "$1"; }
live() { [ -n "$(squeue -h -t PD,R -j "$1" -o %i)" ]; }

# ---- Snakemake 7.21 --slurm ---------------------------------------------------------------
# get_default_partition: the word of `sinfo -o %P` with a '*', without it.
partition=$(sinfo -o %P | tr ' ' '\n' | grep '\*' | tr -d '*')
[ -n "$partition" ] || fail "Snakemake: no default partition in: $(sinfo -o %P)"
mkdir -p .snakemake/slurm_logs/rule_a
out=$(sbatch -J snakejob_a_1 -o .snakemake/slurm_logs/rule_a/%j.log --export=ALL -A smk -p "$partition" -t 5 \
  --mem 100 --cpus-per-task=1 -D "$WORK" --wrap='srun -n1 --cpu-bind=q sh -c "echo step on \$SLURMD_NODENAME"' 2>&1)
jobid=${out##* }  # out.split(" ")[-1] of stdout+stderr
[[ $jobid =~ ^[0-9]+$ ]] || fail "Snakemake: job id '$jobid' from '$out'"
wait_until 30 finished "$jobid"
# job_status: {JobIdRaw: State} over every line of `sacct -P -n --format=JobIdRaw,State -j ID`.
declare -A res=()
while IFS='|' read -r raw state; do res[$raw]=$state; done < <(sacct -P -n --format=JobIdRaw,State -j "$jobid")
[ "${res[$jobid]:-}" = COMPLETED ] || fail "Snakemake: sacct status of $jobid is '${res[$jobid]:-}' ($(declare -p res))"
[[ "$(scontrol show jobid -dd "$jobid")" =~ JobState=([A-Z_]+) ]] && [ "${BASH_REMATCH[1]}" = COMPLETED ] ||
  fail "Snakemake: scontrol fallback"
grep -q "^step on node" ".snakemake/slurm_logs/rule_a/$jobid.log" || fail "Snakemake: log $(cat ".snakemake/slurm_logs/rule_a/$jobid.log")"
# get_account / test_account.
account=$(sacct -nu "$USER" -o Account%20 | head -n1 | xargs)
[ "$account" = smk ] || fail "Snakemake: guessed account '$account'"
sacctmgr -n -s list user "$USER" format=account%20 | tr -s ' \n' '\n' | grep -qx smk || fail "Snakemake: sacctmgr accounts"
scancel "$jobid" || fail "Snakemake: scancel of a finished job"
pass "Snakemake --slurm: sinfo, sbatch --wrap, srun in the job, sacct/scontrol status, account guess"

# ---- Snakemake --cluster + profile + sidecar ------------------------------------------------
printf '#!/bin/sh\n#SBATCH --job-name=smk-cluster\n#SBATCH --time=0:05:00\nsleep 30\n' >"$WORK/jobscript.sh"
jobid=$(sbatch --parsable "$WORK/jobscript.sh" | head -n1 | cut -d';' -f1)
[[ $jobid =~ ^[0-9]+$ ]] || fail "--cluster: id '$jobid'"
# profile slurm-status.py: `sacct -P -b -j ID -n`, first line's second field.
state=$(sacct -P -b -j "$jobid" -n | head -n1 | cut -d'|' -f2)
case "$state" in PENDING | RUNNING) ;; *) fail "--cluster: sacct -P -b state '$state'" ;; esac
[[ "$(scontrol -o show job "$jobid")" =~ JobState=(PENDING|RUNNING) ]] || fail "--cluster: scontrol -o"
# sidecar: squeue --user --format=%i,%T --state=all, header JOBID,STATE.
side=$(squeue --user="$USER" --format=%i,%T --state=all)
[ "$(head -n1 <<<"$side")" = JOBID,STATE ] && grep -Eq "^$jobid,(PENDING|RUNNING)$" <<<"$side" ||
  fail "--cluster sidecar: $side"
second=$(sbatch --parsable "$WORK/jobscript.sh")
scancel "$jobid" "$second" || fail "--cluster: scancel two ids"
wait_until 20 finished "$second"
[ "$(sacct -P -b -j "$jobid" -n | head -n1 | cut -d'|' -f2)" = CANCELLED ] || fail "--cluster: state after scancel"
pass "Snakemake --cluster: sbatch --parsable, sacct -P -b, scontrol -o, squeue sidecar, scancel"

# ---- Open MPI 4.1 mpirun and MPICH Hydra inside an allocation ----------------------------------
cat >"$WORK/mpi.sh" <<'EOF'
#!/bin/sh
#SBATCH -N 2
echo "env $SLURM_JOBID $SLURM_NNODES $SLURM_NODELIST $SLURM_TASKS_PER_NODE"
# orte plm_slurm: one orted per node, argv with literal quotes and semicolons.
srun --ntasks-per-node=1 --kill-on-bad-exit --mpi=none --nodes=2 --nodelist=$SLURM_NODELIST --ntasks=2 \
  sh -c 'echo "orted $SLURM_NODEID $SLURMD_NODENAME $1"' orted '-mca ess "slurm";x'
# hydra bootstrap slurm.
srun -N 2 -n 2 --input none sh -c 'echo "proxy $SLURM_NODEID $1 $2"' hydra_pmi_proxy --proxy-id -1
EOF
jobid=$(sbatch --parsable "$WORK/mpi.sh")
wait_until 30 finished "$jobid"
log=$(cat "slurm-$jobid.out")
[[ "$log" =~ env\ $jobid\ 2\ ([^ ]+)\ ([^ $'\n']+) ]] || fail "MPI: batch env: $log"
nodes=$(scontrol show hostnames "${BASH_REMATCH[1]}" | tr '\n' ' ')
[ "$(grep '^orted' <<<"$log" | sort | tr '\n' '|')" = "orted 0 ${nodes%% *} -mca ess \"slurm\";x|orted 1 $(cut -d' ' -f2 <<<"$nodes") -mca ess \"slurm\";x|" ] ||
  fail "Open MPI: orted lines: $log"
[ "$(grep '^proxy' <<<"$log" | sort | tr '\n' '|')" = "proxy 0 --proxy-id -1|proxy 1 --proxy-id -1|" ] || fail "Hydra: $log"
pass "Open MPI and Hydra: srun launches one daemon per node with SLURM_NODEID/SLURMD_NODENAME and argv intact"

# ---- ClusterManagers.jl (outside an allocation) ---------------------------------------------
srun -J julia-4242 -n 2 -D "$WORK" -o "$WORK/job-%4t.out" sh -c 'echo "julia_worker:900$SLURM_PROCID#127.0.0.1"' ||
  fail "ClusterManagers.jl: srun failed"
[ "$(cat "$WORK/job-0000.out")" = "julia_worker:9000#127.0.0.1" ] && [ "$(cat "$WORK/job-0001.out")" = "julia_worker:9001#127.0.0.1" ] ||
  fail "ClusterManagers.jl: worker files: $(cat "$WORK"/job-*.out)"
pass "ClusterManagers.jl: srun -J -n -D -o %4t files"

# ---- SlurmClusterManager.jl (inside sbatch -n N, cookie on stdin) ------------------------------
cat >"$WORK/scm.sh" <<'EOF'
#!/bin/sh
#SBATCH -n 2
echo cookie123 | srun -D "$SLURM_SUBMIT_DIR" sh -c 'read c; echo "julia_worker:$SLURM_PROCID#$c ntasks=$SLURM_NTASKS"'
EOF
jobid=$(sbatch --parsable "$WORK/scm.sh")
wait_until 30 finished "$jobid"
[ "$(sort "slurm-$jobid.out" | tr '\n' '|')" = "julia_worker:0#cookie123 ntasks=2|julia_worker:1#cookie123 ntasks=2|" ] ||
  fail "SlurmClusterManager.jl: $(cat "slurm-$jobid.out")"
pass "SlurmClusterManager.jl: srun takes -n from SLURM_NTASKS, stdin to every task, only task lines on stdout"

# ---- dask-jobqueue ----------------------------------------------------------------------------
tmp=$(mktemp "$WORK/tmpXXXX.sh")
printf '#!/usr/bin/env bash\n#SBATCH -J dask-worker\n#SBATCH -n 1\n#SBATCH --cpus-per-task=1\n#SBATCH --mem=1G\n#SBATCH -t 00:30:00\nsleep 30\n' >"$tmp"
out=$(sbatch "$tmp")
rm -f "$tmp"
[[ $out =~ ([0-9]+) ]] || fail "dask: no digits in '$out'"
jobid=${BASH_REMATCH[1]}
live "$jobid" || fail "dask: job $jobid not queued"
scancel "$jobid" || fail "dask: scancel"
pass "dask-jobqueue: sbatch of a deleted temp file, first digits, scancel"

# ---- submitit ---------------------------------------------------------------------------------
cat >"$WORK/submission.sh" <<'EOF'
#!/bin/bash
#SBATCH --job-name=submitit
#SBATCH --output=%j_0_log.out
#SBATCH --error=%j_0_log.err
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --signal=USR2@90
#SBATCH --open-mode=append
#SBATCH --time=5
srun --unbuffered --output %j_%t_log.out --error %j_%t_log.err sh -c 'echo "task $SLURM_PROCID of $SLURM_NTASKS on $SLURM_JOB_NODELIST"'
EOF
out=$(sbatch "$WORK/submission.sh" 2>/dev/null)
mv "$WORK/submission.sh" "$WORK/submission.renamed"
[[ $out =~ job\ ([0-9]+) ]] || fail "submitit: '$out'"
jobid=${BASH_REMATCH[1]}
wait_until 30 finished "$jobid"
# read_job_id / sacct: -o JobID,State,NodeList --parsable2 -jID; header names the columns.
acct=$(sacct -o JobID,State,NodeList --parsable2 "-j$jobid")
[ "$(head -n1 <<<"$acct")" = "JobID|State|NodeList" ] || fail "submitit: header '$(head -n1 <<<"$acct")'"
grep -Eq "^$jobid\|COMPLETED\|node[0-9]+$" <<<"$acct" || fail "submitit: rows $acct"
grep -q "^task 0 of 1 on node" "${jobid}_0_log.out" || fail "submitit: task log $(cat "${jobid}_0_log.out" 2>&1)"
jobid=$(sbatch --parsable --wrap 'sleep 30')
wait_until 20 sh -c "[ \"\$(squeue -h -j $jobid -o %t)\" = R ]"
scontrol requeue "$jobid" || fail "submitit: scontrol requeue"
scancel "$jobid" || fail "submitit: scancel"
pass "submitit: sbatch of a renamed file, 'job (\\d+)', sacct --parsable2 -jID, srun --unbuffered --output, requeue"

# ---- Nextflow ---------------------------------------------------------------------------------
mkdir -p "$WORK/nf/ab/cdef"
cd "$WORK/nf/ab/cdef"
printf '#!/bin/bash\n#SBATCH -J nf-task\n#SBATCH -o %s/.command.log\n#SBATCH --no-requeue\n#SBATCH -c 1\n#SBATCH -t 00:10:00\n#SBATCH --mem 100M\necho $PWD > .exitcode.dir; echo 0 > .exitcode\n' "$PWD" >.command.run
out=$(sbatch .command.run)
[[ $out =~ Submitted\ batch\ job\ ([0-9]+) ]] || fail "Nextflow: '$out'"
jobid=${BASH_REMATCH[1]}
cd "$WORK"
wait_until 30 finished "$jobid"
[ "$(cat "$WORK/nf/ab/cdef/.exitcode.dir")" = "$WORK/nf/ab/cdef" ] || fail "Nextflow: cwd of the task"
# parseQueueStatus: exactly two whitespace-separated fields per line.
status=$(squeue --noheader -o '%i %t' -t all -p "$partition" -u "$USER")
while read -r line; do
  set -- $line
  [ $# -eq 2 ] || fail "Nextflow: status line '$line'"
done <<<"$status"
grep -qx "$jobid CD" <<<"$status" || fail "Nextflow: '$jobid CD' not in: $status"
pass "Nextflow: sbatch .command.run from the work dir, squeue two-field status lines"
