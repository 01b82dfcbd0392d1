#!/usr/bin/env bash
# Bounded libFuzzer run for ctest: fuzzes a copy of the committed seed corpus in a temporary
# directory (new inputs never land in the source tree) for a fixed time.
# Usage: run_fuzz.sh TARGET CORPUS_DIR ARTIFACT_DIR SECONDS
set -euo pipefail
target=$1 corpus=$2 artifacts=$3 seconds=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/drover-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$corpus/." "$work/"
mkdir -p "$artifacts"
"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$(basename "$target")-" "$work"
