# badinput.sh - broken captures and configs: one line naming the file (and
# offset or line), exit status 1 (2 for usage), the store unchanged, and never
# a crash or a hang, including over a few hundred mutated captures.
. "$(dirname "$0")/lib.sh"
fixtures
db=$TMP/b.db
good=$FIX/eth-le-us.pcap
"$DS" ingest --db "$db" --quiet "$FIX/sll.pcap"
snap() { "$DS" top ports --db "$db" -n 1000 --format json; sqlite3 "$db" "select digest from file"; }
snap > "$TMP/before"

refused() { # name file pattern: exit 1, one line matching pattern, store unchanged
  local name=$1 f=$2 pat=$3
  "$DS" ingest --db "$db" --quiet "$f" 2>"$TMP/err"; local rc=$?
  local lines; lines=$(wc -l < "$TMP/err")
  if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" "$TMP/err" && grep -qF -- "$f" "$TMP/err"; then
    ok "$name: refused in one line ($(cut -c1-120 "$TMP/err"))"
  else
    notok "$name: status $rc, $lines lines: $(head -3 "$TMP/err")"
  fi
  snap | cmp -s - "$TMP/before" || notok "$name: the store changed"
}

size=$(stat -c %s "$good")
head -c $((size - 7)) "$good" > "$TMP/cut-last.pcap"
refused "cut in its last record" "$TMP/cut-last.pcap" "truncated at offset"
head -c 30 "$good" > "$TMP/cut-header.pcap"
refused "cut in a record header" "$TMP/cut-header.pcap" "truncated at offset 24"
head -c 10 "$good" > "$TMP/short.pcap"
refused "shorter than a file header" "$TMP/short.pcap" "too short"
: > "$TMP/empty.pcap"
refused "empty file" "$TMP/empty.pcap" "empty"
printf 'GIF89a this is not a capture at all.....' > "$TMP/magic.pcap"
refused "wrong magic" "$TMP/magic.pcap" "not a pcap or pcapng"
cp "$good" "$TMP/lt.pcap"; printf '\x93\x00\x00\x00' | dd of="$TMP/lt.pcap" bs=1 seek=20 conv=notrunc status=none
refused "unknown link type" "$TMP/lt.pcap" "unsupported link type 147"
cp "$good" "$TMP/len.pcap"; printf '\xff\xff\xff\x7f' | dd of="$TMP/len.pcap" bs=1 seek=32 conv=notrunc status=none
refused "absurd record length" "$TMP/len.pcap" "exceeds the snap length"
cp "$good" "$TMP/snap.pcap"; printf '\x20\x00\x00\x00' | dd of="$TMP/snap.pcap" bs=1 seek=16 conv=notrunc status=none
refused "record beyond the snap length" "$TMP/snap.pcap" "exceeds the snap length 32"
cp "$FIX/multi.pcapng" "$TMP/blk.pcapng"; printf '\x0d\x00\x00\x00' | dd of="$TMP/blk.pcapng" bs=1 seek=4 conv=notrunc status=none
refused "pcapng bad block length" "$TMP/blk.pcapng" "bad block length"
# pcapng time stamps (64 bits in the interface's units, plus its offset)
# outside 1970..9999 are refused; the last second of 9999 is counted there
refused "pcapng time stamp in 10000" "$FIX/bad/time-10000.pcapng" \
  "offset 72: time stamp out of range: 253402300800 s from 1970-01-01"
refused "pcapng time stamp before 1970" "$FIX/bad/time-1969.pcapng" "out of range: -1800 s"
refused "pcapng time stamp past 64 bits" "$FIX/bad/time-wraps.pcapng" "out of range: 18446744073709551615 s"
rm -f "$TMP/t.db"*
"$DS" ingest --db "$TMP/t.db" --quiet "$FIX/time-last.pcapng"
got=$("$DS" top ports --db "$TMP/t.db" --from 9999-12-31 --to 9999-12-31 --format json | jq -c '[.total_packets, .rows[0].key]')
check "a packet at 9999-12-31T23:59:59Z is counted on that day ($got)" [ "$got" = '[1,"23/tcp"]' ]
gzip -c "$good" > "$TMP/g.pcap.gz"; gsize=$(stat -c %s "$TMP/g.pcap.gz")
head -c $((gsize / 2)) "$TMP/g.pcap.gz" > "$TMP/cut.pcap.gz"
refused "gzip cut short" "$TMP/cut.pcap.gz" "gzip stream ends early"
cp "$TMP/g.pcap.gz" "$TMP/bad.pcap.gz"; printf 'XXXXXXXX' | dd of="$TMP/bad.pcap.gz" bs=1 seek=40 conv=notrunc status=none
refused "corrupt gzip" "$TMP/bad.pcap.gz" "gzip"
zstd -q -c "$good" > "$TMP/z.pcap.zst"; zsize=$(stat -c %s "$TMP/z.pcap.zst")
head -c $((zsize - 10)) "$TMP/z.pcap.zst" > "$TMP/cut.pcap.zst"
refused "zstd cut short" "$TMP/cut.pcap.zst" "zstd"
refused "missing file" "$TMP/does-not-exist.pcap" "cannot open"
refused "a directory" "$TMP" "not a pcap\|cannot\|read error"

