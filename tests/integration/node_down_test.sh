#!/usr/bin/env bash
# A node daemon that stops heartbeating is shown as down (with Slurm's '*' for not
# responding); started again, it comes back idle.
source "$(dirname "$0")/lib.sh"
cluster_up

drover local kill node2
wait_until 30 sh -c "sinfo -h -N -o '%N %t' | grep -qx 'node2 down\*'"
pass "node2 shows down* after its daemon was killed"
sinfo -h -o '%t %N' | grep -qx 'idle node\[1,4\]' || fail "other nodes: $(sinfo -h -o '%t %N')"
pass "the other nodes stay idle"
drover info | grep -q "Not responding" || fail "drover info gives no reason"
pass "drover info shows the reason"

drover local start node2
wait_until 30 sh -c "sinfo -h -o '%t %N' | grep -qx 'idle node\[1-2,4\]'"
pass "node2 is idle again after a restart"
