# geo.sh - source countries equal mmdblookup's answer for every source, on
# the real captures and on IPv4+IPv6 fixtures; a missing or corrupt database
# is refused with one line.
. "$(dirname "$0")/lib.sh"
fixtures
[ -f "$GEO" ] || { notok "geo database missing at $GEO (run scripts/setup.sh)"; exit 0; }

# mmdblookup oracle: "CC packets sources" per country for a capture
oracle() { # capture [database] [lookup path...]
  local db=${2:-$GEO}; local path=("${@:3}"); [ ${#path[@]} -eq 0 ] && path=(country_code)
  tshark -r "$1" -T fields -E occurrence=f -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst 2>/dev/null |
    awk -F'\t' '($1!="" && $3!="") || ($2!="" && $4!="") {print ($1!="" ? $1 : $2)}' > "$TMP/srcs"
  sort -u "$TMP/srcs" > "$TMP/uniq"
  while read -r a; do
    cc=$(mmdblookup --file "$db" --ip "$a" "${path[@]}" 2>/dev/null | sed -n 's/.*"\(..\)" <utf8_string>.*/\1/p')
    echo "$a ${cc:-ZZ}"
  done < "$TMP/uniq" > "$TMP/cc"
  awk 'NR==FNR {cc[$1]=$2; next} {p[cc[$1]]++; if (!seen[$1]++) s[cc[$1]]++}
       END {for (c in p) print c, p[c], s[c]}' "$TMP/cc" "$TMP/srcs" | sort
}

regions() { # db -> "CC packets sources" (IP packets only)
  "$DS" top regions --db "$1" -n 1000 --format json | jq -r '.rows[] | "\(.key) \(.packets) \(.sources)"' | sort
}

run() { # name capture [database lookup-path...]
  local db=$TMP/g.db; rm -f "$db"*
  "$DS" ingest --db "$db" --geoip "${3:-$GEO}" --quiet "$2"
  oracle "$2" "${@:3}" > "$TMP/want"
  regions "$db" | awk '$1!="ZZ" || $2>0' > "$TMP/got"
  # frames that are not IP count under ZZ in darkscope and not in the oracle
  nonip=$("$DS" top ports --db "$db" -n 100000 --format csv | awk -F, '$2=="non-ip"||$2=="malformed" {n+=$4} END {print n+0}')
  awk -v n="$nonip" '$1=="ZZ" {$2-=n} $2>0' "$TMP/got" > "$TMP/got2"
  awk '$1!="ZZ"' "$TMP/want" > "$TMP/w"; awk '$1!="ZZ"' "$TMP/got2" > "$TMP/g"
  same "$1: packets and sources per country equal mmdblookup's" "$TMP/g" "$TMP/w"
}

run "fixture ethernet" "$FIX/eth-le-us.pcap"
run "fixture pcapng" "$FIX/multi.pcapng"
if have_real; then
  run "real ndpi-srvloc" "$REAL/ndpi-srvloc.pcap"
  run "real isakmp" "$REAL/stopddos-amp.UDP.isakmp.pcap"
else
  skip "real captures absent"
fi

# the documented known lookups
db=$TMP/k.db; rm -f "$db"*
"$DS" ingest --db "$db" --geoip "$GEO" --quiet "$FIX/eth-le-us.pcap"
jp=$("$DS" top regions --db "$db" --region JP --format csv -n 1 | awk -F, 'NR==2 {print $2}')
check "1.0.16.1 is JP" [ "$jp" = "JP" ]
v6us=$("$DS" top regions --db "$db" --port 445/tcp --format csv -n 1 | awk -F, 'NR==2 {print $2}')
check "2001:4860:4860::8888 is US" [ "$v6us" = "US" ]

# a database in MaxMind's GeoLite2 layout ({"country":{"iso_code"}}), made
# with MaxMind's writer, with countries that differ from the real ones
perl "$ROOT/tests/tools/mkgeolite.pl" "$TMP/geolite.mmdb"
run "GeoLite2 layout" "$FIX/eth-le-us.pcap" "$TMP/geolite.mmdb" country iso_code
check "GeoLite2 layout: 1.0.16.1 is KR there" grep -q "^KR " "$TMP/g"

# bad databases: one line naming the file, exit 1, store untouched
"$DS" ingest --db "$TMP/bad.db" --geoip "$TMP/nope.mmdb" "$FIX/sll.pcap" 2>"$TMP/e1"; rc=$?
check "missing geo database: exit 1" [ $rc -eq 1 ]
check "missing geo database: one line naming it" [ "$(wc -l < "$TMP/e1")" -eq 1 -a -n "$(grep nope.mmdb "$TMP/e1")" ]
head -c 5000 /dev/urandom > "$TMP/corrupt.mmdb"
"$DS" ingest --db "$TMP/bad.db" --geoip "$TMP/corrupt.mmdb" "$FIX/sll.pcap" 2>"$TMP/e2"; rc=$?
check "corrupt geo database: exit 1 with one line" [ $rc -eq 1 -a "$(wc -l < "$TMP/e2")" -eq 1 ]
check "corrupt geo database: store untouched" [ ! -s "$TMP/bad.db" ] 
