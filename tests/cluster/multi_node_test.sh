#!/usr/bin/env bash
# Scenario 1, batch part: a three-node batch job submitted by an unprivileged user (nobody),
# from the controller's host and from a worker. The allocation spans node1, node2 and node4;
# the script runs once, on the first node, as the user, and sees the whole allocation.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$SHARED"

cat > multi.sh <<'SCRIPT'
#!/bin/sh
#SBATCH -N3
echo "host=$(hostname) user=$(id -un) nodes=$SLURM_JOB_NODELIST nnodes=$SLURM_JOB_NUM_NODES"
while [ ! -e "release.$SLURM_JOB_ID" ]; do sleep 0.1; done
SCRIPT
chmod 644 multi.sh
for submit_host in node3 node1; do
  id=$(as_nobody "$submit_host" sbatch --parsable multi.sh)
  wait_until 60 test -s "slurm-$id.out"
  [ "$(on node3 squeue -h -j "$id" -o '%T %D %N %u')" = "RUNNING 3 node[1-2,4] nobody" ] ||
    fail "squeue: $(on node3 squeue -h -j "$id" -o '%T %D %N %u')"
  touch "release.$id"
  wait_until 60 job_done "$id"
  [ "$(cat "slurm-$id.out")" = "host=node1 user=nobody nodes=node[1-2,4] nnodes=3" ] ||
    fail "output: $(cat "slurm-$id.out")"
  [ "$(on node3 sacct -n -X -P -j "$id" -o State,NNodes,NodeList,User)" = "COMPLETED|3|node[1-2,4]|nobody" ] ||
    fail "sacct: $(on node3 sacct -n -X -P -j "$id" -o State,NNodes,NodeList,User)"
  pass "a 3-node batch job by nobody from $submit_host ran on node[1-2,4], its script on node1"
done
