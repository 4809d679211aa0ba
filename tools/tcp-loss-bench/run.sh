#!/usr/bin/env bash
# BENCH tcp-loss-completion-ratio (issue 11): 300 KB sent by the host 'linux' at 5, 10 and 20% loss each way,
# 20 seeds each; our stack on the virtual wire (as personality $PERSONALITY, linux unless set) against the Linux
# kernel on the tap wire (needs root). Completion is read from each run's recording, the same way on both wires:
# from the first SYN to the receiver's first ACK of the last byte (ack 300001) (the run's own end time includes the
# virtual wire's settling of timers and the tap wire's linger). A run that fails counts as the scenario's 60 s timeout.
# Prints each loss rate's median completion time both ways and the ratio ours/kernel, then the BENCH line
# (the median of the three ratios). The kernel runs CUBIC (the kernel's default, which the linux personality models)
# whatever the machine's net.ipv4.tcp_congestion_control says; KERNEL_CC=bbr (or reno) measures against another.
# CC=bbr (or cubic, new-reno) overrides our side's congestion control (the host's stack: { tcp: { congestion-control }}),
# so CC=bbr KERNEL_CC=bbr compares BBR with BBR. A failed run is named on stderr.
# Usage: [PERSONALITY=linux|rfc|freebsd] [CC=bbr|cubic|new-reno] [KERNEL_CC=cubic|bbr|reno] tools/tcp-loss-bench/run.sh [SEEDS=20] [--virtual-only]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seeds="${1:-20}"
virtual_only="${2:-}"
personality="${PERSONALITY:-linux}"
cc="${CC:-}"
ours="$personality"
[ -n "$cc" ] && ours="$personality, $cc"
export NETSTACK_KERNEL_CC="${KERNEL_CC:-cubic}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) { print "nan"; exit } print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# completion FILE.yaml WIRE SEED: seconds from the first SYN to the first ACK of all 300000 bytes, or 60 if the run
# failed.
completion() {
  local file="$1" wire="$2" seed="$3" name pcap
  name="$(basename "$file" .yaml)"
  rm -f "$out/$name.pcap"
  if ! "$root/harness" run --wire "$wire" --out "$out" "$file" --seed "$seed" > "$out/run.log" 2>&1; then
    echo "run failed ($wire, seed $seed): $(grep -m1 -E 'FAIL|error' "$out/run.log")" >&2
    echo 60
    return
  fi
  pcap="$out/$name.pcap"
  tcpdump -nn -tt -r "$pcap" tcp 2>/dev/null | awk '
    / Flags \[S\]/ && !syn { syn = $1 }
    $3 ~ /\.80$/ && / ack 300001,/ && !done { done = $1 }
    END { if (!syn || !done) print 60; else printf "%.6f\n", done - syn }'
}
ratios=()
for p in 5 10 20; do
  file="$out/tcp-loss-300k-$p.yaml"
  sed "s/personality: linux/personality: $personality/" "$here/tcp-loss-300k-$p.yaml" > "$file"
  ours_file="$file"
  if [ -n "$cc" ]; then
    # A host played by the kernel takes no stack settings: our side's copy is our stack's host outright.
    mkdir -p "$out/cc"
    ours_file="$out/cc/tcp-loss-300k-$p.yaml"
    sed "s/played-by: linux, personality: linux }/personality: $personality, stack: { tcp: { congestion-control: $cc } } }/" \
      "$here/tcp-loss-300k-$p.yaml" > "$ours_file"
  fi
  ours_s=$(for s in $(seq 1 "$seeds"); do completion "$ours_file" virtual "$s"; done | median)
  if [ "$virtual_only" = "--virtual-only" ]; then
    echo "loss $p%: ours ($ours, virtual) median ${ours_s}s"
    continue
  fi
  kernel=$(for s in $(seq 1 "$seeds"); do completion "$file" tap "$s"; done | median)
  ratio=$(awk -v a="$ours_s" -v b="$kernel" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  echo "loss $p%: ours ($ours, virtual) median ${ours_s}s, kernel ($NETSTACK_KERNEL_CC, tap) median ${kernel}s, ratio $ratio"
done
if [ ${#ratios[@]} -gt 0 ]; then
  echo "BENCH tcp-loss-completion-ratio $(printf '%s\n' "${ratios[@]}" | median) ratio (ours as personality $ours, the kernel with $NETSTACK_KERNEL_CC)"
fi
