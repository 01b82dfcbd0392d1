#!/usr/bin/env bash
# Impossible or malformed submissions are refused with a clear message and a non-zero exit,
# and nothing is queued for them.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

expect_error() {  # expect_error PATTERN CMD...
  local pattern=$1
  shift
  local err
  if err=$("$@" 2>&1 >/dev/null); then fail "'$*' succeeded"; fi
  echo "$err" | grep -qE "$pattern" || fail "'$*' said: $err"
  pass "'$*' refused: $(echo "$err" | head -n 1)"
}

cpus=$(sinfo -h -o %c | head -n 1)
expect_error "needs a value after" sbatch --mem= --wrap true   # CLI11 alone took --wrap as the value
expect_error "needs a value after" srun --time= true
expect_error "largest node" sbatch -c $((cpus + 1)) --wrap true
expect_error "nodes" sbatch -N 4 --wrap true
expect_error "memory" sbatch --mem=100T --wrap true
expect_error "invalid partition" sbatch -p nosuch --wrap true
expect_error "unrecognized|extra|not expected|requires" sbatch --no-such-option --wrap true
expect_error "time" sbatch -t 1:2:3:4 --wrap true
expect_error "#!" sh -c "printf 'echo no shebang\n' > plain.sh && sbatch plain.sh"
expect_error "Unable to open" sbatch /nonexistent/script.sh
expect_error "directive" sh -c "printf '#!/bin/sh\n#SBATCH --bogus\ntrue\n' > bad.sh && sbatch bad.sh"
expect_error "DOS line breaks" sh -c "printf '#!/bin/sh\r\ntrue\r\n' > dos.sh && sbatch dos.sh"
expect_error "at least 1" sbatch -n 0 --wrap true
expect_error "at least 1" sbatch -c 0 --wrap true
expect_error "mutually exclusive" sbatch --mem=1G --mem-per-cpu=1G --wrap true
[ -z "$(squeue -h -t all -o %i)" ] || fail "a refused submission was queued: $(squeue -h -t all)"
pass "nothing was queued"

expect_error "nonexistent.yaml" env DROVER_CONF=/nonexistent.yaml squeue
