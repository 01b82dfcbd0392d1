#!/usr/bin/env bash
# Scheduling throughput on a local cluster (issue #5): N trivial jobs on three RK1-shaped
# nodes, from the first submission to the last completion. Prints figures; asserts nothing.
#   bench/throughput.sh [--array] [BIN_DIR] [JOBS]
# Without --array every job is one `sbatch` process (as users and workflow tools submit), so
# the submissions are measured too. With --array the N jobs are one `sbatch --array=1-N`, so
# what is measured is the cluster: scheduling passes, launches, job ends and their reports.
# Also prints the CPU time the controller and the node daemons (with their stepds and jobs)
# used, per job: on a machine with few cores that, not waiting, is what bounds the rate.
set -euo pipefail
array=0
if [ "${1:-}" = "--array" ]; then array=1; shift; fi
bin=$(cd "${1:-$(dirname "$0")/../build/bin}" && pwd)
n=${2:-1000}
export PATH=$bin:$PATH
dir=$(mktemp -d /tmp/drover-throughput.XXXXXX)
trap 'drover local down --dir "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
eval "$(drover local up --dir "$dir" --like rk1 2>/dev/null)"
mkdir -p "$dir/out"
cd "$dir/out"

# utime+stime and cutime+cstime (clock ticks) of each daemon: fields 14-17 of /proc/PID/stat.
# A node daemon's batch supervisors are children of its supervisor zygote, a long-lived child
# of noded named drover-zygote, whose own and children's time count as "stepds and jobs".
cpu_ticks() {
  local f pid z
  for f in "$dir"/run/*.pid; do
    pid=$(cat "$f")
    z=
    for c in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = drover-zygote ]; then z=$c; break; fi
    done
    awk -v n="$(basename "$f" .pid)" '
      FNR == NR {self = $14 + $15; kids = $16 + $17; next}
      {kids += $14 + $15 + $16 + $17}
      END {print n, self, kids}' "/proc/$pid/stat" ${z:+"/proc/$z/stat"}
  done
}
before=$(cpu_ticks)
start=$(date +%s.%N)
if [ "$array" = 1 ]; then
  sbatch --parsable --array="1-$n" -o /dev/null --wrap true >/dev/null
else
  for _ in $(seq 1 "$n"); do sbatch --parsable -o /dev/null --wrap true >/dev/null; done
fi
submitted=$(date +%s.%N)
while [ -n "$(squeue -h -o %i)" ]; do sleep 0.02; done
end=$(date +%s.%N)
after=$(cpu_ticks)
done_jobs=$(sacct -n -X -o State 2>/dev/null | grep -c COMPLETED || true)

rate() { echo "scale=1; $1 / ($2)" | bc; }
if [ "$array" = 1 ]; then
  echo "one array of $n trivial jobs: submitted in $(echo "$submitted - $start" | bc) s"
else
  echo "submitted $n jobs with sbatch in $(echo "$submitted - $start" | bc) s: $(rate "$n" "$submitted - $start") jobs/s"
fi
echo "first submission to last completion: $(echo "$end - $start" | bc) s: $(rate "$n" "$end - $start") jobs/s ($done_jobs COMPLETED in sacct)"
hz=$(getconf CLK_TCK)
paste <(echo "$before") <(echo "$after") | awk -v n="$n" -v hz="$hz" '
  { self = ($5 - $2) * 1000 / hz; kids = ($6 - $3) * 1000 / hz; all += self + kids
    printf "  %-6s CPU %6.0f ms%s\n", $1, self + kids,
           (kids > 0 ? sprintf(" (stepds and jobs %.0f ms)", kids) : "") }
  END { printf "  CPU per job, all daemons: %.1f ms\n", all / n }'
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