# --partial counts the complete records of a file cut in its last record
"$DS" ingest --db "$TMP/p.db" --partial "$TMP/cut-last.pcap" >/dev/null 2>"$TMP/perr"; rc=$?
want=$(( $(tshark_frames "$good") - 1 ))
got=$("$DS" top ports --db "$TMP/p.db" --format json | jq .total_packets)
check "--partial: exit 0, the $want complete records counted (got $got)" [ $rc -eq 0 -a "$got" = "$want" ]
check "--partial: the cut is reported" grep -q "truncated at offset" "$TMP/perr"
check "--partial: the file is marked partial" [ "$(sqlite3 "$TMP/p.db" 'select partial from file')" = 1 ]
# split among readers (a capture of 2000 records cut in its last), the cut
# part fails the split: the file is read again whole, with the same count and
# the same report as one reader gives
"$SYNTH" synth --geoip "$GEO" --from 2014-11-01 --to 2014-11-01 --rate 2000 --out "$TMP/s.pcap" --quiet
size=$(stat -c %s "$TMP/s.pcap"); head -c $((size - 7)) "$TMP/s.pcap" > "$TMP/s-cut.pcap"
want=$(( $(tshark_frames "$TMP/s.pcap") - 1 ))
"$DS" ingest --db "$TMP/pw.db" --partial -j1 "$TMP/s-cut.pcap" >/dev/null 2>"$TMP/pwerr"
"$DS" ingest --db "$TMP/ps.db" -j4 --split 1 -v --partial "$TMP/s-cut.pcap" >/dev/null 2>"$TMP/pserr"; rc=$?
got=$("$DS" top ports --db "$TMP/ps.db" --format json | jq .total_packets)
check "--partial, split: exit 0, the $want complete records counted (got $got)" [ $rc -eq 0 -a "$got" = "$want" ]
check "--partial, split: the file was split, then read whole" bash -c \
  'grep -q "4 readers, from offsets" "$1" && grep -q "split read failed.*reading it whole" "$1"' _ "$TMP/pserr"
check "--partial, split: the cut is reported as by one reader" \
  cmp -s <(grep -v ': info: \|packets in' "$TMP/pserr") <(grep -v 'packets in' "$TMP/pwerr")
"$DS" ingest --db "$TMP/ps2.db" -j4 --split 1 "$TMP/s-cut.pcap" >/dev/null 2>"$TMP/ps2err"; rc=$?
check "cut short, split: refused (exit $rc), the store unchanged" \
  [ $rc -eq 1 -a "$(sqlite3 "$TMP/ps2.db" 'select count(*) from file')" = 0 ]
check "cut short, split: the error names the offset and the $want complete records" \
  grep -q "truncated at offset .* (after $want complete records)" "$TMP/ps2err"

# one bad file among good ones: the good ones are stored, exit 1
rm -f "$TMP/m.db"*
"$DS" ingest --db "$TMP/m.db" --quiet -j2 "$good" "$TMP/magic.pcap" "$FIX/raw.pcap" 2>"$TMP/merr"; rc=$?
n=$(sqlite3 "$TMP/m.db" "select count(*) from file")
check "bad file among good ones: exit 1, the 2 good files stored (got $n)" [ $rc -eq 1 -a "$n" = 2 ]

# configuration errors: file and line
printf '[darkscope]\ndb = x.db\n[sensor a]\nprefix = 10.0.0.1/8\n' > "$TMP/bad.conf"
"$DS" top ports -c "$TMP/bad.conf" 2>"$TMP/cerr"; rc=$?
check "bad config: exit 1 naming file:line" \
  [ $rc -eq 1 -a "$(grep -c "bad.conf:4: prefix '10.0.0.1/8' has host bits set" "$TMP/cerr")" = 1 ]
"$DS" top ports --db "$db" --bogus 2>/dev/null; check "unknown option: exit 2" [ $? -eq 2 ]
for v in 1X -5 "" 99999999999G; do
  "$DS" ingest --db "$TMP/sz.db" --split "$v" "$FIX/raw.pcap" >/dev/null 2>"$TMP/szerr"; rc=$?
  check "--split '$v': exit 2, one line naming the option ($(head -1 "$TMP/szerr"))" \
    [ $rc -eq 2 -a "$(wc -l < "$TMP/szerr")" = 1 -a "$(grep -c -- "--split: not a size" "$TMP/szerr")" = 1 ]
done
"$DS" top colours --db "$db" 2>/dev/null; check "unknown dimension: exit 2" [ $? -eq 2 ]
"$DS" top ports --db "$db" --from 2014-02-30 --to 2014-03-01 2>/dev/null; check "bad date: exit 2" [ $? -eq 2 ]
"$DS" top ports --db "$db" --tz +05:30 2>/dev/null; check "non-whole-hour zone: exit 2" [ $? -eq 2 ]
"$DS" top ports --db "$db" --port 99999/tcp 2>/dev/null; check "bad port key: exit 2" [ $? -eq 2 ]

