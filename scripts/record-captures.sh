#!/usr/bin/env bash
# Records the small captures of real Linux traffic in captures/ that `harness replay` and its tests use.
# Two network namespaces joined by a veth pair, checksum offload off on both ends, IPv6 off, addresses
# from TEST-NET-1 (192.0.2.0/24); tcpdump runs on the server side (rp-b, 192.0.2.2). The IPv6 captures (tcp6-*,
# ping6*, udp6-*, dual-stack) have IPv6 on, with 2001:db8::1/64 and 2001:db8::2/64 (documentation prefix) besides.
# Needs root. The namespaces (named with this script's pid, so that runs in parallel do not meet) are removed on
# every exit path. CI records the mid-stream, handshake-less, lossy and multi-flow captures afresh with it and
# replays each in both roles on the virtual wire and on the kernel (tests/Tests/Tap/RecordedCorpusTests.cs).
set -euo pipefail
# Usage: record-captures.sh [OUT_DIR [NAME...]]   (no NAME: record every capture)

out="${1:-$(cd "$(dirname "$0")/.." && pwd)/captures}"
shift || true
only=("$@")
mkdir -p "$out"
# How long tcpdump is given to write out the last frames before it is stopped (RECORD_DRAIN seconds).
drain="${RECORD_DRAIN:-0.5}"
wanted() { [[ ${#only[@]} -eq 0 ]] && return 0; local n; for n in "${only[@]}"; do [[ "$n" == "$1" ]] && return 0; done; return 1; }
# The tools the captures are made with, installed when missing (Debian).
need=()
for tool in tcpdump:tcpdump socat:socat curl:curl ping:iputils-ping nft:nftables ethtool:ethtool dumpcap:tshark python3:python3; do
    command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [[ ${#need[@]} -gt 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
A=rpa$$ B=rpb$$ R=rpr$$
A_IP=192.0.2.1 B_IP=192.0.2.2
A_MAC=02:00:00:00:0a:01 B_MAC=02:00:00:00:0b:02
A_IP6=2001:db8::1 B_IP6=2001:db8::2

cleanup() {
    [[ -n "${dump_pid:-}" ]] && kill "$dump_pid" 2>/dev/null && wait "$dump_pid" 2>/dev/null || true
    [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    local p
    for p in "${servers[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    servers=()
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    ip netns del "$R" 2>/dev/null || true
}
servers=()
tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# wait_for WHAT COMMAND...: polls COMMAND (every 50 ms, at most 30 s: a loaded machine is slow, not broken) until it
# succeeds; fails the recording, naming WHAT, when it never does, rather than record an exchange that was not meant.
wait_for() {
    local what="$1" i; shift
    for i in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "record-captures.sh: $what did not happen within 30 s" >&2
    exit 1
}
# listening NS: a socket listens in namespace NS (the namespaces are fresh: it is the server just started).
listening() { [[ -n "$(ip netns exec "$1" ss -Hltun 2>/dev/null)" ]]; }
# dumping: the capture tool started by record or start_dump reports that it captures.
dumping() { grep -qE "listening on|Capturing on" "$tmp/tcpdump.log"; }

# setup [ipv6|dual]: fresh namespaces; with "ipv6", IPv6 stays on (link-local noise: DAD, router and MLD messages);
# with "dual", IPv6 is on and quiet (no duplicate address detection or router solicitation, so a capture shows the
# traffic and its neighbour discovery, not the interface's start-up) and each end has its 2001:db8:: address too.
setup() {
    cleanup
    ip netns add "$A"
    ip netns add "$B"
    ip link add va netns "$A" type veth peer name vb netns "$B"
    local v6=1
    [[ "${1:-}" == ipv6 || "${1:-}" == dual ]] && v6=0
    for ns in "$A" "$B"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=$v6 net.ipv6.conf.default.disable_ipv6=$v6
        ip netns exec "$ns" ip link set lo up
    done
    ip netns exec "$A" sysctl -qw net.ipv6.conf.va.disable_ipv6=$v6
    ip netns exec "$B" sysctl -qw net.ipv6.conf.vb.disable_ipv6=$v6
    ip -n "$A" link set va address "$A_MAC"
    ip -n "$B" link set vb address "$B_MAC"
    ip netns exec "$A" ethtool -K va tx off rx off >/dev/null
    ip netns exec "$B" ethtool -K vb tx off rx off >/dev/null
    ip netns exec "$A" ethtool -K va gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$B" ethtool -K vb gso off gro off >/dev/null 2>&1 || true
    ip -n "$A" addr add "$A_IP/24" dev va
    ip -n "$B" addr add "$B_IP/24" dev vb
    if [[ "${1:-}" == dual ]]; then
        local pair
        for pair in "$A va $A_IP6" "$B vb $B_IP6"; do
            set -- $pair
            ip netns exec "$1" sysctl -qw net.ipv6.conf."$2".accept_dad=0 net.ipv6.conf."$2".router_solicitations=0 \
                net.ipv6.conf."$2".accept_ra=0
            ip -n "$1" addr add "$3/64" dev "$2" nodad
        done
    fi
    ip -n "$A" link set va up
    ip -n "$B" link set vb up
    sleep 0.1
}

# record NAME SERVER CLIENT [SETUP]: fresh namespaces (empty ARP and neighbour caches), SERVER (may be "") started
# in rp-b, tcpdump on rp-b while CLIENT runs in rp-a; SETUP is setup's argument.
record() {
    local name="$1" server_cmd="$2" client_cmd="$3"
    setup "${4:-}"
    # With IPv6 on, the link's start-up (MLD reports of the link-local address) is over before the capture starts.
    [[ -n "${4:-}" ]] && sleep 1
    if [[ -n "$server_cmd" ]]; then
        ip netns exec "$B" sh -c "$server_cmd" &
        server_pid=$!
        wait_for "the server listening" listening "$B"
    fi
    ip netns exec "$B" tcpdump -i vb -w "$out/$name.pcap" -s 0 -U --immediate-mode -Z root 2>"$tmp/tcpdump.log" &
    dump_pid=$!
    # Start the traffic only once tcpdump listens (it can take seconds on a busy machine).
    wait_for "tcpdump listening" dumping
    sleep 0.1
    ip netns exec "$A" sh -c "$client_cmd" >/dev/null 2>&1 || true
    # Let tcpdump drain its ring before it is stopped (it drops frames still in a ring block on SIGTERM).
    sleep "$drain"
    cleanup
    dump_pid= server_pid=
    echo "$name.pcap: $(tcpdump -r "$out/$name.pcap" 2>/dev/null | wc -l) frames"
}

wanted arp-ping && record arp-ping "" "ping -c 2 -i 0.2 -s 56 $B_IP"
wanted ping-fragmented && record ping-fragmented "" "ping -c 1 -s 3000 $B_IP"
wanted udp-echo && record udp-echo "socat -T 2 UDP4-RECVFROM:7007,bind=$B_IP SYSTEM:'read -r request; echo reply'" \
    "echo request | socat -t 1 - UDP4:$B_IP:7007"
# A tiny HTTP/1.1-ish server: reads the request line and headers, answers, closes.
cat >"$tmp/http-server.sh" <<'SH'
read -r request
while read -r header && [ "$header" != "$(printf '\r')" ]; do :; done
printf 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n'
SH
wanted tcp-http && record tcp-http "socat TCP4-LISTEN:8080,bind=$B_IP,reuseaddr SYSTEM:'sh $tmp/http-server.sh'" \
    "curl -s --http1.1 -H 'Connection: close' http://$B_IP:8080/"
wanted tcp-refused && record tcp-refused "" "socat -T 1 - TCP4:$B_IP:9 </dev/null"
# IPv6: the same conversations over IPv6 (neighbour discovery in place of ARP), a ping6 fragmented into three
# (3000 bytes of data: fragment headers, RFC 8200 §4.5), and a dual-stack capture: an IPv4 ping, then an HTTP
# request over IPv6, between the same two hosts.
wanted ping6 && record ping6 "" "ping -6 -c 2 -i 0.2 -s 56 $B_IP6" dual
wanted ping6-fragmented && record ping6-fragmented "" "ping -6 -c 1 -s 3000 $B_IP6" dual
wanted udp6-echo && record udp6-echo "socat -T 2 UDP6-RECVFROM:7007,bind=[$B_IP6] SYSTEM:'read -r request; echo reply'" \
    "echo request | socat -t 1 - UDP6:[$B_IP6]:7007" dual
wanted tcp6-http && record tcp6-http "socat TCP6-LISTEN:8080,bind=[$B_IP6],reuseaddr SYSTEM:'sh $tmp/http-server.sh'" \
    "curl -s -6 --http1.1 -H 'Connection: close' http://[$B_IP6]:8080/" dual
wanted dual-stack && record dual-stack "socat TCP6-LISTEN:8080,bind=[$B_IP6],reuseaddr SYSTEM:'sh $tmp/http-server.sh'" \
    "ping -c 1 $B_IP; curl -s -6 --http1.1 -H 'Connection: close' http://[$B_IP6]:8080/" dual

# start_dump NAME [TOOL ARGS...]: tcpdump (or dumpcap) on rp-b's end, returning once it listens.
start_dump() {
    local file="$1"; shift
    ip netns exec "$B" "$@" -w "$file" 2>"$tmp/tcpdump.log" &
    dump_pid=$!
    wait_for "$1 capturing" dumping
    sleep 0.1
}
finish() {
    sleep "$drain"
    cleanup
    dump_pid= server_pid=
    echo "$1: $(tcpdump -r "$out/$1" 2>/dev/null | wc -l) frames, $(stat -c %s "$out/$1") bytes"
}
# A large capture buffer: on a loaded machine tcpdump falls behind a 3%-loss bulk transfer.
TCPDUMP=(tcpdump -i vb -s 0 -B 16384 -U --immediate-mode -Z root)

# Frames the capture tool reported dropped (tcpdump: "N packets dropped by kernel"; dumpcap: per interface
# "received/dropped ... R/D"): such a capture misses frames the endpoint saw and cannot be replayed.
dropped_frames() {
    local n=0 d
    for d in $(grep -oE '[0-9]+ packets dropped by kernel' "$tmp/tcpdump.log" | cut -d' ' -f1) \
             $(grep -oE "dropped on interface '[^']*': [0-9]+/[0-9]+" "$tmp/tcpdump.log" | sed 's|.*/||'); do
        n=$((n + d))
    done
    echo "$n"
}
# whole FILE FUNCTION: records with FUNCTION until the capture dropped nothing, at most three times.
whole() {
    local file="$1" func="$2" try dropped
    for try in 1 2 3; do
        "$func"
        dropped=$(dropped_frames)
        [[ "$dropped" -eq 0 ]] && return 0
        echo "$file: the capture dropped $dropped frames; recording it again" >&2
    done
    echo "$file: the capture dropped frames three times" >&2
    return 1
}

# An echo conversation whose capture starts after the handshake and the first exchange (warm ARP caches):
# the client's lines 2-6 and their echoes, then the orderly close.
record_midstream() {
    setup
    ip netns exec "$B" socat TCP4-LISTEN:8081,bind=$B_IP,reuseaddr EXEC:cat &
    server_pid=$!
    wait_for "the echo server listening" listening "$B"
    # The client sends line 1, then waits on a FIFO until tcpdump listens: the capture starts after the handshake.
    rm -f "$tmp/go"; mkfifo "$tmp/go"
    ip netns exec "$A" sh -c "(echo line-1; cat $tmp/go >/dev/null; for i in 2 3 4 5 6; do echo line-\$i; sleep 0.2; done) | socat -t 1 - TCP4:$B_IP:8081 >/dev/null" &
    client_pid=$!
    # The capture must start after line 1's echo (mid-stream): wait until the client has received its 7 bytes.
    wait_for "line 1 echoed" sh -c "ip netns exec $A ss -Htin state established '( dport = :8081 )' | grep -q 'bytes_received:7 '"
    start_dump "$out/tcp-midstream.pcap" "${TCPDUMP[@]}"
    echo go >"$tmp/go"
    wait "$client_pid" || true
    finish tcp-midstream.pcap
}
wanted tcp-midstream && whole tcp-midstream.pcap record_midstream

# The same kind of conversation with the handshake filtered out of the capture (cold ARP caches: the ARP
# exchange is there, the SYN and SYN-ACK are not).
record_handshakeless() {
    setup
    ip netns exec "$B" socat TCP4-LISTEN:8081,bind=$B_IP,reuseaddr EXEC:cat &
    server_pid=$!
    wait_for "the echo server listening" listening "$B"
    start_dump "$out/tcp-handshakeless.pcap" "${TCPDUMP[@]}" 'not (tcp[tcpflags] & tcp-syn != 0)'
    ip netns exec "$A" sh -c "(for i in 1 2 3; do echo hello-\$i; sleep 0.2; done) | socat -t 1 - TCP4:$B_IP:8081 >/dev/null" || true
    finish tcp-handshakeless.pcap
}
wanted tcp-handshakeless && whole tcp-handshakeless.pcap record_handshakeless

# 320 KB from the client in 8 KB writes (20 ms apart, so the flight stays small) with 3% loss both ways on
# the wire: rp-a and rp-b are joined through a bridge in a third namespace (rp-r) whose nftables bridge
# forward chain drops at random. (Dropping on an endpoint's own egress would not do: TCP hears of a local
# drop and resends at once, so nothing is lost on the wire.) The capture on rp-b shows what the server
# received and everything it sent: holes, SACK blocks, fast retransmissions.
record_lossy() {
    setup
    ip link del va 2>/dev/null || ip -n "$A" link del va
    ip netns del "$R" 2>/dev/null || true
    ip netns add "$R"
    ip link add va netns "$A" type veth peer name ra netns "$R"
    ip link add vb netns "$B" type veth peer name rb netns "$R"
    ip -n "$R" link add br0 type bridge
    for dev in ra rb; do ip -n "$R" link set "$dev" master br0; ip -n "$R" link set "$dev" up; done
    ip -n "$R" link set br0 up
    for pair in "$A va $A_MAC $A_IP" "$B vb $B_MAC $B_IP"; do
        set -- $pair
        ip netns exec "$1" sysctl -qw net.ipv6.conf.$2.disable_ipv6=1
        ip -n "$1" link set "$2" address "$3"
        ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null
        ip -n "$1" addr add "$4/24" dev "$2"
        ip -n "$1" link set "$2" up
    done
    ip netns exec "$R" nft -f - <<NFT
table bridge loss {
    chain forward {
        type filter hook forward priority 0;
        # Loss of data and ACKs only: a capture taken at one end cannot show which side a lost ARP, SYN or SYN-ACK
        # failed to reach, so a replay of it could not be judged (a lost SYN-ACK made the client role differ).
        ether type ip ip protocol tcp tcp flags & (syn | fin | rst) == 0 numgen random mod 100 < 3 drop;
    }
}
NFT
    sleep 0.1
    ip netns exec "$B" socat TCP4-LISTEN:8082,bind=$B_IP,reuseaddr SYSTEM:'cat >/dev/null' &
    server_pid=$!
    wait_for "the sink listening" listening "$B"
    start_dump "$out/tcp-lossy.pcap" "${TCPDUMP[@]}"
    ip netns exec "$A" sh -c "for i in \$(seq 40); do head -c 8192 /dev/urandom; sleep 0.02; done | socat -t 3 - TCP4:$B_IP:8082" || true
    finish tcp-lossy.pcap
    ip netns del "$R" 2>/dev/null || true
}
wanted tcp-lossy && whole tcp-lossy.pcap record_lossy

# Several flows at once on two interfaces (pcapng from dumpcap: rp-b's veth to rp-a, and a second veth pair
# between them on 198.51.100.0/24 carrying a ping): three HTTP requests in parallel, two echo connections, two
# UDP requests, three pings; IPv6 on (DAD, router solicitations, MLD, an IPv6 ping), mDNS questions over IPv4
# and IPv6, and an LLDP frame.
record_multiflow() {
    setup ipv6
    ip link add va2 netns "$A" type veth peer name vb2 netns "$B"
    ip netns exec "$A" sysctl -qw net.ipv6.conf.va2.disable_ipv6=1
    ip netns exec "$B" sysctl -qw net.ipv6.conf.vb2.disable_ipv6=1
    ip netns exec "$A" ethtool -K va2 tx off rx off >/dev/null
    ip netns exec "$B" ethtool -K vb2 tx off rx off >/dev/null
    ip -n "$A" addr add 198.51.100.1/24 dev va2
    ip -n "$B" addr add 198.51.100.2/24 dev vb2
    ip -n "$A" link set va2 up
    ip -n "$B" link set vb2 up
    ip -n "$A" route add 224.0.0.0/4 dev va
    ip netns exec "$B" socat TCP4-LISTEN:8080,bind=$B_IP,reuseaddr,fork SYSTEM:"sh $tmp/http-server.sh" </dev/null >/dev/null 2>&1 &
    servers+=($!)
    ip netns exec "$B" socat TCP4-LISTEN:8081,bind=$B_IP,reuseaddr,fork EXEC:cat </dev/null >/dev/null 2>&1 &
    servers+=($!)
    ip netns exec "$B" socat UDP4-RECVFROM:7007,bind=$B_IP,fork SYSTEM:'read -r request; echo reply' </dev/null >/dev/null 2>&1 &
    servers+=($!)
    for port in 8080 8081; do wait_for "the server on $port listening" sh -c "ip netns exec $B ss -Hltn 'sport = :$port' | grep -q ."; done
    wait_for "the UDP server listening" sh -c "ip netns exec $B ss -Hlun 'sport = :7007' | grep -q ."
    start_dump "$out/multi-flow.pcapng" dumpcap -q -B 16 -i vb -i vb2
    ip netns exec "$A" sh -c "
        curl -s --http1.1 -H 'Connection: close' http://$B_IP:8080/a >/dev/null &
        curl -s --http1.1 -H 'Connection: close' http://$B_IP:8080/b >/dev/null &
        curl -s --http1.1 -H 'Connection: close' http://$B_IP:8080/c >/dev/null &
        (echo first; sleep 0.3; echo second) | socat -t 1 - TCP4:$B_IP:8081 >/dev/null &
        (echo one; sleep 0.2; echo two) | socat -t 1 - TCP4:$B_IP:8081 >/dev/null &
        echo query-1 | socat -t 1 - UDP4:$B_IP:7007 >/dev/null &
        echo query-2 | socat -t 1 - UDP4:$B_IP:7007 >/dev/null &
        ping -c 3 -i 0.2 -w 2 $B_IP >/dev/null &
        ping -c 2 -i 0.2 -w 2 198.51.100.2 >/dev/null &
        python3 -c '
import socket, struct
# An mDNS question (RFC 6762): PTR _replay._tcp.local, over IPv4 and IPv6.
name = b\"\".join(bytes([len(p)]) + p for p in (b\"_replay\", b\"_tcp\", b\"local\")) + b\"\\0\"
query = struct.pack(\"!6H\", 0, 0, 1, 0, 0, 0) + name + struct.pack(\"!2H\", 12, 1)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(query, (\"224.0.0.251\", 5353))
six = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
six.sendto(query, (\"ff02::fb\", 5353, 0, socket.if_nametoindex(\"va\")))
' >/dev/null 2>&1 &
        ping -6 -c 2 -i 0.2 -w 1 ff02::1%va >/dev/null 2>&1 &
        python3 -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((\"va\", 0))
tlv = lambda t, v: bytes([(t << 1) | (len(v) >> 8), len(v) & 255]) + v
mac = bytes.fromhex(\"02000000 0a01\".replace(\" \", \"\"))
lldp = tlv(1, b\"\\x04\" + mac) + tlv(2, b\"\\x05va\") + tlv(3, b\"\\x00\\x78\") + tlv(0, b\"\")
s.send(bytes.fromhex(\"0180c200000e\") + mac + b\"\\x88\\xcc\" + lldp)
' &
        wait" </dev/null || true
    finish multi-flow.pcapng
    # dumpcap writes each interface's frames as its buffer fills, not in time order: sort them (replay plays by time).
    reordercap "$out/multi-flow.pcapng" "$tmp/sorted.pcapng" >/dev/null && mv "$tmp/sorted.pcapng" "$out/multi-flow.pcapng"
}
wanted multi-flow && whole multi-flow.pcapng record_multiflow
exit 0
