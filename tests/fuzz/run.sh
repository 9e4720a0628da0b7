#!/usr/bin/env bash
# run.sh - the libFuzzer targets of tests/fuzz (built by `make FUZZ=1 fuzz`)
# over their seed corpora, and as many mutations more.
#   tests/fuzz/run.sh            each target: its seeds and 20000 mutations
#                                from a fixed seed (what CI runs; a few seconds)
#   tests/fuzz/run.sh 600        each target for 600 s, new inputs kept in
#                                build-fuzz/corpus/ (a campaign)
# One line per target, "ok - ..." or "not ok - ..." with the input that
# failed kept under build-fuzz/crashes/; the status is 1 if any failed.
set -u
cd "$(dirname "$0")/../.."
B=build-fuzz
secs=${1:-}
[ -x "$B/fuzz/fuzz_capture" ] || { echo "not ok - fuzz: $B has no targets (make FUZZ=1 fuzz)"; exit 1; }
work=$B/corpus crashes=$B/crashes
mkdir -p "$work" "$crashes"

# seeds: the captures of the tests (plain, gzip, zstd), a GeoLite2-layout
# database, the start of the service and country tables, the checked-in
# segments and configurations, and every input that once failed
seeds=$(mktemp -d); trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds/capture"
"$B/tests/mkfixtures" "$seeds/capture" >/dev/null || { echo "not ok - fuzz: cannot write the fixtures"; exit 1; }
gzip -c "$seeds/capture/multi.pcapng" > "$seeds/capture/multi.pcapng.gz"
gzip -c "$seeds/capture/frags.pcap" > "$seeds/capture/frags.pcap.gz"
zstd -q -c "$seeds/capture/sll.pcap" > "$seeds/capture/sll.pcap.zst"
mkdir -p "$seeds/geo"
perl tests/tools/mkgeolite.pl "$seeds/geo/geolite.mmdb" || { echo "not ok - fuzz: cannot write a GeoIP database"; exit 1; }
mkdir -p "$seeds/labels"
{ printf '23/tcp\n'; grep -v '^#' /usr/share/wireshark/services | head -80; printf '\0'
  head -c 4000 /usr/share/iso-codes/json/iso_3166-1.json; } > "$seeds/labels/services-countries"
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0

status=0
for bin in "$B"/fuzz/fuzz_*; do
  t=${bin##*/fuzz_}
  # the first directory gets the new inputs: kept by a campaign, not by CI
  if [ -n "$secs" ]; then
    args=(-max_total_time="$secs"); mkdir -p "$work/$t"; dirs=("$PWD/$work/$t")
  else
    args=(-runs=20000 -seed=1); dirs=("$(mktemp -d -p "$seeds")")
  fi
  from=$t; [ "$t" = ingest ] && from=capture # (the ingest target reads captures too)
  [ -d "$seeds/$from" ] && dirs+=("$seeds/$from")
  [ -d "tests/fuzz/corpus/$from" ] && dirs+=("$PWD/tests/fuzz/corpus/$from")
  log=$B/fuzz_$t.log
  ( cd "$crashes" && "../fuzz/fuzz_$t" "${args[@]}" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 "${dirs[@]}" ) > "$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "ok - fuzz: $t: ${runs:-?} inputs, ${cov:-cov: ?}, no crash, leak or hang"
  else
    status=1
    echo "not ok - fuzz: $t failed (status $rc): $(grep -m1 -E 'ERROR|runtime error|SUMMARY' "$log")"
    echo "#   input kept in $crashes; log in $log"
  fi
done
exit $status
