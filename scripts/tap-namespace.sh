#!/usr/bin/env bash
# Makes (or removes) a network namespace with a tap for trying `harness tap` by hand, so nothing touches
# the host's own network. IPv6 is off inside (no MLD/router-solicitation noise in recordings).
#
#   scripts/tap-namespace.sh up   [NS] [KERNEL_CIDR]   # default: tapns, 10.200.0.1/24 on tap0
#   sudo ip netns exec tapns ./harness tap --dev tap0 --ip 10.200.0.2/24 --serve echo:7 --serve http:80
#   sudo ip netns exec tapns curl http://10.200.0.2/
#   scripts/tap-namespace.sh down [NS]
set -euo pipefail
action="${1:-}"
ns="${2:-tapns}"
cidr="${3:-10.200.0.1/24}"
if [ "$(id -u)" -ne 0 ]; then
  echo "tap-namespace: run as root (creating namespaces and taps needs CAP_NET_ADMIN)" >&2
  exit 2
fi
case "$action" in
  up)
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
    ip -n "$ns" tuntap add dev tap0 mode tap
    ip -n "$ns" addr add "$cidr" dev tap0
    ip -n "$ns" link set tap0 up
    echo "namespace $ns: tap0 with the kernel at $cidr; run: ip netns exec $ns ./harness tap --dev tap0 --ip ADDRESS/PREFIX"
    ;;
  down)
    ip netns del "$ns"
    ;;
  *)
    echo "usage: $0 up [NS] [KERNEL_CIDR] | down [NS]" >&2
    exit 2
    ;;
esac
