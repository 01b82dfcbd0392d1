#!/usr/bin/env bash
# Scenario 1, srun part: `srun -N3 hostname` from the controller's host prints the three
# workers' hostnames, and srun steps inside a three-node batch job run on every node.
source "$(dirname "$0")/lib.sh"
[ -x "$BIN/srun" ] && "$BIN/srun" --help >/dev/null 2>&1 || skip "srun is not built yet (no $BIN/srun)"
cluster_up
cd "$SHARED"

out=$(as_nobody node3 srun -N3 hostname | sort | paste -sd' ')
[ "$out" = "node1 node2 node4" ] || fail "srun -N3 hostname printed: $out"
pass "srun -N3 hostname prints node1 node2 node4"

cat > steps.sh <<'SCRIPT'
#!/bin/sh
#SBATCH -N3
srun hostname | sort
srun -N1 -n1 hostname
SCRIPT
chmod 644 steps.sh
id=$(as_nobody node3 sbatch --parsable steps.sh)
wait_until 120 job_done "$id"
[ "$(acct_state "$id")" = COMPLETED ] || fail "the batch job ended $(acct_state "$id"): $(cat "slurm-$id.out")"
[ "$(paste -sd' ' "slurm-$id.out")" = "node1 node2 node4 node1" ] || fail "output: $(cat "slurm-$id.out")"
pass "srun steps inside a 3-node batch job ran on every node"
