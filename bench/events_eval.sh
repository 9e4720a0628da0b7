#!/usr/bin/env bash
# bench/events_eval.sh - precision and recall of `darkscope events` on
# generated quarters with random injected events.
#   bench/events_eval.sh [SEEDS] [FIRST_SEED]      (default 20 seeds from 1)
# Each seed: 2014-09-01..2014-12-31 (September is baseline history), 4
# sensors, 20000 packets a day, three events with random ports, regions,
# sensors, dates and sizes (3% to 30% of a day's traffic):
#   surge   a port rises at every sensor             -> must be found broad
#   region  a port rises from one country            -> found, led by that country
#   local   one or two ports rise at one sensor only -> found local, naming it
# An injected event is found when a reported event names its port and starts
# within one day of it, with the right breadth (and region / sensor).
# Reported events matching nothing injected count against precision.  A quiet
# quarter (no events) is checked for every seed as well.
# Prints one line per seed, then "recall R precision P quiet Q".  With
# KEEP=DIR the events JSON of every quarter is kept there; EXTRA_CONF is
# appended to each quarter's config (e.g. '[events]\nsource_threshold = 0').
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DS=${DS:-$ROOT/build/darkscope}
GEO=${GEO:-$ROOT/var/geo/country.mmdb}
SEEDS=${1:-20} FIRST=${2:-1}
W=$(mktemp -d "${TMPDIR:-/tmp}/ds-eval.XXXXXX")
trap 'rm -rf "$W"' EXIT
PORTS=(23/tcp 22/tcp 80/tcp 8080/tcp 3389/tcp 5060/udp 53/udp 1433/tcp 7547/tcp 2323/tcp
       5900/tcp 6379/tcp 9200/tcp 123/udp 161/udp 1900/udp 21/tcp 25/tcp 110/tcp 8443/tcp)
CCS=(CN US RU BR IN KR DE NL TW VN FR GB)
SENSORS=(tokyo-1 osaka-2 nagoya-3 fukuoka-4)
date_of() { date -u -d "2014-10-05 +$1 days" +%F; }
tp=0 fn=0 fp=0 quiet_bad=0
for ((seed = FIRST; seed < FIRST + SEEDS; seed++)); do
  RANDOM=$seed
  # three distinct port numbers
  mapfile -t pick < <(printf '%s\n' "${PORTS[@]}" | awk -v s=$seed 'BEGIN{srand(s)} {print rand() "\t" $0}' | sort -n | cut -f2 | head -2)
  lport="$((20000 + RANDOM % 40000))/tcp"
  [ $((RANDOM % 2)) = 0 ] && lport="$lport+${lport%/tcp}/udp"
  cc=${CCS[RANDOM % ${#CCS[@]}]} sensor=${SENSORS[RANDOM % 4]}
  o1=$((RANDOM % 80)) o2=$((RANDOM % 80)) o3=$((RANDOM % 80))
  d1=$(date_of $o1) d2=$(date_of $o2) d3=$(date_of $o3)
  # shares 3% to 30% of a day; every draw is made here, in this shell:
  # $RANDOM inside $(...) is reseeded and would differ from run to run
  sh1=$((3 + RANDOM % 28)) sh2=$((3 + RANDOM % 28)) sh3=$((3 + RANDOM % 28))
  share() { printf '0.%02d' "$1"; }
  ev=(-e "surge:port=${pick[0]},start=$d1,days=$((2 + RANDOM % 9)),share=$(share $sh1)"
      -e "region:port=${pick[1]},cc=$cc,start=$d2,days=$((3 + RANDOM % 15)),share=$(share $sh2)"
      -e "local:sensor=$sensor,port=$lport,start=$d3,days=$((2 + RANDOM % 6)),share=$(share $sh3)")
  for kind in events quiet; do
    conf=$W/$kind.conf db=$W/$kind.db
    rm -f "$db"*
    extra=(); [ $kind = events ] && extra=("${ev[@]}")
    "$DS" synth --geoip "$GEO" --from 2014-09-01 --to 2014-12-31 --rate 20000 --seed "$seed" \
      --quiet "${extra[@]}" --out "$W/$kind.pcap" --write-config "$conf"
    sed -i "s#^db = .*#db = $db#" "$conf"
    [ -z "${EXTRA_CONF:-}" ] || printf '%b\n' "$EXTRA_CONF" >> "$conf"
    "$DS" ingest -c "$conf" --quiet "$W/$kind.pcap"
    "$DS" events -c "$conf" --quarter 2014Q4 --format json > "$W/$kind.json"
    [ -z "${KEEP:-}" ] || cp "$W/$kind.json" "$KEEP/$seed.$kind.json"
  done
  q=$(jq '.events | length' "$W/quiet.json")
  [ "$q" = 0 ] || quiet_bad=$((quiet_bad + 1))
  # match: port (number/proto) in keys, start within a day, breadth and who
  res=$(jq -r --arg p1 "${pick[0]}" --arg d1 "$d1" --arg p2 "${pick[1]}" --arg d2 "$d2" \
           --arg cc "$cc" --arg p3 "${lport%%+*}" --arg d3 "$d3" --arg s "$sensor" '
    def days($a; $b): (($a | strptime("%Y-%m-%d") | mktime) - ($b | strptime("%Y-%m-%d") | mktime)) / 86400 | fabs;
    def hit($p; $d): (.keys | index($p)) != null and days(.start; $d) <= 1;
    [.events[] | {
      surge: (hit($p1; $d1) and .breadth == "broad"),
      region: (hit($p2; $d2) and .breadth == "broad" and ((.region // .top_regions[0][0]) == $cc)),
      local: (hit($p3; $d3) and .breadth == "local" and .sensors[0] == $s)}] as $m |
    [($m | map(.surge) | any), ($m | map(.region) | any), ($m | map(.local) | any),
     ($m | map(select(.surge or .region or .local | not)) | length)] | @tsv' "$W/events.json")
  read -r s1 s2 s3 extra_ev <<< "$res"
  found=0
  for v in $s1 $s2 $s3; do [ "$v" = true ] && found=$((found + 1)); done
  tp=$((tp + found)) fn=$((fn + 3 - found)) fp=$((fp + extra_ev))
  printf 'seed %d: surge %s %s, region %s %s %s, local %s %s %s: found %d/3, %d other event(s), quiet %s\n' \
    "$seed" "${pick[0]}" "$s1" "${pick[1]}" "$cc" "$s2" "$lport" "$sensor" "$s3" "$found" "$extra_ev" "$q"
  [ "$found" = 3 ] || jq -c '.events[] | [.keys, .region, .start, .breadth, .sensors, .top_regions[0]]' "$W/events.json" | sed 's/^/#   /'
  [ "$found" = 3 ] || printf '#   injected: %s\n' "${ev[*]}"
done
awk -v tp=$tp -v fn=$fn -v fp=$fp -v q=$quiet_bad -v n=$SEEDS 'BEGIN {
  printf "recall %.3f (%d of %d) precision %.3f (%d reported, %d not injected) quiet %d of %d with events\n",
    tp / (tp + fn), tp, tp + fn, (tp + fp) ? tp / (tp + fp) : 1, tp + fp, fp, q, n }'
