#!/usr/bin/env bash
# Builds tools/lwip-host (lwIP on a tap with ARP, ICMP echo, UDP echo 7, TCP echo 7 and discard 9) against
# Debian's liblwip-dev into out/lwip-host/lwip_host, installing liblwip-dev, gcc and pkg-config when missing
# (as root). Prints the binary's path; rebuilds only when the source is newer.
#
#   scripts/build-lwip-host.sh            # -> out/lwip-host/lwip_host
#   HARNESS_IFNAME=lwip0 HARNESS_ADDRESS=10.0.0.2/24 HARNESS_MAC=02:00:00:00:00:02 out/lwip-host/lwip_host
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$here/tools/lwip-host/lwip_host.c"
out="$here/out/lwip-host"
bin="$out/lwip_host"

missing=()
for p in liblwip-dev gcc libc6-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-lwip-host: missing Debian packages: ${missing[*]} (apt-get install them as root)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/build-lwip-host-apt.log 2>&1; then
    echo "build-lwip-host: apt-get install ${missing[*]} failed; see /tmp/build-lwip-host-apt.log" >&2
    exit 1
  fi
fi

mkdir -p "$out"
if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$0" -nt "$bin" ]; then
  # shellcheck disable=SC2046 # pkg-config prints several words on purpose
  gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$bin.tmp" "$src" $(pkg-config --cflags --libs lwip) -lpthread
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