# an ASN file is accepted (so that a config can name it already) and said to
# be unused, naming the file: nothing is counted by AS yet
printf '[darkscope]\nasn = /nonexistent/asn.csv\n' > "$TMP/asn.conf"
"$DS" top ports -c "$TMP/asn.conf" --db "$db" --format csv >/dev/null 2>"$TMP/aerr"; rc=$?
check "a config naming an ASN file: exit 0, one warning naming it ($(head -1 "$TMP/aerr"))" \
  [ $rc -eq 0 -a "$(grep -c "asn.conf: asn = /nonexistent/asn.csv: not used yet" "$TMP/aerr")" = 1 ]

# a countries file (config `countries =`) of millions of objects without the
# fields, then millions of nested ones: read once, not once per object (each
# took about 30 minutes for these 12 MB)
{ yes '{}' | head -n 4000000 | tr -d '\n'; head -c 4000000 /dev/zero | tr '\0' '{'; printf '}'; } > "$TMP/objects.json"
printf '[darkscope]\ncountries = %s\n' "$TMP/objects.json" > "$TMP/objects.conf"
timeout 120 "$DS" top regions -c "$TMP/objects.conf" --db "$db" --format csv > "$TMP/oout" 2>&1; rc=$?
check "a countries file of 8 million empty and nested objects is read (status $rc), regions keep their codes" \
  eval '[ $rc -eq 0 ] && grep -q "^[0-9]*,[A-Z][A-Z]," "$TMP/oout"'

# corrupt store: one line, exit 1
head -c 4096 /dev/urandom > "$TMP/junk.db"
"$DS" top ports --db "$TMP/junk.db" 2>"$TMP/serr"; rc=$?
check "corrupt store file: exit 1 in one line" [ $rc -eq 1 -a "$(wc -l < "$TMP/serr")" -eq 1 ]

# mutation fuzzing: random bytes flipped in every fixture; never a signal
crashes=0; runs=0
for f in "$FIX"/*.pcap "$FIX"/*.pcapng; do
  fsize=$(stat -c %s "$f")
  for i in $(seq 1 25); do
    cp "$f" "$TMP/mut"
    for j in 1 2 3 4; do
      off=$(( (RANDOM * 32768 + RANDOM) % fsize ))
      printf "\\x$(printf %02x $((RANDOM % 256)))" | dd of="$TMP/mut" bs=1 seek=$off conv=notrunc status=none
    done
    rm -f "$TMP/f.db"*
    timeout 20 "$DS" ingest --db "$TMP/f.db" --quiet "$TMP/mut" >/dev/null 2>&1; rc=$?
    runs=$((runs + 1))
    if [ $rc -gt 1 ]; then crashes=$((crashes + 1)); cp "$TMP/mut" "$TMP/crash-$crashes"; echo "# status $rc on a mutation of $(basename "$f")"; fi
  done
done
check "$runs mutated captures: no crash, no hang" [ $crashes -eq 0 ]

# the man page comes from the option table: every option is in it, and groff
# reads it without a warning
man=$("$DS" man)
missing=$("$DS" help top | sed -n 's/.*--\([a-z-]*\).*/\1/p' | while read -r o; do grep -q -- "\\\\-\\\\-$o" <<<"$man" || echo "$o"; done)
check "man page lists every option (${missing:-all there})" [ -z "$missing" ]
if command -v groff >/dev/null; then
  check "groff reads the man page cleanly" [ -z "$("$DS" man | groff -man -Tutf8 -ww 2>&1 >/dev/null)" ]
else
  skip "groff not installed"
fi

# the store failing under an ingest (a trigger that refuses segment writes):
# one line, exit 1, nothing kept, no crash or leak under the sanitizers
fdb=$TMP/fail.db; rm -f "$fdb"*
"$DS" ingest --db "$fdb" --quiet "$FIX/sll.pcap"
sqlite3 "$fdb" "CREATE TRIGGER boom BEFORE INSERT ON segment WHEN NEW.hour > 0 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;"
"$SYNTH" synth --from 2014-11-01 --to 2014-11-02 --rate 20000 --out "$TMP/many-hours.pcap" --quiet \
  --geoip "$GEO" 2>/dev/null || cp "$FIX/multi.pcapng" "$TMP/many-hours.pcap"
for j in 1 2; do
  "$DS" ingest --db "$fdb" --quiet -j$j "$TMP/many-hours.pcap" "$FIX/raw.pcap" 2>"$TMP/ferr"; rc=$?
  check "store failure (-j$j): exit 1, one line per file naming the cause (status $rc)" \
    [ $rc -eq 1 ] && grep -q "disk on fire" "$TMP/ferr"
  check "store failure (-j$j): nothing kept" [ "$(sqlite3 "$fdb" 'select count(*) from file')" = 1 ]
done
