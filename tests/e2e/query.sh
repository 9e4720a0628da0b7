# query.sh - top and series: previous-period ranks, time zones, steps,
# filters, ties, formats, and distinct sources against tshark's exact count.
. "$(dirname "$0")/lib.sh"
fixtures
[ -f "$GEO" ] || { notok "geo database missing (run scripts/setup.sh)"; exit 0; }
db=$TMP/q.db
cap=$TMP/two-quarters.pcap
"$SYNTH" synth --preset reference --geoip "$GEO" --rate 3000 --seed 3 --out "$cap" --write-config "$TMP/q.conf" --quiet
"$DS" ingest --db "$db" --geoip "$GEO" -c "$TMP/q.conf" --quiet "$cap"
q() { "$DS" "$@" --db "$db" -c "$TMP/q.conf"; }
jqtrue() { jq -e "$@" >/dev/null; }

# --previous: each row's rank in the previous quarter, null when absent
q top ports --quarter 2014Q4 --previous -n 200 --format json > "$TMP/t.json"
q top ports --quarter 2014Q3 -n 100000 --format json | jq -r '.rows[] | "\(.key) \(.rank)"' > "$TMP/prev"
jq -r '.rows[] | "\(.key) \(.previous_rank)"' "$TMP/t.json" | while read -r k r; do
  want=$(awk -v k="$k" '$1==k {print $2}' "$TMP/prev"); echo "$k ${want:-null} $r"; done > "$TMP/cmp"
check "--quarter --previous ranks are the previous quarter's" awk '$2!=$3 {exit 1}' "$TMP/cmp"
check "JSON has the documented fields" jqtrue '.by=="ports" and .from=="2014-10-01" and .to=="2014-12-31" and (.total_packets|type)=="number" and (.rows[0]|has("rank") and has("key") and has("label") and has("packets") and has("sources") and has("previous_rank"))' "$TMP/t.json"
check "keys absent the quarter before have previous_rank null (and there are some)" grep -q " null null$" "$TMP/cmp"
top1=$(jq -r '.rows[0].key' "$TMP/t.json")
check "23/tcp tops the synthetic reference quarter (got $top1)" [ "$top1" = "23/tcp" ]

# --from/--to --previous: the same number of days just before
a=$(q top regions --from 2014-12-01 --to 2014-12-10 --previous -n 3 --format json | jq -r '.rows[0].previous_rank')
b=$(q top regions --from 2014-11-21 --to 2014-11-30 -n 100 --format json | jq -r --arg k "$(q top regions --from 2014-12-01 --to 2014-12-10 -n 1 --format json | jq -r '.rows[0].key')" '.rows[] | select(.key==$k) | .rank')
check "--from/--to --previous uses the 10 days before ($a = $b)" [ "$a" = "$b" ]

# series: daily points sum to the period total; weeks and hours agree
tot=$(q top ports --quarter 2014Q4 --port 23/tcp --format json | jq .total_packets)
for step in day week hour; do
  s=$(q series ports --quarter 2014Q4 --key 23/tcp --step $step --format json | jq '[.series[0].points[][1]] | add')
  check "series --step $step sums to the quarter's $tot" [ "$s" = "$tot" ]
done
n=$(q series regions --quarter 2014Q4 --top 5 --format json | jq '[.series[] | .points | length] | unique')
check "five regions, 92 daily points each" [ "$n" = "[
  92
]" ]
check "series JSON names its step and keys" jqtrue '.by=="regions" and .step=="day" and (.series|length)==5 and .series[0].key=="CN" and .series[0].label=="China"' <(q series regions --quarter 2014Q4 --top 5 --format json)

# time zones: days are local days
fdb=$TMP/f.db
"$DS" ingest --db "$fdb" --quiet "$FIX/eth-le-us.pcap"
day() { "$DS" series ports --db "$fdb" --from 2014-11-23 --to 2014-11-24 --key 23/tcp --tz "$1" --format json | jq -c '[.series[0].points[][1]]'; }
check "UTC: all on the 24th" [ "$(day UTC)" = "[0,1]" ]
check "-05:00: all on the 23rd" [ "$(day -05:00)" = "[1,0]" ]
check "JST: all on the 24th" [ "$(day JST)" = "[0,1]" ]
h=$("$DS" series ports --db "$fdb" --from 2014-11-24 --to 2014-11-24 --key 8080/tcp --step hour --tz +09:00 --format csv | awk -F, 'NR>1 && $4>0 {print $3}')
check "hour points carry the zone (8080/tcp at $h)" [ "$h" = "2014-11-24T11:00+09:00" ]

# ties rank by key; filters combine
check "ties rank by key" [ "$("$DS" top ports --db "$fdb" -n 4 --format csv | awk -F, 'NR>1 {printf "%s ", $2}')" = "22/tcp 8/icmp 23/tcp 80/tcp " ]
cn=$(q top regions --quarter 2014Q4 --region CN --format json | jq .total_packets)
cn2=$(q top regions --quarter 2014Q4 -n 300 --format json | jq '.rows[] | select(.key=="CN") | .packets')
check "--region filter total equals the region's row" [ "$cn" = "$cn2" ]
s1=$(q top ports --quarter 2014Q4 --sensor osaka-2 --region JP --port 12543/tcp --format json | jq .total_packets)
s2=$(q top sensors --quarter 2014Q4 --region JP --port 12543/tcp -n 10 --format json | jq '.rows[] | select(.key=="osaka-2") | .packets')
check "three filters at once agree across dimensions ($s1 = $s2)" [ "$s1" = "$s2" ]
check "the table shows the report's labels" grep -q "23/TCP (telnet)" <(q top ports --quarter 2014Q4)
check "CSV has a header and N rows" [ "$(q top ports --quarter 2014Q4 -n 7 --format csv | wc -l)" = 8 ]

# distinct sources against tshark's exact count
tshark -r "$cap" -Y "frame.time >= \"2014-10-01 00:00:00Z\"" -T fields -E occurrence=f -e ip.src -e ipv6.src -e tcp.dstport -e udp.dstport -e ip.proto -e ipv6.nxt 2>/dev/null |
  awk -F'\t' '{s=$1 $2; p=($3!=""?$3 "/tcp":($4!=""?$4 "/udp":"")); if (p!="") print p, s}' | sort -u |
  awk '{n[$1]++} END {for (k in n) print k, n[k]}' > "$TMP/src-exact" 
q top ports --quarter 2014Q4 -n 40 --format json | jq -r '.rows[] | "\(.key) \(.sources)"' > "$TMP/src-ds"
bad=$(awk 'NR==FNR {e[$1]=$2; next} ($1 in e) {d=$2-e[$1]; if (d<0) d=-d; lim=(e[$1]<2048?0:0.02*e[$1]); if (d>lim) print $1, $2, e[$1]}' "$TMP/src-exact" "$TMP/src-ds")
check "distinct sources: exact below 2048, within 2% above (${bad:-all match})" [ -z "$bad" ]
