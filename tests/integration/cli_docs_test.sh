#!/usr/bin/env bash
# No cluster needed: a man page per command listing every option --help knows, the bash
# completion script (syntax, commands, options, subcommands), and the usage exit status.
source "$(dirname "$0")/lib.sh"

native="submit run alloc queue info cancel acct control keygen local"
for cmd in $native; do
  page=$(drover help --man "$cmd") || fail "drover help --man $cmd exited $?"
  echo "$page" | grep -e "^\.TH DROVER-${cmd^^} 1" >/dev/null || fail "no .TH in the $cmd page"
  echo "$page" | grep -e '^\.SH OPTIONS' >/dev/null || fail "no OPTIONS in the $cmd page"
  echo "$page" | grep -e '^\.SH EXIT STATUS' >/dev/null || fail "no EXIT STATUS in the $cmd page"
  words=$(drover help --options "$cmd") || fail "drover help --options $cmd exited $?"
  help=$(drover "$cmd" --help 2>&1)
  n=0
  for opt in $(echo "$words" | grep -- '^--'); do
    roff=${opt//-/\\-}
    [[ $page == *"\\fB$roff\\fR"* ]] || fail "drover-$cmd(1) lacks $opt"
    [ "$cmd" = local ] || [[ $help == *"$opt"* ]] || fail "'drover $cmd --help' lacks $opt"
    n=$((n + 1))
  done
  [ "$n" -ge 2 ] || fail "only $n long options for $cmd"
done
pass "a man page per command, each listing every long option that --help lists"
grep -qF 'cpu\-kind' <<<"$(drover help --man submit)" || fail "drover-submit(1) has no --cpu-kind"

man_dir=$BIN/../man
for cmd in drover $(printf 'drover-%s ' $native); do
  [ -s "$man_dir/$cmd.1" ] || fail "the build made no $man_dir/$cmd.1"
done
if command -v man >/dev/null 2>&1; then
  MANWIDTH=80 man -l "$man_dir/drover-queue.1" 2>/dev/null | grep -F -e '--watch' >/dev/null || fail "man -l drover-queue.1 shows no --watch"
fi
pass "the build wrote drover.1 and drover-<command>.1 into $man_dir"

# The Slurm names have pages of their own, from the same definitions as their --help.
for cmd in sbatch srun salloc squeue sinfo scancel sacct scontrol; do
  [ -s "$man_dir/$cmd.1" ] || fail "the build made no $man_dir/$cmd.1"
  grep -e "^\.TH ${cmd^^} 1" "$man_dir/$cmd.1" >/dev/null || fail "no .TH in $cmd.1"
done
grep -qF '\fB\-\-signal\fR' "$man_dir/sbatch.1" || fail "sbatch.1 has no --signal"
grep -qF '\fB\-\-start\fR' "$man_dir/squeue.1" || fail "squeue.1 has no --start"
pass "the build wrote sbatch.1 ... scontrol.1 for the Slurm names"

completion=$(dirname "$0")/../../etc/bash-completion/drover
bash -n "$completion" || fail "bash -n $completion"
# complete WORD...: the candidates _drover offers for the last word.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _drover; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$completion" "$@"
}
complete_words drover qu | grep -x queue >/dev/null || fail "drover qu<TAB> does not offer queue"
complete_words drover "" | grep -x control >/dev/null || fail "drover <TAB> does not offer control"
complete_words drover submit --wa | grep -x -- --wait >/dev/null || fail "drover submit --wa<TAB> does not offer --wait"
complete_words drover queue --wat | grep -x -- --watch >/dev/null || fail "drover queue --wat<TAB> does not offer --watch"
complete_words drover control sh | grep -x show >/dev/null || fail "drover control sh<TAB> does not offer show"
complete_words drover control show "" | grep -x partition >/dev/null || fail "drover control show <TAB> lacks partition"
complete_words drover local "" | grep -x up >/dev/null || fail "drover local <TAB> does not offer up"
complete_words "$BIN/squeue" --ite | grep -x -- --iterate >/dev/null || fail "squeue --ite<TAB> does not offer --iterate"
complete_words "$BIN/sbatch" --par | grep -x -- --parsable >/dev/null || fail "sbatch --par<TAB> does not offer --parsable"
complete_words drover queue -t R | grep -x RUNNING >/dev/null || fail "drover queue -t R<TAB> does not offer RUNNING"
pass "bash completion: commands, options, subcommands, states"

status() { set +e; "$@" >/dev/null 2>&1; echo $?; set -e; }
[ "$(status drover queue --no-such-flag)" = 2 ] || fail "a bad option is not exit 2"
[ "$(status drover queue --watch abc)" = 2 ] || fail "--watch abc is not exit 2"
[ "$(status drover submit --no-such-flag x.sh)" = 2 ] || fail "drover submit with a bad option is not exit 2"
[ "$(status drover frobnicate)" = 2 ] || fail "an unknown command is not exit 2"
[ "$(status sbatch --no-such-flag x.sh)" = 1 ] || fail "sbatch with a bad option is not Slurm's 1"
[ "$(status drover queue --help)" = 0 ] || fail "--help is not exit 0"
[ "$(status env DROVER_CONF=/nonexistent.yaml drover queue)" != 0 ] || fail "a missing config is exit 0"
pass "usage errors exit 2 (native) and 1 (Slurm's), --help 0"
