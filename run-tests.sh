#!/usr/bin/env bash
# Sets up what the tests need, builds, runs every test, and ends with "N passed, N failed, N skipped".
# Exits non-zero on any failure or when no test ran.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
# Logs stay under the checkout, so two checkouts on one machine do not overwrite each other's.
logs="$here/out/run-tests"
mkdir -p "$logs"

# Debian packages the tests use: libpcap for SharpPcap, tshark to validate every recorded pcap,
# the tools the real-wire (TAP) interop tests drive (radvd: router advertisements for the IPv6 SLAAC test), and an independent YAML 1.1 + JSON Schema validator
# (scripts/validate-scenarios.py) the schema tests run over every shipped scenario.
packages=(libpcap0.8 tshark tcpdump iproute2 procps nftables iputils-ping iputils-arping socat curl radvd ethtool liblwip-dev gcc libc6-dev pkg-config slirp4netns util-linux chromium python3 python3-yaml python3-jsonschema)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "run-tests: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >/dev/null 2>&1 || true
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$logs/apt.log" 2>&1; then
      echo "run-tests: apt-get install failed; see $logs/apt.log" >&2
      tail -5 "$logs/apt.log" >&2
      echo "0 passed, 1 failed, 0 skipped"
      exit 1
    fi
  else
    echo "run-tests: missing Debian packages: ${missing[*]}" >&2
    echo "run-tests: install them as root: apt-get install ${missing[*]}" >&2
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "run-tests: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A missing golden snapshot must fail in CI rather than be written silently.
export SNAPSHOOTER_STRICT_MODE="${SNAPSHOOTER_STRICT_MODE:-${CI:+true}}"

echo "run-tests: building… (Release; log: $logs/build.log)"
build_started=$SECONDS
if ! dotnet build Harness.sln -c Release -nologo -v q >"$logs/build.log" 2>&1; then
  grep -E 'error' "$logs/build.log" | sort -u | head -30 >&2
  echo "run-tests: build failed after $((SECONDS - build_started)) s" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "run-tests: built in $((SECONDS - build_started)) s; testing (log: $logs/test-output.log)"

results="$here/TestResults"
rm -rf "$results"
dotnet test Harness.sln -c Release --no-build -nologo \
  --logger "trx;LogFileName=tests.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@" 2>&1 | tee "$logs/test-output.log" | grep -E '^\s+(Passed|Failed|Skipped) |Skipped .*:|Error Message|^\s+Expected|^Total|Test Run' || true
status=${PIPESTATUS[0]}

trx=$(find "$results" -name '*.trx' 2>/dev/null | head -1)
passed=0; failed=0; skipped=0; total=0
if [ -n "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o "$1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total=$(get total); passed=$(get passed); failed=$(get failed)
  # Ignored and inconclusive NUnit tests are written as outcome="NotExecuted", but the counters may say 0 of them
  # (nunit/nunit#5045): count the results themselves.
  skipped=$(grep -o 'outcome="NotExecuted"' "$trx" | wc -l)
  failed=$((failed + $(get error) + $(get timeout) + $(get aborted)))
fi
# The per-test lines of a failure scroll out of a long log: name the failures again just above the summary.
[ -n "$trx" ] && python3 scripts/trx-failures.py "$trx"
if [ "$total" -eq 0 ]; then
  echo "run-tests: no test ran" >&2
  [ "$failed" -eq 0 ] && failed=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "run-tests: dotnet test exited with $status" >&2
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
