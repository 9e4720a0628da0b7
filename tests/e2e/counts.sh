# counts.sh - every port count darkscope stores equals tshark's, for our
# fixtures (all link types, VLAN, fragments, IPv6 extension headers, pcap in
# both byte orders and resolutions, pcapng with several interfaces) and for
# the real captures in ../shared, plain, gzip- and zstd-compressed and on stdin.
. "$(dirname "$0")/lib.sh"
fixtures

compare() { # name capture [ingest args...]
  local name=$1 cap=$2; shift 2
  local db=$TMP/$name.db
  rm -f "$db"*
  if ! "$DS" ingest --db "$db" --quiet "$@" "$cap" 2>"$TMP/err"; then
    notok "$name: ingest failed: $(head -1 "$TMP/err")"; return
  fi
  ds_ports "$db" > "$TMP/ds.txt"
  tshark_ports "$cap" > "$TMP/ts.txt"
  same "$name: port counts equal tshark's" "$TMP/ds.txt" "$TMP/ts.txt"
}

for f in "$FIX"/*.pcap "$FIX"/*.pcapng; do
  compare "fixture $(basename "$f")" "$f"
done

gzip -k -c "$FIX/eth-be-ns.pcap" > "$TMP/eth.pcap.gz"
zstd -q -c "$FIX/multi.pcapng" > "$TMP/multi.pcapng.zst"
compare "gzip pcap" "$TMP/eth.pcap.gz"
compare "zstd pcapng" "$TMP/multi.pcapng.zst"

# stdin, plain and compressed
for f in "$FIX/sll.pcap" "$TMP/eth.pcap.gz"; do
  db=$TMP/stdin.db; rm -f "$db"*
  "$DS" ingest --db "$db" --quiet - < "$f"
  ds_ports "$db" > "$TMP/a.txt"
  tshark_ports "$f" > "$TMP/b.txt"
  same "stdin $(basename "$f"): counts equal tshark's" "$TMP/a.txt" "$TMP/b.txt"
done

# One capture split among 4 readers (--split 1: whatever its size) stores
# exactly what one reader stores: every day segment (packets and distinct
# sources of every mask), the summary line and the undecodable frames' report.
segdays() { sqlite3 "$1" "select mask, day, part, rows, packets, hex(data) from segday order by mask, day, part" | md5sum; }
split_same() { # name capture: prints how many parts it was read in
  local a=$TMP/whole.db b=$TMP/split.db; rm -f "$a"* "$b"*
  "$DS" ingest --db "$a" -j1 "$2" >"$TMP/wo" 2>"$TMP/we"
  "$DS" ingest --db "$b" -j4 --split 1 -v "$2" >"$TMP/so" 2>"$TMP/se.v"
  grep -v ': info: \|packets in [0-9.]* s$' "$TMP/se.v" > "$TMP/se"
  grep -v 'packets in [0-9.]* s$' "$TMP/we" > "$TMP/we2"
  if [ "$(segdays "$a")" = "$(segdays "$b")" ] && cmp -s "$TMP/wo" "$TMP/so" && cmp -s "$TMP/we2" "$TMP/se" &&
     ! grep -q "split read failed" "$TMP/se.v"; then
    ok "split $1: the same days, summary and report as one reader"
  else
    notok "split $1: differs from one reader"; diff "$TMP/wo" "$TMP/so" | head -5 | sed 's/^/#   /'
  fi
  parts=$(sed -n 's/.*: \([0-9]*\) readers, from offsets.*/\1/p' "$TMP/se.v")
  echo "${parts:-1}" >> "$TMP/parts"
  sed -n 's/.* \([0-9]*\) parts* cut off for readers out of work.*/\1/p' "$TMP/se.v" >> "$TMP/cuts"
}
rm -f "$TMP/parts" "$TMP/cuts"
for f in "$FIX"/*.pcap "$FIX"/*.pcapng; do
  split_same "fixture $(basename "$f")" "$f"
done
nsplit=$(grep -cv '^1$' "$TMP/parts")
check "split: $nsplit of $(wc -l < "$TMP/parts") fixtures read in parts" [ "$nsplit" -ge 10 ]

if have_real; then
  for f in "$REAL"/*.pcap "$REAL"/*.pcapng; do
    compare "real $(basename "$f")" "$f"
    split_same "real $(basename "$f")" "$f"
    check "split real $(basename "$f"): read in 4 parts" [ "$(tail -1 "$TMP/parts")" = 4 ]
  done
  # (the fixtures are too small: their parts end before a reader asks)
  ncut=$(awk '{n += $1} END {print n + 0}' "$TMP/cuts")
  check "split real: $ncut more parts cut off for readers that ran out of work" [ "$ncut" -ge 10 ]
  zstd -q -c "$REAL/stopddos-amp.dns.RRSIG.fragmented.pcap" > "$TMP/rrsig.pcap.zst"
  compare "real zstd rrsig" "$TMP/rrsig.pcap.zst"
  # total packets equal tshark's frame count over all real captures at once
  db=$TMP/all.db; rm -f "$db"*
  "$DS" ingest --db "$db" --quiet -j2 "$REAL"/*.pcap "$REAL"/*.pcapng
  want=0; for f in "$REAL"/*.pcap "$REAL"/*.pcapng; do want=$((want + $(tshark_frames "$f"))); done
  got=$("$DS" top ports --db "$db" --format json | sed 's/.*"total_packets":\([0-9]*\).*/\1/')
  check "real captures together: $got packets = tshark's $want" [ "$got" = "$want" ]
else
  skip "real captures: $REAL absent"
fi
