#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from
# its seed corpus under fuzz/corpus/<name>/ (copied, so runs never write
# into the repository).  Exits non-zero on the first finding.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  bin_abs=$(realpath "$bin")
  short=${name#fuzz_}
  mkdir -p "$work/$short"
  if [ -d "$root/fuzz/corpus/$short" ]; then cp -r "$root/fuzz/corpus/$short/." "$work/$short/"; fi
  echo "fuzz: $name for ${seconds}s"
  if ! (cd "$work" && PINGAN_SOURCE_DIR="$root" "$bin_abs" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$work/$short-" "$work/$short" 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' ); then
    :
  fi
  if ls "$work/$short-"* >/dev/null 2>&1; then
    echo "fuzz: $name found a crash:"; ls "$work/$short-"*; status=1
  fi
done
exit $status
