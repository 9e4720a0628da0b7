# sensors.sh - packets go to the sensor whose prefix holds their destination,
# counted as tshark counts them with the same prefixes; the rest is
# "unattributed"; --sensor attributes a whole capture.
. "$(dirname "$0")/lib.sh"
fixtures
cat > "$TMP/s.conf" <<CONF
[darkscope]
db = $TMP/s.db

[sensor tokyo-1]
prefix = 198.51.100.0/24
prefix = 2001:db8:100::/48
alias = Domestic sensor 1

[sensor osaka-2]
prefix = 203.0.113.0/24
alias = Domestic sensor 2

[sensor narrow]
prefix = 198.51.100.0/29

[sensor lab]
prefix = 10.10.10.0/24
CONF

sensors() { "$DS" top sensors -c "$TMP/s.conf" -n 100 --format json | jq -r '.rows[] | "\(.key) \(.packets)"' | sort; }
tcount() { tshark -r "$1" -Y "$2" -T fields -e frame.number 2>/dev/null | wc -l; }

for cap in "$FIX/eth-le-us.pcap" "$FIX/multi.pcapng"; do
  rm -f "$TMP/s.db"*
  "$DS" ingest -c "$TMP/s.conf" --quiet "$cap"
  all=$(tshark_frames "$cap")
  narrow=$(tcount "$cap" "ip.dst==198.51.100.0/29")
  tokyo=$(( $(tcount "$cap" "ip.dst==198.51.100.0/24 || ipv6.dst==2001:db8:100::/48") - narrow ))
  osaka=$(tcount "$cap" "ip.dst==203.0.113.0/24")
  un=$((all - narrow - tokyo - osaka))
  { [ "$narrow" -gt 0 ] && echo "narrow $narrow"; echo "osaka-2 $osaka"; echo "tokyo-1 $tokyo"; [ $un -gt 0 ] && echo "unattributed $un"; } | sort > "$TMP/want"
  sensors > "$TMP/got"
  same "$(basename "$cap"): per-sensor packets equal tshark's prefix filters" "$TMP/got" "$TMP/want"
done

"$DS" sensors -c "$TMP/s.conf" --format json | jq -r '.sensors[] | "\(.name)=\(.alias)"' > "$TMP/al"
check "aliases are stored" grep -q "^tokyo-1=Domestic sensor 1$" "$TMP/al"

if have_real; then
  rm -f "$TMP/s.db"*
  cap=$REAL/stopddos-amp.UDP.isakmp.pcap
  "$DS" ingest -c "$TMP/s.conf" --quiet "$cap"
  want=$(tcount "$cap" "ip.dst==10.10.10.0/24")
  got=$(sensors | awk '$1=="lab" {print $2}')
  check "real isakmp: lab sensor gets tshark's $want packets (got $got)" [ "$got" = "$want" ]
fi

rm -f "$TMP/s.db"*
"$DS" ingest -c "$TMP/s.conf" --sensor osaka-2 --quiet "$FIX/sll.pcap"
check "--sensor attributes every packet" [ "$(sensors)" = "osaka-2 $(tshark_frames "$FIX/sll.pcap")" ]
"$DS" ingest -c "$TMP/s.conf" --sensor newcomer --quiet "$FIX/raw.pcap"
check "--sensor with a new name registers it" grep -q newcomer <("$DS" sensors -c "$TMP/s.conf")

# port filter by sensor
p=$("$DS" top ports -c "$TMP/s.conf" --sensor osaka-2 --format json | jq .total_packets)
check "--sensor filter on queries" [ "$p" = "$(tshark_frames "$FIX/sll.pcap")" ]
