# synth.sh - the demo data: deterministic per seed, injected events land
# where they were put, and the reference preset reproduces the report's tables.
. "$(dirname "$0")/lib.sh"
[ -f "$GEO" ] || { notok "geo database missing (run scripts/setup.sh)"; exit 0; }
s() { "$DS" synth --geoip "$GEO" --quiet "$@"; }
s --from 2014-11-01 --to 2014-11-02 --rate 5000 --seed 9 --out "$TMP/a.pcap"
s --from 2014-11-01 --to 2014-11-02 --rate 5000 --seed 9 --out "$TMP/b.pcap.zst"
zstd -q -d -c "$TMP/b.pcap.zst" > "$TMP/b.pcap"
same "same seed, same capture (plain and zstd)" "$TMP/a.pcap" "$TMP/b.pcap"
s --from 2014-11-01 --to 2014-11-02 --rate 5000 --seed 10 --out "$TMP/c.pcap"
check "another seed, another capture" not cmp -s "$TMP/a.pcap" "$TMP/c.pcap"
n=$(tshark_frames "$TMP/a.pcap")
check "about the asked rate ($n packets for 2 days at 5000/day)" [ "$n" -gt 8000 -a "$n" -lt 12000 ]
# runs of one source: sweeps of 5 addresses in a row by default, none with
# --sweep 1 (scanners that randomise their targets); tshark counts them
runs() { tshark -r "$1" -T fields -e ip.src -e ipv6.src -e tcp.dstport -e udp.dstport 2>/dev/null |
  awk '{n++; if ($0 == prev) r++; prev = $0} END {printf "%d", 100 * r / n}'; }
s --from 2014-11-01 --to 2014-11-02 --rate 5000 --seed 9 --sweep 1 --out "$TMP/s1.pcap"
ra=$(runs "$TMP/a.pcap") r1=$(runs "$TMP/s1.pcap")
check "a packet repeats the previous one's source and port: $ra% by default, $r1% with --sweep 1" \
  [ "$ra" -ge 60 -a "$r1" -le 3 ]
"$DS" synth --from 2014-11-01 --to 2014-11-02 --sweep 0.5 --out "$TMP/x.pcap" 2> "$TMP/err"; rc=$?
check "a bad --sweep is refused in one line ($(cat "$TMP/err"))" eval '[ $rc = 2 ] && grep -q "bad --sweep" "$TMP/err"'

# the reference preset: Table 1 and Table 2 as in the report
s --preset reference --seed 1 --rate 8000 --out "$TMP/ref.pcap" --write-config "$TMP/ref.conf"
sed -i "s#^db = .*#db = $TMP/ref.db#" "$TMP/ref.conf"
"$DS" ingest -c "$TMP/ref.conf" --quiet "$TMP/ref.pcap"
t1=$("$DS" top ports -c "$TMP/ref.conf" --quarter 2014Q4 --format csv | awk -F, 'NR>1 {printf "%s ", $2}')
check "Table 1: $t1" [ "$t1" = "23/tcp 22/tcp 445/tcp 8/icmp 1433/tcp " ]
t2=$("$DS" top regions -c "$TMP/ref.conf" --quarter 2014Q4 -n 3 --format csv | awk -F, 'NR>1 {printf "%s ", $2}')
check "Table 2 starts China, USA, Japan: $t2" [ "$t2" = "CN US JP " ]
jp=$("$DS" top regions -c "$TMP/ref.conf" --quarter 2014Q4 --previous -n 3 --format json | jq '.rows[2].previous_rank')
check "Japan rose from below 3rd the quarter before (was $jp)" [ "$jp" -gt 3 ]
# the local event: 12543 at osaka-2 only
ev=$("$DS" top sensors -c "$TMP/ref.conf" --from 2014-10-14 --to 2014-10-18 --port 12543/udp -n 5 --format json | jq -r '.rows[0].key + " " + (.rows[0].packets / .total_packets * 100 | floor | tostring)')
check "12543/udp in mid-October is seen by osaka-2 alone ($ev%)" [ "${ev% *}" = osaka-2 -a "${ev#* }" -ge 99 ]
# the broad surge: 23/tcp in the first week of November, on every sensor
for sensor in tokyo-1 osaka-2 nagoya-3 fukuoka-4; do
  before=$("$DS" top ports -c "$TMP/ref.conf" --from 2014-10-27 --to 2014-11-02 --port 23/tcp --sensor $sensor --format json | jq .total_packets)
  during=$("$DS" top ports -c "$TMP/ref.conf" --from 2014-11-04 --to 2014-11-10 --port 23/tcp --sensor $sensor --format json | jq .total_packets)
  check "23/tcp surge seen at $sensor ($before -> $during)" [ "$during" -gt $((before * 3)) ]
done
