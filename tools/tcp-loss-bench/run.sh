#!/usr/bin/env bash
# BENCH tcp-loss-completion-ratio (issue 11): 300 KB sent by the host 'linux' at 5, 10 and 20% loss each way,
# 20 seeds each; our stack on the virtual wire against the Linux kernel on the tap wire (needs root).
# Prints each loss rate's median completion time both ways and the ratio ours/kernel, then the BENCH line
# (the median of the three ratios). A run that does not finish counts as the scenario's 60 s timeout.
# Usage: tools/tcp-loss-bench/run.sh [SEEDS=20] [--virtual-only]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seeds="${1:-20}"
virtual_only="${2:-}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) { print "nan"; exit } print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratios=()
for p in 5 10 20; do
  file="$here/tcp-loss-300k-$p.yaml"
  ours=$("$root/harness" run --out "$out" "$file" --seeds "1..$seeds" 2>&1 \
    | awk '$2 == "pass" || $2 == "FAIL" { t = $3; sub("s$", "", t); print t }' | median)
  if [ "$virtual_only" = "--virtual-only" ]; then
    echo "loss $p%: ours (virtual) median ${ours}s"
    continue
  fi
  kernel=$(for s in $(seq 1 "$seeds"); do
      "$root/harness" run --wire tap --out "$out" "$file" --seed "$s" 2>&1 | head -1
    done | awk '{ t = $3; sub("s$", "", t); print t }' | median)
  ratio=$(awk -v a="$ours" -v b="$kernel" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  echo "loss $p%: ours (virtual) median ${ours}s, kernel (tap) median ${kernel}s, ratio $ratio"
done
if [ ${#ratios[@]} -gt 0 ]; then
  echo "BENCH tcp-loss-completion-ratio $(printf '%s\n' "${ratios[@]}" | median) ratio"
fi
