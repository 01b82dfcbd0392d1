#!/usr/bin/env bash
# srun latency and output throughput on an idle local cluster (issue #7). Prints figures;
# asserts nothing.
#   bench/srun.sh [BIN_DIR] [RUNS]
# - median wall time of `srun -N3 hostname` and `srun -n1 true` over RUNS runs (default 50),
#   each a whole allocation + step + release, as a user types it;
# - the same `srun -n1 true` as a step inside an existing allocation (salloc);
# - one task writing 1 GiB to stdout through srun (to /dev/null), in MB/s.
set -euo pipefail
bin=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
runs=${2:-50}
export PATH=$bin:$PATH
dir=$(mktemp -d /tmp/drover-srun-bench.XXXXXX)
trap 'drover local down --dir "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
eval "$(drover local up --dir "$dir" 2>/dev/null)"

median_ms() {  # median_ms CMD... : wall time of RUNS runs, median in ms
  local times=()
  for _ in $(seq 1 "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

echo "srun -N3 hostname:        median $(median_ms srun -N3 hostname) ms over $runs runs"
echo "srun -n1 true:            median $(median_ms srun -n1 true) ms over $runs runs"
inside=$(salloc -Q -N1 bash -c "$(declare -f median_ms); runs=$runs; median_ms srun -n1 true")
echo "srun -n1 true (in salloc): median $inside ms over $runs runs"
t0=$(date +%s%N)
srun -n1 head -c 1073741824 /dev/zero >/dev/null
t1=$(date +%s%N)
echo "1 GiB from one task through srun: $(( 1073741824 * 1000 / (t1 - t0) )) MB/s ($(( (t1 - t0) / 1000000 )) ms)"
