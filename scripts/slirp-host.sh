#!/usr/bin/env bash
# libslirp (slirp4netns 1.2, the user-mode stack of QEMU and rootless containers) as an external host: its gateway
# (network + 2) and DNS (network + 3) endpoints behind a tap created in the network namespace this script starts in.
# Slirp's "outside" is a fresh network namespace of its own with loopback only, where socat serves TCP echo (7),
# TCP discard (9) and UDP echo (7) on 127.0.0.1; slirp maps a connection to the gateway's port P to 127.0.0.1:P
# there. Nothing can reach the host's network: the outside namespace has no route but loopback. It disappears when
# the last process in it (slirp4netns, the socat servers) ends.
#
#   HARNESS_IFNAME     tap to create (default slirp0)
#   HARNESS_ADDRESS    slirp's gateway address with prefix length; must be the network address + 2 (default 10.0.2.2/24)
#   HARNESS_MAC        optional; slirp derives its MACs from addresses (52:55 + the IPv4 address), so it must be that
#   HARNESS_MTU        default 1500
#   SLIRP_API_SOCKET   optional path for slirp4netns' API socket (add_hostfwd: a port of the outside to a guest port)
#
#   ip netns exec NS env HARNESS_IFNAME=slirp0 scripts/slirp-host.sh   # then enslave slirp0 to a bridge in NS
set -euo pipefail
if [ "${1:-}" != "--outside" ]; then
  command -v slirp4netns >/dev/null || { echo "slirp-host: slirp4netns is not installed (apt-get install slirp4netns)" >&2; exit 2; }
  # The namespace the tap goes into stays reachable as fd 3 after unshare has moved this process out of it.
  exec 3</proc/self/ns/net
  exec unshare --net -- "$0" --outside
fi

ifname="${HARNESS_IFNAME:-slirp0}"
address="${HARNESS_ADDRESS:-10.0.2.2/24}"
mtu="${HARNESS_MTU:-1500}"
fail() { echo "slirp-host: $*" >&2; exit 2; }

[[ "$address" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)/([0-9]+)$ ]] || fail "HARNESS_ADDRESS '$address' is not an IPv4 address with a prefix length (10.0.2.2/24)"
a=$(( (BASH_REMATCH[1] << 24) | (BASH_REMATCH[2] << 16) | (BASH_REMATCH[3] << 8) | BASH_REMATCH[4] ))
len=${BASH_REMATCH[5]}
(( len >= 8 && len <= 29 )) || fail "HARNESS_ADDRESS '$address': slirp needs a prefix length of 8..29"
net=$(( a & ((0xffffffff << (32 - len)) & 0xffffffff) ))
(( a == net + 2 )) || fail "HARNESS_ADDRESS '$address': slirp's gateway is always the network address + 2"
dotted() { echo "$(( $1 >> 24 & 255 )).$(( $1 >> 16 & 255 )).$(( $1 >> 8 & 255 )).$(( $1 & 255 ))"; }
mac=$(printf '52:55:%02x:%02x:%02x:%02x' $(( a >> 24 & 255 )) $(( a >> 16 & 255 )) $(( a >> 8 & 255 )) $(( a & 255 )))
if [ -n "${HARNESS_MAC:-}" ] && [ "${HARNESS_MAC,,}" != "$mac" ]; then
  fail "HARNESS_MAC $HARNESS_MAC: slirp's gateway at $(dotted $a) always has MAC $mac"
fi
[[ "$mtu" =~ ^[0-9]+$ ]] && (( mtu >= 576 && mtu <= 65521 )) || fail "HARNESS_MTU '$mtu' is not a number in 576..65521"

ip link set lo up
socat TCP4-LISTEN:7,bind=127.0.0.1,reuseaddr,fork EXEC:cat &
socat -u TCP4-LISTEN:9,bind=127.0.0.1,reuseaddr,fork OPEN:/dev/null &
socat UDP4-RECVFROM:7,bind=127.0.0.1,fork EXEC:cat &
echo "slirp-host: gateway $(dotted $a) ($mac), dns $(dotted $((net + 3))) on $ifname, mtu $mtu"
exec slirp4netns --mtu "$mtu" --cidr "$(dotted $net)/$len" ${SLIRP_API_SOCKET:+--api-socket "$SLIRP_API_SOCKET"} \
  --netns-type=path /proc/self/fd/3 "$ifname"
