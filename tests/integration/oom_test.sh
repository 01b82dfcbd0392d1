#!/usr/bin/env bash
# A job that allocates past its --mem ends OUT_OF_MEMORY in squeue and sacct (root, with a
# cgroup memory controller); one that stays under its limit is untouched.
source "$(dirname "$0")/lib.sh"
if ! is_root; then echo "skipped: needs root for cgroups"; exit 0; fi
if [ ! -e /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/memory ]; then
  echo "skipped: no cgroup memory controller"; exit 0
fi
cluster_up
cd "$TMP"
# `drover local down` (lib.sh's trap) removes the cluster's cgroups, even on failure.

# tail keeps a line-less stream in memory: 300 MB against a 50 MB limit.
id=$(sbatch --parsable --mem=50M -o oom.out --wrap 'head -c 300M /dev/zero | tail > /dev/null; echo "tail exited $?"')
wait_until 60 job_done "$id"
[ "$(job_state "$id")" = OUT_OF_MEMORY ] || fail "job ended $(job_state "$id"), not OUT_OF_MEMORY: $(cat oom.out)"
state=$(sacct -j "$id" -n -P -o State | head -1)
[ "$state" = OUT_OF_MEMORY ] || fail "sacct says $state"
pass "a job past its --mem ends OUT_OF_MEMORY (squeue and sacct)"

id=$(sbatch --parsable --mem=50M --wrap 'head -c 10M /dev/zero | tail > /dev/null')
wait_until 60 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "a job within its limit ended $(job_state "$id")"
pass "a job within its --mem completes"
