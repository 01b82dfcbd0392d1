#!/usr/bin/env bash
# drover submit --wait shows the job's way through its states and exits with the job's exit
# code (121 cancelled); drover queue --watch redraws and squeue -i repeats until Ctrl-C;
# tables are coloured and fitted to a terminal only, and never with NO_COLOR.
source "$(dirname "$0")/lib.sh"
cluster_up
cd "$TMP"

# --- submit --wait ------------------------------------------------------------------------
set +e
drover submit --wait --wrap 'exit 0' >ok.out 2>ok.err
rc_ok=$?
drover submit --wait --wrap 'exit 3' >three.out 2>three.err
rc_three=$?
sbatch --wait --wrap 'exit 4' >/dev/null 2>sbatch.err
rc_sbatch=$?
set -e
[ "$rc_ok" = 0 ] || fail "submit --wait of a job that exits 0 exited $rc_ok: $(cat ok.err)"
grep -qE '^job [0-9]+: PENDING at [0-9:]{8}' ok.err || fail "no PENDING line: $(cat ok.err)"
grep -qE '^job [0-9]+: RUNNING at [0-9:]{8} on node' ok.err || fail "no RUNNING line: $(cat ok.err)"
grep -qE '^job [0-9]+: COMPLETED at [0-9:]{8}, exit code 0$' ok.err || fail "no COMPLETED line: $(cat ok.err)"
[ "$(grep -c PENDING ok.err)" = 1 ] || fail "PENDING shown twice: $(cat ok.err)"
grep -q '^Submitted batch job' ok.out || fail "stdout: $(cat ok.out)"
pass "drover submit --wait: one line per state on a pipe, exit 0"
[ "$rc_three" = 3 ] || fail "submit --wait of a job that exits 3 exited $rc_three"
grep -qE 'FAILED at .*, exit code 3$' three.err || fail "no FAILED line: $(cat three.err)"
[ "$rc_sbatch" = 4 ] || fail "sbatch --wait of a job that exits 4 exited $rc_sbatch"
[ ! -s sbatch.err ] || fail "sbatch --wait printed progress: $(cat sbatch.err)"
pass "the job's exit code comes back (drover submit 3, sbatch 4; sbatch prints no progress)"

set +e
drover submit --wait --array=0-2 --wrap 'exit $SLURM_ARRAY_TASK_ID' >array.out 2>array.err
rc_array=$?
set -e
[ "$rc_array" = 2 ] || fail "submit --wait of an array exited $rc_array, not its highest exit code 2: $(cat array.err)"
for i in 0 1 2; do
  grep -qE "^job [0-9]+_$i: RUNNING at" array.err || fail "no RUNNING line for element $i: $(cat array.err)"
done
pass "submit --wait of an array waits for every element and exits with the highest code"

drover submit --wait --wrap 'sleep 300' >cancel.out 2>cancel.err &
waiter=$!
wait_until 30 grep -q 'RUNNING' cancel.err
id=$(grep -oE '[0-9]+' cancel.out | head -n 1)
drover cancel "$id" >/dev/null
set +e
wait $waiter
rc_cancel=$?
set -e
[ "$rc_cancel" = 121 ] || fail "submit --wait of a cancelled job exited $rc_cancel: $(cat cancel.err)"
grep -q 'CANCELLED' cancel.err || fail "no CANCELLED line: $(cat cancel.err)"
pass "a cancelled job makes submit --wait exit 121"

# On a terminal: one line, rewritten in place.
script -qec "drover submit --wait --wrap 'sleep 1'" /dev/null >tty.out </dev/null || fail "tty submit --wait failed: $(cat tty.out)"
grep -q $'\r' tty.out || fail "no carriage return on a terminal: $(cat -A tty.out)"
grep -qE 'PENDING [0-9:]{8} -> RUNNING [0-9:]{8} on node[0-9]+ -> COMPLETED [0-9:]{8}, exit code 0' tty.out ||
  fail "no single progress line: $(cat -A tty.out)"
pass "on a terminal submit --wait rewrites one line"

# Ctrl-C stops the wait, not the job.
drover submit --wait --wrap 'sleep 300' >int.out 2>int.err &
waiter=$!
wait_until 30 grep -q 'RUNNING' int.err
kill -INT $waiter
set +e
wait $waiter
rc_int=$?
set -e
[ "$rc_int" = 130 ] || fail "Ctrl-C in submit --wait exited $rc_int"
id=$(grep -oE '[0-9]+' int.out | head -n 1)
[ "$(job_state "$id")" = RUNNING ] || fail "Ctrl-C in submit --wait ended the job"
grep -q 'stopped waiting' int.err || fail "no word on Ctrl-C: $(cat int.err)"
pass "Ctrl-C ends submit --wait (130) and leaves the job running"

