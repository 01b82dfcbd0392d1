#!/usr/bin/env bash
# sbatch's input forms and options behave as CONTRACT.md §8.3, §8.8-§8.10 and SB-1..SB-8 say.
source "$(dirname "$0")/lib.sh"
cluster_up
work=$TMP/work
mkdir -p "$work"
cd "$work"

finish() { wait_until 30 job_done "$1"; }

# --wrap: the script is /bin/sh, a comment, a blank line, the command.
id=$(sbatch --parsable --wrap 'echo wrapped $SLURM_JOB_NAME')
finish "$id"
[ "$(cat "slurm-$id.out")" = "wrapped wrap" ] || fail "--wrap output: $(cat "slurm-$id.out")"
pass "--wrap runs the command, job name 'wrap'"

# The script on stdin (SB-1), and the file deleted right after sbatch returns (SB-2).
id=$(printf '#!/bin/sh\necho from stdin\n' | sbatch --parsable)
finish "$id"
grep -q "from stdin" "slurm-$id.out" || fail "stdin script output: $(cat "slurm-$id.out")"
printf '#!/bin/sh\nsleep 1\necho still here\n' > gone.sh
id=$(sbatch --parsable gone.sh)
rm gone.sh
finish "$id"
grep -q "still here" "slurm-$id.out" || fail "script deleted after submit did not run"
pass "script from stdin, and a script deleted after submission, both run"

# Directives, command-line override, output patterns, separate stderr.
cat > opts.sh <<'SCRIPT'
#!/bin/bash
#SBATCH --job-name "from directive" # a comment
#SBATCH -o out-%x-%j.txt --error=err-%j.txt
#SBATCH -n 2 -c 1
echo "name=$SLURM_JOB_NAME ntasks=$SLURM_NTASKS tpn=$SLURM_TASKS_PER_NODE cpt=$SLURM_CPUS_PER_TASK"
echo "to stderr" >&2
exit 3
SCRIPT
id=$(sbatch --parsable -J cli-name opts.sh)
finish "$id"
[ -f "out-cli-name-$id.txt" ] || fail "no out-cli-name-$id.txt: $(ls)"
grep -q "^name=cli-name ntasks=2 tpn=2 cpt=1$" "out-cli-name-$id.txt" || fail "env: $(cat "out-cli-name-$id.txt")"
grep -q "to stderr" "err-$id.txt" || fail "stderr file"
[ "$(job_state "$id")" = FAILED ] || fail "exit 3 gave $(job_state "$id")"
squeue -h -t all -j "$id" -o '%R' | grep -q NonZeroExitCode || fail "no NonZeroExitCode reason"
pass "directives, command-line override, %x %j patterns, -e, exit 3 -> FAILED"

# --export: ALL by default, NONE keeps only Slurm's variables, a list picks.
export DROVER_IT_VAR=hello
id=$(sbatch --parsable --wrap 'echo "v=$DROVER_IT_VAR"')
finish "$id"
grep -q "^v=hello$" "slurm-$id.out" || fail "--export=ALL default"
id=$(sbatch --parsable --export=NONE --wrap 'echo "v=$DROVER_IT_VAR id=$SLURM_JOB_ID"')
finish "$id"
grep -q "^v= id=$id$" "slurm-$id.out" || fail "--export=NONE: $(cat "slurm-$id.out")"
id=$(sbatch --parsable --export=OTHER=x --wrap 'echo "v=$DROVER_IT_VAR o=$OTHER"')
finish "$id"
grep -q "^v= o=x$" "slurm-$id.out" || fail "--export=OTHER=x: $(cat "slurm-$id.out")"
pass "--export ALL, NONE and a list"

# -D: relative output goes to the working directory.
mkdir -p sub
id=$(sbatch --parsable -D sub --wrap 'pwd')
finish "$id"
[ "$(cat "sub/slurm-$id.out")" = "$work/sub" ] || fail "-D: $(cat "sub/slurm-$id.out" 2>&1)"
pass "-D sets the working directory and where output goes"

# Accepted-but-meaningless options warn on stderr only; stdout stays exactly one line (SB-5).
out=$(sbatch --qos=normal --mail-type=END --wrap true 2>warn.txt)
[[ "$out" =~ ^Submitted\ batch\ job\ [0-9]+$ ]] || fail "stdout: '$out'"
grep -q "warning" warn.txt || fail "no warning on stderr"
pass "options without local meaning warn on stderr, stdout is one line"

# squeue formats.
id=$(sbatch --parsable --hold --wrap true)
line=$(squeue -h -j "$id" -o '%i|%t|%.5D|%8j|%r')
[ "$line" = "$id|PD|    1|wrap    |JobHeldUser" ] || fail "squeue format: '$line'"
pass "held job pending with JobHeldUser; squeue field widths"
