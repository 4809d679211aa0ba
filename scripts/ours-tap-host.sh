#!/usr/bin/env bash
# Our own stack as an external host: `harness tap` (the live host of src/Cli/Live) started inside the namespace
# the harness made for the host, creating the tap it is told to, with the services the third-party stacks offer
# (TCP and UDP echo on 7, TCP discard on 9). It goes through the same path as lwIP and slirp: external process,
# its own tap enslaved to the namespace's bridge, ended with SIGTERM (matrix column `ours-tap`, `played-by: ours-tap`).
#
#   HARNESS_IFNAME   tap to create (default ours0)
#   HARNESS_ADDRESS  address with prefix length (default 10.0.2.2/24)
#   HARNESS_MAC      MAC (default: random, locally administered)
#   HARNESS_GATEWAY  default gateway (optional)
#   HARNESS_MTU      MTU (default 1500)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The built CLI as it is (a build started from here could race a build of the tree); the launcher otherwise.
dll="$root/src/Cli/bin/Release/net10.0/harness.dll"
if [ -f "$dll" ]; then harness=(dotnet "$dll"); else harness=("$root/harness"); fi
args=(tap --dev "${HARNESS_IFNAME:-ours0}" --ip "${HARNESS_ADDRESS:-10.0.2.2/24}" --mtu "${HARNESS_MTU:-1500}"
      --serve echo:7 --serve discard:9 --warm-up)
[ -n "${HARNESS_MAC:-}" ] && args+=(--mac "$HARNESS_MAC")
[ -n "${HARNESS_GATEWAY:-}" ] && args+=(--gateway "$HARNESS_GATEWAY")
exec "${harness[@]}" "${args[@]}"