# --- queue --watch and squeue -i ----------------------------------------------------------
set +e
timeout --preserve-status -s INT 3 drover queue --watch 1 >watch.out 2>watch.err
rc_watch=$?
timeout --preserve-status -s INT 3 squeue -i 1 >iterate.out 2>iterate.err
rc_iterate=$?
set -e
[ "$rc_watch" = 0 ] || fail "drover queue --watch ended by Ctrl-C exited $rc_watch: $(cat watch.err)"
[ "$(grep -c '^ *JOBID' watch.out)" -ge 2 ] || fail "drover queue --watch drew once: $(cat watch.out)"
grep -q "$id" watch.out || fail "the running job is not in the watch: $(cat watch.out)"
pass "drover queue --watch 1 printed $(grep -c '^ *JOBID' watch.out) times and Ctrl-C exited 0"
[ "$rc_iterate" = 0 ] || fail "squeue -i ended by Ctrl-C exited $rc_iterate: $(cat iterate.err)"
[ "$(grep -c '^ *JOBID' iterate.out)" -ge 2 ] || fail "squeue -i printed once: $(cat iterate.out)"
pass "squeue -i 1 printed $(grep -c '^ *JOBID' iterate.out) times and Ctrl-C exited 0"

script -qec "timeout --preserve-status -s INT 2 drover queue --watch 0.5" /dev/null >tty-watch.out </dev/null || true
[ "$(grep -o $'\033\\[2J' tty-watch.out | wc -l)" -ge 2 ] || fail "no redraw on a terminal: $(cat -A tty-watch.out | head)"
pass "on a terminal --watch clears and redraws"

# --- colour and width ---------------------------------------------------------------------
drover queue >plain.out
! grep -q $'\033' plain.out || fail "colour in piped output"
script -qec "env -u NO_COLOR COLUMNS=50 drover queue" /dev/null >tty.out </dev/null
grep -q $'\033\\[32mRUNNING' tty.out || fail "RUNNING is not green on a terminal: $(cat -A tty.out)"
export LC_ALL=C.UTF-8
while IFS= read -r line; do
  line=${line//$'\r'/}
  line=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$line")
  [ "${#line}" -le 50 ] || fail "a line is wider than COLUMNS=50: $line"
done <tty.out
grep -q RUNNING tty.out || fail "RUNNING was left out at COLUMNS=50: $(cat tty.out)"
script -qec "NO_COLOR=1 drover queue" /dev/null >nocolor.out </dev/null
! grep -q $'\033' nocolor.out || fail "colour with NO_COLOR=1"
script -qec "drover queue --no-color" /dev/null >nocolor2.out </dev/null
! grep -q $'\033' nocolor2.out || fail "colour with --no-color"
pass "colour only on a terminal, not with NO_COLOR or --no-color; tables fit COLUMNS"
# drover acct and drover control show node|partition|job: tables fitted to the terminal too.
for cmd in "drover acct" "drover control show node" "drover control show partition" "drover control show job"; do
  script -qec "COLUMNS=50 $cmd" /dev/null >fit.out </dev/null
  [ "$(grep -c . fit.out)" -ge 2 ] || fail "$cmd printed no table: $(cat fit.out)"
  while IFS= read -r line; do
    line=${line//$'\r'/}
    [ "${#line}" -le 50 ] || fail "$cmd: a line is wider than COLUMNS=50: $line"
  done <fit.out
done
grep -q "^NODE " <(drover control show node) || fail "drover control show node: $(drover control show node)"
scontrol show node | grep -q "^NodeName=" || fail "scontrol show node lost its Key=Value layout"
pass "drover acct and drover control show fit the terminal; scontrol keeps Slurm's layout"

# --- JSON and completion of job ids -------------------------------------------------------
drover queue --json >queue.json
grep -q '"state": "JOB_STATE_RUNNING"' queue.json || fail "drover queue --json: $(cat queue.json)"
drover info --json >info.json
grep -q '"name": "node1"' info.json || fail "drover info --json: $(cat info.json)"
drover control show job "$id" --json >show.json
grep -q "\"job_id\": \"$id\"" show.json || fail "drover control show job --json: $(cat show.json)"
drover control show node node2 --json >node.json
grep -q '"name": "node2"' node.json || fail "drover control show node --json: $(cat node.json)"
! grep -q '"name": "node1"' node.json || fail "drover control show node node2 --json shows node1"
pass "--json on queue, info and control show"
completion=$(dirname "$0")/../../etc/bash-completion/drover
bash -c 'source "$1"; COMP_WORDS=(drover cancel ""); COMP_CWORD=2; _drover; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" |
  grep -x "$id" >/dev/null || fail "drover cancel <TAB> does not offer job $id"
drover cancel "$id" >/dev/null
pass "drover cancel <TAB> offers the running job's id"

# --- exit codes of the native commands ----------------------------------------------------
status() { set +e; "$@" >/dev/null 2>&1; echo $?; set -e; }
[ "$(status drover control hold 99999)" = 5 ] || fail "drover control hold of an unknown job: $(status drover control hold 99999)"
[ "$(status drover cancel -s USR1 99999)" = 5 ] || fail "drover cancel -s of an unknown job is not 5"
[ "$(status drover cancel 99999)" = 0 ] || fail "drover cancel of an unknown job is not 0 (as scancel)"
[ "$(status drover queue -j abc)" = 2 ] || fail "drover queue -j abc is not 2"
[ "$(status scontrol hold 99999)" = 1 ] || fail "scontrol hold of an unknown job is not Slurm's 1"
pass "exit codes: 5 not found, 2 invalid value; the Slurm names keep 1"
