#!/usr/bin/env bash
# Jobs in cgroups (as root, on a host with cgroup v1 or v2): a job's processes are confined to
# its allocated cores and memory limit, usage reaches sacct, cancel leaves neither a process
# nor a cgroup behind (setsid grandchild included), a killed and restarted noded finds its
# job's cgroup still in place, and `drover local down` removes every cgroup the cluster made.
source "$(dirname "$0")/lib.sh"
if ! is_root; then echo "skipped: needs root for cgroups"; exit 0; fi
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
  V=2; MEMROOT=/sys/fs/cgroup; MEMFILE=memory.max
elif [ -d /sys/fs/cgroup/memory ]; then
  V=1; MEMROOT=/sys/fs/cgroup/memory; MEMFILE=memory.limit_in_bytes
else
  echo "skipped: no cgroup memory controller"; exit 0
fi
cluster_up
cd "$TMP"
PARENT=$(sed -n 's/^cgroups: {parent: \(.*\)}$/\1/p' "$DROVER_CONF")
[ -n "$PARENT" ] || fail "the local cluster has no cgroup parent of its own"
# Belt and braces: whatever happens, no cgroup of this cluster outlives the test.
remove_cgroups() {
  drover local down --dir "$CLUSTER" >/dev/null 2>&1 || true
  find /sys/fs/cgroup/ -maxdepth 3 -path "*/$PARENT" -type d 2>/dev/null | while read -r d; do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}
trap 'rc=$?; remove_cgroups; cleanup' EXIT

drover info | grep -q "v$V" || fail "drover info does not show cgroups v$V: $(drover info)"
pass "drover info shows each node's cgroups (v$V)"

# Confinement, seen from inside the job.
cat > inside.sh <<'SCRIPT'
#!/bin/bash
grep Cpus_allowed_list /proc/self/status
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
  path=$(sed -n 's/^0:://p' /proc/self/cgroup); echo "memcg=$path"
  echo "limit=$(cat /sys/fs/cgroup$path/memory.max)"
else
  path=$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup); echo "memcg=$path"
  echo "limit=$(cat /sys/fs/cgroup/memory$path/memory.limit_in_bytes)"
fi
SCRIPT
id=$(sbatch --parsable -n 1 --mem=64M -o inside.out inside.sh)
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job ended $(job_state "$id"): $(cat inside.out)"
cores=$(scontrol show job -d "$id" | sed -n 's/.*CPU_IDs=\([^ ]*\).*/\1/p' | head -1)
allowed=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' inside.out)
[ -n "$cores" ] && [ "$allowed" = "$cores" ] || fail "job allocated cores '$cores' but may run on '$allowed'"
pass "the job runs only on its allocated cores ($allowed)"
grep -q "^memcg=/$PARENT/node[0-9]*/job_$id\$" inside.out || fail "job not in its cgroup: $(cat inside.out)"
grep -q "^limit=67108864\$" inside.out || fail "memory limit not 64M: $(cat inside.out)"
pass "the job sits in its own cgroup with its --mem limit"
[ -z "$(find "$MEMROOT/$PARENT" -name "job_$id" 2>/dev/null)" ] || fail "job $id's cgroup outlived it"
pass "the cgroup is removed when the job ends"

# Usage: a busy loop of a fixed amount of work (~3 s of CPU for sh here, whatever the load).
id=$(sbatch --parsable -n 1 --wrap 'i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done')
wait_until 30 job_done "$id"
line=$(sacct -j "$id" -n -P -o JobID,State,TotalCPU,MaxRSS | grep "^$id.batch|")
cpu=$(echo "$line" | cut -d'|' -f3)
rss=$(echo "$line" | cut -d'|' -f4)
secs=$(echo "$cpu" | awk -F: '{ if (NF == 2) print $1 * 60 + $2; else print $1 * 3600 + $2 * 60 + $3 }')
awk -v s="$secs" 'BEGIN { exit !(s > 1.0 && s < 30) }' || fail "TotalCPU of a busy loop is '$cpu': $line"
[[ "$rss" =~ ^[1-9][0-9]*K$ ]] || fail "MaxRSS is '$rss': $line"
pass "sacct shows TotalCPU $cpu and MaxRSS $rss for a busy loop"

# Cancel: a daemonized grandchild goes too, and so does the cgroup.
tag=drover-cg-$$-$RANDOM
cat > daemon.sh <<SCRIPT
#!/bin/bash
setsid bash -c 'exec -a $tag-daemon sleep 300' &
exec -a $tag-main sleep 300
SCRIPT
id=$(sbatch --parsable daemon.sh)
wait_until 30 sh -c "[ \$(pgrep -fc '^$tag-') -ge 2 ]"
cg=$(find "$MEMROOT/$PARENT" -type d -name "job_$id" | head -1)
[ -n "$cg" ] || fail "no cgroup for running job $id"
[ "$(wc -l < "$cg/cgroup.procs")" -ge 2 ] || fail "the job's processes are not in $cg"
scancel "$id"
wait_until 30 sh -c "! pgrep -f '^$tag-'"
wait_until 30 sh -c "[ ! -d '$cg' ]"
pass "cancel killed the setsid grandchild and removed the job's cgroup"

# noded killed mid-job: the job keeps its cgroup, and the restarted noded reports it.
cat > restart.sh <<'SCRIPT'
#!/bin/sh
echo before
while [ ! -e release ]; do sleep 0.1; done
echo after
SCRIPT
id=$(sbatch --parsable -w node1 restart.sh)
wait_until 30 grep -q before "slurm-$id.out"
drover local kill node1
drover local start node1
cg="$MEMROOT/$PARENT/node1/job_$id"
wait_until 30 sh -c "drover info | grep -q node1"
[ -d "$cg" ] && [ -n "$(cat "$cg/cgroup.procs")" ] || fail "after a noded restart the running job lost its cgroup $cg"
pass "a restarted noded leaves the running job's cgroup alone"
touch release
wait_until 30 job_done "$id"
[ "$(job_state "$id")" = COMPLETED ] || fail "job ended $(job_state "$id")"
[ "$(cat "slurm-$id.out")" = "$(printf 'before\nafter')" ] || fail "output: $(cat "slurm-$id.out")"
wait_until 30 sh -c "[ ! -d '$cg' ]"
pass "the job finished COMPLETED with its output, and its cgroup went"

drover local down --dir "$CLUSTER" >/dev/null
left=$(find /sys/fs/cgroup/ -maxdepth 3 -path "*/$PARENT" 2>/dev/null)
[ -z "$left" ] || fail "cgroups left after drover local down: $left"
pass "drover local down removed every cgroup of the cluster"
