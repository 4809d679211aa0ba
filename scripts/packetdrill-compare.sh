#!/usr/bin/env bash
# Verdict agreement between the real packetdrill and `./harness run --wire tap` on the same kernel.
#
#   scripts/packetdrill-compare.sh PACKETDRILL_BINARY SUITE_DIR [OUT_DIR]
#
# PACKETDRILL_BINARY: packetdrill built from google/packetdrill (gtests/net/packetdrill: ./configure && make).
# SUITE_DIR: a folder of .pkt scripts, e.g. a checkout's gtests/net/tcp. Fetch and build both OUTSIDE this
# repository; its scripts are never copied in. Needs root (network namespaces, tun/tap).
#
# For every script (sorted), our harness runs it first on the kernel in its own namespace (exit 0 pass, 1 fail,
# 2 refused: syntax or a feature we do not run). A refused script is counted and skipped. Otherwise the real
# packetdrill runs it in a fresh namespace (`ip netns exec`), from the script's folder, with run_all.py's IPv4
# arguments. Output: OUT_DIR/results.tsv (script, ours, theirs, agree, reruns), each side's log, and a summary:
#   accepted N, agree K (P %), and the disagreements listed.
# Load: both tools judge times within packetdrill's tolerance (4 ms), which a busy machine breaks. A side whose
# failure is about time (a "timing error", or a packet that did not come in time: our "nothing was sent",
# packetdrill's "Timed out waiting for packet") is run again, up to RETRIES (env, default 2) more times, the same
# rule for both; the reruns are counted in the table and the summary, so the effect is visible.
# HARNESS (env) overrides the command that runs ours (default: this repository's ./harness).
# PRIORITY (env, default -20): the nice value both tools run at, the same for both, so a machine busy with other
# work (builds) stalls neither for longer than packetdrill's 4 ms tolerance; PRIORITY=0 runs them as they come.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packetdrill="$(readlink -f "${1:?usage: packetdrill-compare.sh PACKETDRILL_BINARY SUITE_DIR [OUT_DIR]}")"
suite="$(readlink -f "${2:?usage: packetdrill-compare.sh PACKETDRILL_BINARY SUITE_DIR [OUT_DIR]}")"
out="$(mkdir -p "${3:-/tmp/packetdrill-compare}" && readlink -f "${3:-/tmp/packetdrill-compare}")"
harness="${HARNESS:-$here/harness}"
timeout_seconds="${PKT_TIMEOUT:-120}"
retries="${RETRIES:-2}"
priority="${PRIORITY:--20}"
timing="timing error|nothing was sent|Timed out waiting for packet"
[ "$(id -u)" = 0 ] || { echo "packetdrill-compare: needs root (network namespaces)" >&2; exit 2; }
[ -x "$packetdrill" ] || { echo "packetdrill-compare: not executable: $packetdrill" >&2; exit 2; }
mkdir -p "$out/ours" "$out/theirs"
results="$out/results.tsv"
printf 'script\tours\ttheirs\tagree\treruns\n' > "$results"

# run_all.py's IPv4 variant, which gtests/net/tcp is written for. packetdrill's command line overrides a script's
# own header (--local_ip=...), so ours gets the addresses it applies the same way (the rest: ours defines the
# same -D names, and IPv4 with a /16 is its only layout).
ours_args=(--pkt-option local_ip=192.168.0.1 --pkt-option remote_ip=192.0.2.1)
ipv4_args=(--ip_version=ipv4 --local_ip=192.168.0.1 --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0
  --remote_ip=192.0.2.1 -D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable -D CMSG_LEVEL_IP=SOL_IP
  -D CMSG_TYPE_RECVERR=IP_RECVERR)

verdict() { case "$1" in 0) echo pass ;; 2) echo refused ;; 124) echo timeout ;; *) echo fail ;; esac; }

run_real() {
  local script="$1" log="$2" ns="pdcmp-$$-$RANDOM"
  ip netns add "$ns" || return 99
  ip -netns "$ns" link set lo up
  (cd "$(dirname "$script")" && timeout "$timeout_seconds" nice -n "$priority" ip netns exec "$ns" "$packetdrill" "${ipv4_args[@]}" \
    "$(basename "$script")") > "$log" 2>&1
  local rc=$?
  ip netns del "$ns"
  return $rc
}

run_ours() {
  local script="$1" log="$2"
  (cd "$(dirname "$script")" && timeout "$timeout_seconds" nice -n "$priority" "$harness" run --wire tap --out "$out/ours/pcap" "${ours_args[@]}" \
    "$(basename "$script")") > "$log" 2>&1
}

accepted=0 agree=0 refused=0 reruns_total=0
while IFS= read -r script; do
  name="${script#"$suite"/}"
  safe="${name//\//__}"
  reruns=0
  run_ours "$script" "$out/ours/$safe.log"
  ours=$(verdict $?)
  if [ "$ours" = refused ]; then
    refused=$((refused + 1))
    printf '%s\trefused\t-\t-\t0\n' "$name" >> "$results"
    continue
  fi
  for _ in $(seq "$retries"); do
    [ "$ours" = fail ] && grep -qE "$timing" "$out/ours/$safe.log" || break
    reruns=$((reruns + 1)); run_ours "$script" "$out/ours/$safe.log"; ours=$(verdict $?)
  done
  run_real "$script" "$out/theirs/$safe.log"
  theirs=$(verdict $?)
  for _ in $(seq "$retries"); do
    [ "$theirs" = fail ] && grep -qE "$timing" "$out/theirs/$safe.log" || break
    reruns=$((reruns + 1)); run_real "$script" "$out/theirs/$safe.log"; theirs=$(verdict $?)
  done
  reruns_total=$((reruns_total + reruns))
  accepted=$((accepted + 1))
  same=no
  [ "$ours" = "$theirs" ] && { same=yes; agree=$((agree + 1)); }
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$ours" "$theirs" "$same" "$reruns" >> "$results"
  printf '%-60s ours=%-7s packetdrill=%-7s %s%s\n' "$name" "$ours" "$theirs" "$([ $same = yes ] && echo agree || echo DIFFER)" \
    "$([ $reruns -gt 0 ] && echo " (reruns after timing errors: $reruns)")"
done < <(find "$suite" -name '*.pkt' | sort)

echo
echo "kernel $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg); scripts $((accepted + refused)), refused by our front end $refused, accepted $accepted"
echo "reruns after a timing error (either side): $reruns_total"
if [ "$accepted" -gt 0 ]; then
  echo "verdicts agree on $agree of $accepted ($((agree * 100 / accepted)) %)"
  echo "disagreements:"
  awk -F'\t' 'NR > 1 && $4 == "no" { printf "  %s ours=%s packetdrill=%s\n", $1, $2, $3 }' "$results"
fi
echo "results: $results"
