#!/usr/bin/env bash
# Records the small captures of real Linux traffic in captures/ that `harness replay` and its tests use.
# Two network namespaces joined by a veth pair, checksum offload off on both ends, IPv6 off, addresses
# from TEST-NET-1 (192.0.2.0/24); tcpdump runs on the server side (rp-b, 192.0.2.2).
# Needs root. The namespaces are removed on every exit path.
set -euo pipefail

out="${1:-$(cd "$(dirname "$0")/.." && pwd)/captures}"
mkdir -p "$out"
A=rp-a B=rp-b
A_IP=192.0.2.1 B_IP=192.0.2.2
A_MAC=02:00:00:00:0a:01 B_MAC=02:00:00:00:0b:02

cleanup() {
    [[ -n "${dump_pid:-}" ]] && kill "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null || true
    [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
}
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

setup() {
    cleanup
    ip netns add "$A"
    ip netns add "$B"
    ip link add va netns "$A" type veth peer name vb netns "$B"
    for ns in "$A" "$B"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip netns exec "$ns" ip link set lo up
    done
    ip netns exec "$A" sysctl -qw net.ipv6.conf.va.disable_ipv6=1
    ip netns exec "$B" sysctl -qw net.ipv6.conf.vb.disable_ipv6=1
    ip -n "$A" link set va address "$A_MAC"
    ip -n "$B" link set vb address "$B_MAC"
    ip netns exec "$A" ethtool -K va tx off rx off >/dev/null
    ip netns exec "$B" ethtool -K vb tx off rx off >/dev/null
    ip -n "$A" addr add "$A_IP/24" dev va
    ip -n "$B" addr add "$B_IP/24" dev vb
    ip -n "$A" link set va up
    ip -n "$B" link set vb up
    sleep 0.5
}

# record NAME SERVER CLIENT: fresh namespaces (empty ARP caches), SERVER (may be "") started in rp-b, tcpdump
# on rp-b while CLIENT runs in rp-a.
record() {
    local name="$1" server_cmd="$2" client_cmd="$3"
    setup
    if [[ -n "$server_cmd" ]]; then
        ip netns exec "$B" sh -c "$server_cmd" &
        server_pid=$!
        sleep 0.5
    fi
    ip netns exec "$B" tcpdump -i vb -w "$out/$name.pcap" -s 0 -U --immediate-mode -Z root 2>"$tmp/tcpdump.log" &
    dump_pid=$!
    # Start the traffic only once tcpdump listens (it can take seconds on a busy machine).
    for _ in $(seq 100); do grep -q "listening on" "$tmp/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
    sleep 0.2
    ip netns exec "$A" sh -c "$client_cmd" >/dev/null 2>&1 || true
    # Let tcpdump drain its ring before it is stopped (it drops frames still in a ring block on SIGTERM).
    sleep 1.5
    cleanup
    dump_pid= server_pid=
    echo "$name.pcap: $(tcpdump -r "$out/$name.pcap" 2>/dev/null | wc -l) frames"
}

record arp-ping "" "ping -c 2 -i 0.2 -s 56 $B_IP"
record ping-fragmented "" "ping -c 1 -s 3000 $B_IP"
record udp-echo "socat -T 2 UDP4-RECVFROM:7007,bind=$B_IP EXEC:'echo reply'" \
    "echo request | socat -t 1 - UDP4:$B_IP:7007"
# A tiny HTTP/1.1-ish server: reads the request line and headers, answers, closes.
cat >"$tmp/http-server.sh" <<'SH'
read -r request
while read -r header && [ "$header" != "$(printf '\r')" ]; do :; done
printf 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n'
SH
record tcp-http "socat TCP4-LISTEN:8080,bind=$B_IP,reuseaddr SYSTEM:'sh $tmp/http-server.sh'" \
    "curl -s --http1.1 -H 'Connection: close' http://$B_IP:8080/"
record tcp-refused "" "socat -T 1 - TCP4:$B_IP:9 </dev/null"
