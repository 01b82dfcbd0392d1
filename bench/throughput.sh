#!/usr/bin/env bash
# Scheduling throughput on a local cluster (issue #5): N trivial jobs on three RK1-shaped
# nodes, from the first submission to the last completion. Submissions go through `sbatch`
# (one process per job, as users and workflow tools do). Prints a figure; asserts nothing.
#   bench/throughput.sh [BIN_DIR] [JOBS]
set -euo pipefail
bin=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
n=${2:-1000}
export PATH=$bin:$PATH
dir=$(mktemp -d /tmp/drover-throughput.XXXXXX)
trap 'drover local down --dir "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
eval "$(drover local up --dir "$dir" --like rk1 2>/dev/null)"
mkdir -p "$dir/out"
cd "$dir/out"
start=$(date +%s.%N)
for _ in $(seq 1 "$n"); do sbatch --parsable -o /dev/null --wrap true >/dev/null; done
submitted=$(date +%s.%N)
last=$(squeue -h -t all -o %i | sort -n | tail -n 1)
while [ -n "$(squeue -h -o %i)" ]; do sleep 0.05; done
end=$(date +%s.%N)
echo "submitted $n jobs with sbatch in $(echo "$submitted - $start" | bc) s: $(echo "$n / ($submitted - $start)" | bc) jobs/s"
echo "first submission to last completion (job $last): $(echo "$end - $start" | bc) s: $(echo "$n / ($end - $start)" | bc) jobs/s"
