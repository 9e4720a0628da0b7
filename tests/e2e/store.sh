# store.sh - ingest is idempotent and atomic: a file already stored is skipped
# by content; an ingest killed with SIGKILL half way leaves the store exactly
# as it was; two files in parallel give the same store answers as one after
# the other; replaying the same captures gives byte-identical answers.
. "$(dirname "$0")/lib.sh"
fixtures
[ -f "$GEO" ] || { notok "geo database missing (run scripts/setup.sh)"; exit 0; }

state() { # db -> everything a user can ask, as text
  for by in ports regions sensors; do
    "$DS" top "$by" --db "$1" -n 1000 --format json
    "$DS" series "$by" --db "$1" --step hour --top 20 --format csv
  done
  sqlite3 "$1" "select digest, packets, partial from file order by digest"
}

db=$TMP/a.db
"$DS" ingest --db "$db" --geoip "$GEO" --quiet "$FIX/eth-le-us.pcap" "$FIX/multi.pcapng"
state "$db" > "$TMP/s1"
out=$("$DS" ingest --db "$db" --geoip "$GEO" "$FIX/eth-le-us.pcap" 2>&1)
check "re-ingest is skipped with a message" grep -q "skipped .*eth-le-us.pcap: already ingested" <<<"$out"
cp "$FIX/multi.pcapng" "$TMP/renamed.pcapng"
out=$("$DS" ingest --db "$db" --geoip "$GEO" "$TMP/renamed.pcapng" 2>&1)
check "same content under another name is skipped" grep -q "already ingested" <<<"$out"
out=$("$DS" ingest --db "$db" --geoip "$GEO" -v - < "$FIX/multi.pcapng" 2>&1)
check "same content on stdin is skipped" grep -q "skipped <stdin>" <<<"$out"
check "stdin is digested as it is read, and -v says so" \
  grep -q "file digests: 0 taken while reading (a size not stored before), 0 first, stdin's as it is read" <<<"$out"
state "$db" > "$TMP/s2"
same "skipped files leave the store unchanged" "$TMP/s1" "$TMP/s2"

# stores made before keep their segment tables WITHOUT ROWID (key and blob
# in one record): such a store takes more files to the same answers
check "a new store keeps its segments in rowid tables" \
  [ "$(sqlite3 "$db" "select count(*) from sqlite_schema where name in ('segment', 'segday') and sql not like '%WITHOUT ROWID%'")" = 2 ]
# pages of 64 KB: an hour's blob of 240 KB is 4 pages to write and read, not
# 60 (a week of interleaved sources made 81,000 writes with 4 KB pages); a
# store made with smaller pages keeps them and answers the same
check "a new store has pages of 64 KB" [ "$(sqlite3 "$db" "pragma page_size")" = 65536 ]
sqlite3 "$TMP/small.db" "pragma page_size = 4096; create table z(x); drop table z"
"$DS" ingest --db "$TMP/small.db" --geoip "$GEO" --quiet "$FIX/eth-le-us.pcap" "$FIX/multi.pcapng"
state "$TMP/small.db" > "$TMP/s-small"
check "a store of 4 KB pages keeps them" [ "$(sqlite3 "$TMP/small.db" "pragma page_size")" = 4096 ]
same "and answers as one of 64 KB" "$TMP/s1" "$TMP/s-small"
# unpart DB [without rowid]: the segment tables as stores before schema 9
# had them (no parts: one per segment), and the version 8
unpart() {
  for t in segment:hour segday:day; do
    tab=${t%%:*} col=${t##*:}
    sqlite3 "$1" "create table old_$tab(mask integer not null, $col integer not null,
      rows integer not null, packets integer not null, data blob not null,
      primary key(mask, $col)) ${2:-}; insert into old_$tab select mask, $col, rows, packets, data
      from $tab where part = 0; drop table $tab; alter table old_$tab rename to $tab;
      update meta set v = '8' where k = 'schema_version'"
  done
}
cp "$db" "$TMP/rowid.db"
cp "$db" "$TMP/norowid.db"
unpart "$TMP/norowid.db" "without rowid"
"$DS" ingest --db "$TMP/rowid.db" --geoip "$GEO" --quiet "$FIX/sll.pcap"
"$DS" ingest --db "$TMP/norowid.db" --geoip "$GEO" --quiet "$FIX/sll.pcap"
state "$TMP/rowid.db" > "$TMP/s-rowid"
state "$TMP/norowid.db" > "$TMP/s-norowid"
check "a store WITHOUT ROWID of schema 8 keeps that layout, with parts" \
  [ "$(sqlite3 "$TMP/norowid.db" "select count(*) from sqlite_schema where name in ('segment', 'segday') and sql like '%WITHOUT ROWID%' and sql like '%part%'") $(sqlite3 "$TMP/norowid.db" "select v from meta where k = 'schema_version'")" = "2 9" ]
same "and gives the same answers after another file" "$TMP/s-rowid" "$TMP/s-norowid"

# a file whose size no stored file has cannot have been ingested: its digest
# is taken while it is read, not in a pass of its own before
gdb=$TMP/g.db
gzip -c "$FIX/multi.pcapng" > "$TMP/multi.pcapng.gz"
out=$("$DS" ingest --db "$gdb" --geoip "$GEO" -v "$TMP/multi.pcapng.gz" 2>&1)
check "a file of a size not stored before is digested while it is read" \
  grep -q "file digests: 1 taken while reading (a size not stored before), 0 first" <<<"$out"
check "and its size is recorded" [ "$(sqlite3 "$gdb" "select bytes from file")" = "$(stat -c %s "$TMP/multi.pcapng.gz")" ]
cp "$TMP/multi.pcapng.gz" "$TMP/again.pcapng.gz"
out=$("$DS" ingest --db "$gdb" --geoip "$GEO" -v "$TMP/again.pcapng.gz" 2>&1)
check "a file of a stored size is digested first, to the same digest (it is skipped)" \
  eval 'grep -q "0 taken while reading (a size not stored before), 1 first" <<<"$out" &&
        grep -q "skipped .*again.pcapng.gz: already ingested as .*multi.pcapng.gz" <<<"$out"'
rm -f "$gdb"*
out=$("$DS" ingest --db "$gdb" --geoip "$GEO" -v "$TMP/multi.pcapng.gz" "$TMP/again.pcapng.gz" "$FIX/eth-le-us.pcap" 2>&1)
check "two files of one size in one list are digested first (the second is skipped)" \
  eval 'grep -q "1 taken while reading (a size not stored before), 2 first" <<<"$out" &&
        grep -q "skipped .*again.pcapng.gz: same content as" <<<"$out"'

# SIGKILL half way through a large file
big=$TMP/big.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-01 --to 2014-11-03 --rate 2000000 --out "$big" --quiet
# rows an ingest committed in steps (its segments, every 64 KB here) that
# queries do not see: staged, or above the rows published
unseen() { sqlite3 "$1" "select (select count(*) from segment where mask < 0 or rowid >
  (select cast(v as integer) from meta where k = 'segment_published')) + (select count(*) from segday
  where mask < 0 or rowid > (select cast(v as integer) from meta where k = 'segday_published'))"; }
DARKSCOPE_STAGE_BYTES=65536 "$DS" ingest --db "$db" --geoip "$GEO" --quiet "$big" & pid=$!
for _ in $(seq 200); do [ "$(unseen "$db" 2>/dev/null || echo 0)" -gt 0 ] && break; sleep 0.05; done
left=$(unseen "$db")
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rc=$?
check "the ingest was killed while running (status $rc), after it committed rows in steps ($left)" \
  [ $rc -eq 137 -a "$left" -gt 0 ]
state "$db" > "$TMP/s3"
same "SIGKILL half way leaves the store as before" "$TMP/s1" "$TMP/s3"
"$DS" ingest --db "$db" --geoip "$GEO" --quiet "$big"
check "the killed file ingests afterwards" [ "$(sqlite3 "$db" 'select count(*) from file')" = 3 ]
check "and the rows the killed ingest left are gone ($(unseen "$db"))" [ "$(unseen "$db")" = 0 ]
segs() { sqlite3 "$1" "select mask, hour, part, rows, packets, hex(data) from segment order by mask, hour, part;
  select mask, day, part, rows, packets, hex(data) from segday order by mask, day, part" | md5sum; }
"$DS" files --db "$db" --format json | jq -r '.files[].path' > "$TMP/paths"
DARKSCOPE_STAGE_BYTES=0 xargs -d '\n' "$DS" ingest --db "$TMP/clean.db" --geoip "$GEO" --quiet -j1 < "$TMP/paths"
same "... the same segments as the same files ingested in one commit each" <(segs "$db") <(segs "$TMP/clean.db")

want=$(tshark_frames "$FIX/eth-le-us.pcap")
got=$("$DS" files --db "$db" --format json | jq --arg p "$FIX/eth-le-us.pcap" '.files[] | select(.path==$p) | .packets')
check "files lists what is stored ($got packets, tshark $want)" [ "$("$DS" files --db "$db" --format json | jq '.files | length')" = 3 -a "$got" = "$want" ]

# a query while an ingest holds the write lock answers at once, from the
# store as it was before that ingest (opening a store wrote its schema again,
# so a query waited for the ingest to commit, and failed after 10 s)
big2=$TMP/big2.pcap cdb=$TMP/c.db
"$SYNTH" synth --geoip "$GEO" --from 2014-11-04 --to 2014-11-06 --rate 2000000 --seed 9 --out "$big2" --quiet
sqlite3 "$db" "vacuum into '$cdb'"
"$DS" top ports --db "$cdb" -n 1000 --format json > "$TMP/before-big2"
"$DS" ingest --db "$cdb" --geoip "$GEO" --quiet "$big2" & pid=$!
sleep 0.3
"$DS" top ports --db "$cdb" -n 1000 --format json > "$TMP/during-big2"; rc=$?
kill -0 $pid 2>/dev/null; running=$?
wait $pid; irc=$?
check "a query during an ingest answers (status $rc) before the ingest ends (still running: $running)" \
  [ $rc -eq 0 -a $running -eq 0 -a $irc -eq 0 ]
same "... with the store as it was before that ingest" "$TMP/before-big2" "$TMP/during-big2"
check "... and the ingest is stored after it" [ "$(sqlite3 "$cdb" 'select count(*) from file')" = 4 ]

# the log (the WAL) starts again once it has passed its bound (64 MB; 512 KB
# here): it held everything an ingest wrote, as much again as the store grew
walline() { grep -o "started again [0-9]* times, at most [0-9]* pages" <<<"$1"; }
walA=$TMP/walA.pcap walB=$TMP/walB.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-20 --to 2014-11-21 --rate 500000 --seed 21 --out "$walA" --quiet
"$SYNTH" synth --geoip "$GEO" --from 2014-11-22 --to 2014-11-23 --rate 500000 --seed 22 --out "$walB" --quiet
out=$(DARKSCOPE_STAGE_BYTES=65536 DARKSCOPE_WAL_BYTES=524288 "$DS" ingest --db "$TMP/wal.db" \
  --geoip "$GEO" -v -j1 "$walA" 2>&1)
bounded=$(walline "$out")
out=$(DARKSCOPE_STAGE_BYTES=65536 DARKSCOPE_WAL_BYTES=100000000000 "$DS" ingest \
  --db "$TMP/wal2.db" --geoip "$GEO" -v -j1 "$walA" 2>&1)
unbounded=$(walline "$out")
DARKSCOPE_STAGE_BYTES=0 "$DS" ingest --db "$TMP/wal3.db" --geoip "$GEO" --quiet -j1 "$walA"
read -r _ _ nb _ _ _ pb _ <<<"$bounded"
read -r _ _ nu _ _ _ pu _ <<<"$unbounded"
# (the log still passes its bound by a step: a day's segments, a few MB, are
# one; its largest size varies from run to run, 18-56 pages against 127-156)
check "a log past its bound starts again ($bounded; without the bound: $unbounded)" \
  [ "${nb:-0}" -ge 2 -a "${nu:-1}" = 0 -a $(( ${pb:-999} * 3 )) -lt $(( ${pu:-0} * 2 )) ]
same "... and the store holds the same segments as one commit" <(segs "$TMP/wal.db") <(segs "$TMP/wal3.db")
# a query in another process that holds the store as it was keeps the log
# from starting again: the ingest goes on, the log grows
# (it holds its transaction until told, however slow the build)
mkfifo "$TMP/rfifo"
sqlite3 "$TMP/wal3.db" < "$TMP/rfifo" > "$TMP/rout" & rpid=$!
exec 7> "$TMP/rfifo"
echo "begin; select count(*) from segment;" >&7
for _ in $(seq 100); do [ -s "$TMP/rout" ] && break; sleep 0.05; done
out=$(DARKSCOPE_STAGE_BYTES=65536 DARKSCOPE_WAL_BYTES=524288 "$DS" ingest --db "$TMP/wal3.db" \
  --geoip "$GEO" -v -j1 "$walB" 2>&1); rc=$?
kill -0 $rpid 2>/dev/null; reading=$?
echo "commit;" >&7
exec 7>&-
wait $rpid
check "with a reader holding the store ($reading: still reading), the log does not start again ($(walline "$out"), status $rc)" \
  eval '[ $rc -eq 0 -a $reading -eq 0 ] && grep -q "started again 0 times" <<<"$out"'
DARKSCOPE_STAGE_BYTES=0 "$DS" ingest --db "$TMP/wal.db" --geoip "$GEO" --quiet -j1 "$walB"
same "... and the store is what it would be without it" <(segs "$TMP/wal.db") <(segs "$TMP/wal3.db")
# an ingest with its log so bounded, killed: the store is as it was
big3=$TMP/big3.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-24 --to 2014-11-24 --rate 2000000 --seed 23 --out "$big3" --quiet
sqlite3 "$TMP/wal.db" "vacuum into '$TMP/wal4.db'"
state "$TMP/wal4.db" > "$TMP/s-wal4"
# (a pause after each step: killed half way, however fast the machine)
DARKSCOPE_STAGE_BYTES=65536 DARKSCOPE_WAL_BYTES=524288 DARKSCOPE_STAGE_PAUSE_MS=20 \
  "$DS" ingest --db "$TMP/wal4.db" --geoip "$GEO" --quiet -j1 "$big3" & pid=$!
for _ in $(seq 200); do [ "$(unseen "$TMP/wal4.db" 2>/dev/null || echo 0)" -gt 10 ] && break; sleep 0.05; done
left=$(unseen "$TMP/wal4.db")
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rc=$?
state "$TMP/wal4.db" > "$TMP/s-wal4b"
check "an ingest with a bounded log killed (status $rc) after $left rows committed in steps" \
  [ $rc -eq 137 -a "$left" -gt 10 ]
same "... leaves the store as it was" "$TMP/s-wal4" "$TMP/s-wal4b"

# every day is rolled up once, however many readers wrote to it (a reader's
# last hours were still queued when it said it was done: a day built then was
# built again as they arrived, at the end of every file)
out=$("$DS" ingest --db "$TMP/d.db" --geoip "$GEO" -v -j2 "$big" "$big2" 2>&1)
check "two files of 3 days each, side by side: 6 day rollups built ($(grep -o '[0-9]* built' <<<"$out"))" \
  grep -q "(6 built)" <<<"$out"
out=$("$DS" ingest --db "$TMP/e.db" --geoip "$GEO" -v -j4 --split 1M "$big" 2>&1)
check "one file of 3 days read in 4 parts: 3 built ($(grep -o '[0-9]* built' <<<"$out"))" \
  eval 'grep -q "4 readers" <<<"$out" && grep -q "(3 built)" <<<"$out"'

# a small file beside a big one: the small one's reader, out of work, takes
# the second half of what the big one's reader has left, and so on while a
# part's rest is large enough to cut.  Each day is still built once, and the
# store holds what one reader stores.
small=$TMP/small.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-07 --to 2014-11-07 --rate 20000 --seed 7 --out "$small" --quiet
out=$("$DS" ingest --db "$TMP/u.db" --geoip "$GEO" -v -v -j2 --split 4M "$big" "$small" 2>&1)
"$DS" ingest --db "$TMP/u1.db" --geoip "$GEO" --quiet -j1 "$big" "$small"
check "a big file beside a small one, -j2: $(grep -c 'handed from reader' <<<"$out") parts of the big one cut off for the other reader, 4 day rollups built ($(grep -o '[0-9]* built' <<<"$out"))" \
  eval 'grep -q "bytes [0-9]*-[0-9]* handed from reader 0 to reader 2" <<<"$out" && grep -q "(4 built)" <<<"$out" &&
        ! grep -q "split read failed" <<<"$out"'
same "... the same segments as one reader's" <(segs "$TMP/u.db") <(segs "$TMP/u1.db")
same "... and the same files (digests, packets, time spans)" \
  <("$DS" files --db "$TMP/u.db" --format json | jq -S '.files | sort_by(.path)') \
  <("$DS" files --db "$TMP/u1.db" --format json | jq -S '.files | sort_by(.path)')

# 16 readers share the readers' budgets (here --max-keys 4000: 250 keys
# each, so their hours are emitted early, again and again) and have smaller
# geo caches: the store holds what one reader with the whole budget stores
mid=$TMP/mid.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-08 --to 2014-11-08 --rate 300000 --seed 8 --out "$mid" --quiet
out=$("$DS" ingest --db "$TMP/j16.db" --geoip "$GEO" -v -j16 --split 1M --max-keys 4000 "$mid" 2>&1)
"$DS" ingest --db "$TMP/j1.db" --geoip "$GEO" --quiet -j1 "$mid"
check "16 readers with a shared budget of 4000 keys ($(grep -o '[0-9]* readers' <<<"$out" | head -1))" \
  grep -q "1 file, 16 readers" <<<"$out"
same "... the same segments as one reader's" <(segs "$TMP/j16.db") <(segs "$TMP/j1.db")

# a day whose hours take more than DARKSCOPE_DAY_MEM_BYTES (24 MB by default)
# is rolled up in passes over the store, in a buffer of DARKSCOPE_DAY_PASS_BYTES
# (16 MB): here every day, in 300 KB, so the full mask takes several passes
out=$(DARKSCOPE_DAY_MEM_BYTES=0 DARKSCOPE_DAY_PASS_BYTES=300000 "$DS" -v -v ingest --db "$TMP/jp.db" --geoip "$GEO" -j1 "$mid" 2>&1)
passes=$(grep -o 'mask 7 from 7: [0-9]* passes' <<<"$out" | grep -o '[0-9]* passes')
check "a day rolled up in passes ($passes of the full mask)" [ "${passes% *}" -gt 1 ]
same "... stores the same segments, byte for byte, as rolled up in memory" <(segs "$TMP/jp.db") <(segs "$TMP/j1.db")
# days are stored in parts of at most DS_PART_ROWS rows (65,536; here 1,000):
# queries read them part by part, and an ingest that rebuilds a day (a file
# of the same day) replaces all its parts, staged until it commits
export DARKSCOPE_PART_ROWS=1000
"$DS" ingest --db "$TMP/pa.db" --geoip "$GEO" --quiet -j1 "$mid"
nparts=$(sqlite3 "$TMP/pa.db" "select count(*) from segday where mask = 7")
check "a day of $(sqlite3 "$TMP/pa.db" "select sum(rows) from segday where mask = 7") keys in $nparts parts" [ "$nparts" -gt 5 ]
same "... answers as the day in one part" <(state "$TMP/pa.db") <(state "$TMP/j1.db")
mid2=$TMP/mid2.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-08 --to 2014-11-08 --rate 100000 --seed 11 --out "$mid2" --quiet
cp "$TMP/pa.db" "$TMP/pk.db"
state "$TMP/pk.db" > "$TMP/pk-before"
segs "$TMP/pk.db" > "$TMP/pk-segs"
DARKSCOPE_STAGE_BYTES=4096 DARKSCOPE_STAGE_PAUSE_MS=100 "$DS" ingest --db "$TMP/pk.db" --geoip "$GEO" --quiet -j1 "$mid2" & pid=$!
for _ in $(seq 200); do [ "$(unseen "$TMP/pk.db" 2>/dev/null || echo 0)" -gt 0 ] && break; sleep 0.02; done
left=$(unseen "$TMP/pk.db")
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rc=$?
check "an ingest of the same day killed after steps (status $rc, $left rows unseen)" [ $rc -eq 137 -a "$left" -gt 0 ]
same "... leaves the day's parts as they were" <(state "$TMP/pk.db") "$TMP/pk-before"
# (rolled up in passes: the coarse masks read the day's full mask, its
# staged parts and not the published ones they replace)
DARKSCOPE_STAGE_BYTES=4096 DARKSCOPE_DAY_MEM_BYTES=0 DARKSCOPE_DAY_PASS_BYTES=300000 \
  "$DS" ingest --db "$TMP/pa.db" --geoip "$GEO" --quiet -j1 "$mid2"
"$DS" ingest --db "$TMP/pb.db" --geoip "$GEO" --quiet -j1 "$mid" "$mid2"
check "the day rebuilt by a second file has $(sqlite3 "$TMP/pa.db" "select count(*) from segday where mask = 7") parts, none staged" \
  [ "$(sqlite3 "$TMP/pa.db" "select count(*) from segday where mask < 0")" = 0 -a \
    "$(sqlite3 "$TMP/pa.db" "select count(*) from segday where mask = 7")" = "$(sqlite3 "$TMP/pb.db" "select count(*) from segday where mask = 7")" ]
# (hours split into parts where a merge passed 1,000 rows: where depends on
# what came first, so hours are compared by what they answer)
days() { sqlite3 "$1" "select mask, day, part, rows, packets, hex(data) from segday order by mask, day, part" | md5sum; }
same "... the same day segments as both files in one ingest" <(days "$TMP/pa.db") <(days "$TMP/pb.db")
same "... and the same answers, hour by hour" <(state "$TMP/pa.db") <(state "$TMP/pb.db")
check "... its hours in parts of at most 1,000 rows ($(sqlite3 "$TMP/pa.db" "select count(*) from segment where mask = 7") parts)" \
  [ "$(sqlite3 "$TMP/pa.db" "select max(rows) from segment")" -le 1000 -a \
    "$(sqlite3 "$TMP/pa.db" "select count(*) from segment where mask = 7")" -gt "$(sqlite3 "$TMP/pa.db" "select count(distinct hour) from segment where mask = 7")" ]
unset DARKSCOPE_PART_ROWS

# a corrupt hour (a blob cut short): an ingest that merges into it, or that
# rebuilds its day (in memory or in passes), fails in one line naming the
# store and the hour, and leaves the store as it was
"$DS" ingest --db "$TMP/cs.db" --geoip "$GEO" --quiet -j1 "$mid"
last=$(sqlite3 "$TMP/cs.db" "select max(hour) from segment where mask = 7")
sqlite3 "$TMP/cs.db" "update segment set data = substr(data, 1, 20) where mask = 7 and hour = $last"
TZ=UTC editcap -F pcap -B "2014-11-08 01:00:00" "$mid2" "$TMP/mid2-early.pcap"
for how in "merge:$mid2" "day:$TMP/mid2-early.pcap" "passes:$TMP/mid2-early.pcap"; do
  xdb=$TMP/cs-${how%%:*}.db
  cp "$TMP/cs.db" "$xdb"
  before=$(days "$xdb"; sqlite3 "$xdb" "select count(*), sum(length(data)) from segment; select digest from file")
  mem=; [ "${how%%:*}" = passes ] && mem=0
  DARKSCOPE_DAY_MEM_BYTES=$mem "$DS" ingest --db "$xdb" --geoip "$GEO" --quiet -j1 "${how#*:}" 2> "$TMP/cerr"; rc=$?
  after=$(days "$xdb"; sqlite3 "$xdb" "select count(*), sum(length(data)) from segment; select digest from file")
  check "a corrupt hour, ${how%%:*}: exit $rc in one line ($(head -1 "$TMP/cerr")), the store unchanged" \
    eval '[ $rc -eq 1 ] && [ "$(grep -vc " ingested, " "$TMP/cerr")" = 1 ] && grep -q "$xdb: hour $last" "$TMP/cerr" && [ "$before" = "$after" ]'
done

# captures rotated every 20 minutes (tcpdump -G 1200, dumpcap's ring buffer):
# 144 files of two days.  Up to 128 files make one transaction, whose readers
# take them in turn, so a day is rolled up once per transaction that writes
# to it (it was once per -j files: 36 times a day with -j2).  The store holds
# what one file of the same packets gives.
two=$TMP/twodays.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-10 --to 2014-11-11 --rate 20000 --seed 11 --out "$two" --quiet
mkdir -p "$TMP/rot" && editcap -i 1200 "$two" "$TMP/rot/r.pcap"
out=$("$DS" ingest --db "$TMP/hr.db" --geoip "$GEO" -v -j2 "$TMP"/rot/*.pcap 2>&1)
"$DS" ingest --db "$TMP/hr1.db" --geoip "$GEO" --quiet -j1 "$two"
check "144 files of 20 minutes, -j2: 2 transactions ($(grep -o '[0-9]* files, [0-9]* readers' <<<"$out" | tr '\n' ' ')), 3 day rollups ($(grep -o '[0-9]* built' <<<"$out"))" \
  eval '[ "$(ls "$TMP"/rot/*.pcap | wc -l)" = 144 ] && grep -q "128 files, 2 readers" <<<"$out" &&
        grep -q "16 files, 2 readers" <<<"$out" && grep -q "(3 built)" <<<"$out"'
same "... the same segments as the one file of the same packets" <(segs "$TMP/hr.db") <(segs "$TMP/hr1.db")

# two ingest processes at once, each committing in steps: the second waits
# for the first's last commit. Between two steps the first holds no SQLite
# lock; only the ingest lock keeps the second from starting there and taking
# the first's unpublished rows for left over. DARKSCOPE_STAGE_PAUSE_MS
# widens that gap (microseconds otherwise) so that the second would fall in
# it: without the lock, the first's rows go and the segments differ.
stage="DARKSCOPE_STAGE_BYTES=262144 DARKSCOPE_STAGE_PAUSE_MS=40"
env $stage "$DS" ingest --db "$TMP/p.db" --geoip "$GEO" --quiet "$big" 2> "$TMP/p1" & p1=$!
for _ in $(seq 200); do [ "$(unseen "$TMP/p.db" 2>/dev/null || echo 0)" -gt 0 ] && break; sleep 0.05; done
left=$(unseen "$TMP/p.db")
env $stage "$DS" ingest --db "$TMP/p.db" --geoip "$GEO" --quiet "$big2" 2> "$TMP/p2"; rc2=$?
wait $p1; rc1=$?
"$DS" ingest --db "$TMP/q.db" --geoip "$GEO" --quiet -j1 "$big" "$big2"
check "two ingest processes at once (status $rc1, $rc2), the second started amid the first's steps ($left rows unseen)" \
  eval '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ "$left" -gt 0 ]'
same "... and the store holds the same segments as the two files one after the other" \
  <(segs "$TMP/p.db") <(segs "$TMP/q.db")

# an ingest while another process writes the store waits for it, however
# long (it gave up after 10 s), and says so
sqlite3 "$cdb" "BEGIN IMMEDIATE;" ".shell sleep 11" "COMMIT;" & lock=$!
sleep 0.5
"$DS" ingest --db "$cdb" --geoip "$GEO" "$FIX/ipv6.pcap" > /dev/null 2> "$TMP/werr"; rc=$?
wait $lock
check "an ingest waits for another writer past 10 s (status $rc)" \
  eval '[ $rc -eq 0 ] && grep -q "another process is writing the store; waiting for it" "$TMP/werr" &&
        grep -q "the other writer is done after 1[0-9]\.[0-9] s" "$TMP/werr"'
check "... and its file is stored" [ "$(sqlite3 "$cdb" 'select count(*) from file')" = 5 ]
# a store that fails before any file is read (a damaged sensor table) is
# named in one line (nothing was said)
sqlite3 "$cdb" "alter table sensor drop column alias"
"$DS" ingest --db "$cdb" --geoip "$GEO" --quiet "$FIX/raw.pcap" 2> "$TMP/derr"; rc=$?
check "a damaged store is refused in one line naming it ($(head -1 "$TMP/derr"))" \
  eval '[ $rc -eq 1 ] && [ "$(wc -l < "$TMP/derr")" = 1 ] && grep -qF "$cdb: registering sensor" "$TMP/derr"'

# parallel = sequential = replay, byte for byte
for j in 1 2; do
  rm -f "$TMP/p$j.db"*
  "$DS" ingest --db "$TMP/p$j.db" --geoip "$GEO" --quiet -j$j "$FIX/eth-le-us.pcap" "$FIX/multi.pcapng" "$big"
  state "$TMP/p$j.db" > "$TMP/p$j"
done
same "two threads give the same answers as one" "$TMP/p1" "$TMP/p2"
# two captures of the same days: the second one's hours merge into the
# first one's (sources were lost there until 2026-11-25); read at once, both
# readers write every day, and days are built while the other one may still
# add hours to them.  The truth is one capture holding both.
for s in 7 8; do
  "$SYNTH" synth --geoip "$GEO" --from 2014-11-01 --to 2014-11-03 --rate 60000 --seed $s --out "$TMP/same$s.pcap" --quiet
done
mergecap -F pcap -w "$TMP/same0.pcap" "$TMP/same7.pcap" "$TMP/same8.pcap"
rm -f "$TMP/q0.db"*
"$DS" ingest --db "$TMP/q0.db" --geoip "$GEO" --quiet "$TMP/same0.pcap"
{ state "$TMP/q0.db" | grep -v '^[0-9a-f]*|'; "$DS" series ports --db "$TMP/q0.db" --step hour --tz JST --top 20 --format csv; } > "$TMP/q0"
for j in 1 2; do
  rm -f "$TMP/q$j.db"*
  "$DS" ingest --db "$TMP/q$j.db" --geoip "$GEO" --quiet -j$j "$TMP/same7.pcap" "$TMP/same8.pcap"
  { state "$TMP/q$j.db" | grep -v '^[0-9a-f]*|'; "$DS" series ports --db "$TMP/q$j.db" --step hour --tz JST --top 20 --format csv; } > "$TMP/q$j"
done
same "two captures of the same days, one after the other: as one capture holding both" "$TMP/q0" "$TMP/q1"
same "two captures of the same days read at once (-j2): as one capture holding both" "$TMP/q0" "$TMP/q2"
same "a replay into a new store gives the same answers" "$TMP/p1" <(state "$db")

# out-of-order days: a later day read before an earlier one; the day rollups
# must still equal the sum of their hours
s1=$TMP/d1.pcap; s2=$TMP/d2.pcap
"$SYNTH" synth --geoip "$GEO" --from 2014-11-01 --to 2014-11-02 --rate 20000 --seed 5 --out "$s1" --quiet
"$SYNTH" synth --geoip "$GEO" --from 2014-11-05 --to 2014-11-06 --rate 20000 --seed 6 --out "$s2" --quiet
mergecap -a -F pcap -w "$TMP/ooo.pcap" "$s2" "$s1" "$s2"
odb=$TMP/ooo.db; rm -f "$odb"*
"$DS" ingest --db "$odb" --geoip "$GEO" --quiet "$TMP/ooo.pcap"
for d in 2014-11-01 2014-11-05; do
  for by in ports regions sensors; do
    a=$("$DS" top $by --db "$odb" --from $d --to $d -n 50 --format csv)            # day rollups
    b=$("$DS" top $by --db "$odb" --from $d --to $d -n 50 --format csv --tz +00:00) # same, checked below
    h=$("$DS" series $by --db "$odb" --from $d --to $d --step hour --top 50 --format json |
        jq -r '.series[] | "\(.key) \([.points[][1]] | add)"' | sort)
    t=$("$DS" top $by --db "$odb" --from $d --to $d -n 50 --format json | jq -r '.rows[] | "\(.key) \(.packets)"' | sort)
    check "out-of-order $d $by: day rollup equals its hours" [ "$h" = "$t" -a "$a" = "$b" ]
  done
done

# a version 3 store made before the full mask had day rollups (and with
# hours of every mask): opening it builds them, so a filter on sensor, region
# and port at once finds its rows, and drops the hours of coarser masks
q() { "$DS" top ports --db "$odb" --from 2014-11-01 --to 2014-11-06 --sensor unattributed --region "$cc" -n 5 --format csv; }
cc=$("$DS" top regions --db "$odb" -n 1 --format json | jq -r '.rows[0].key')
want=$(q)
unpart "$odb"
sqlite3 "$odb" "delete from segday where mask = 7; update meta set v = '3' where k = 'schema_version';
  delete from meta where k like '%_published';
  insert into segment select 3, hour, rows, packets, data from segment where mask = 7"
got=$(q)
check "a version 3 store is migrated: its three-way filter finds the same rows ($(wc -l <<<"$got") lines)" \
  [ "$got" = "$want" -a "$(wc -l <<<"$got")" -gt 2 ]
check "the migrated store says version 9, has full-mask day rollups, no hours of two dimensions" \
  [ "$(sqlite3 "$odb" "select v from meta where k = 'schema_version'") $(sqlite3 "$odb" 'select count(*) > 0 from segday where mask = 7') $(sqlite3 "$odb" 'select group_concat(distinct mask) from segment')" = "9 1 0,1,2,4,7" ]
# a version 5 store kept hours of the full mask only: opening it adds the
# packets of one-dimension masks, and hourly series answer as before
hourly() { for by in ports regions sensors; do "$DS" series $by --db "$odb" --from 2014-11-01 --to 2014-11-06 --step hour --tz JST --top 10 --format csv; done; }
want=$(hourly)
unpart "$odb"
sqlite3 "$odb" "delete from segment where mask <> 7; update meta set v = '5' where k = 'schema_version';
  delete from meta where k like '%_published'"
got=$(hourly)
check "a version 5 store is migrated: hourly series as before ($(wc -l <<<"$got") lines)" \
  [ "$got" = "$want" -a "$(wc -l <<<"$got")" -gt 100 ]
check "and its hours have the one-dimension masks again" \
  [ "$(sqlite3 "$odb" 'select group_concat(distinct mask) from segment') $(sqlite3 "$odb" "select v from meta where k = 'schema_version'")" = "0,1,2,4,7 9" ]
# a version 6 store had no file sizes: its files get none, so every file is
# digested before it is read (any of them may be one of those)
want=$("$DS" files --db "$odb" --format csv)
unpart "$odb"
sqlite3 "$odb" "drop index file_bytes; alter table file drop column bytes; update meta set v = '6' where k = 'schema_version';
  delete from meta where k like '%_published'"
check "a version 6 store is migrated: the same files, their sizes unknown" \
  [ "$("$DS" files --db "$odb" --format csv)" = "$want" -a "$(sqlite3 "$odb" "select count(*) from file where bytes is null") $(sqlite3 "$odb" "select v from meta where k = 'schema_version'")" = "$(sqlite3 "$odb" "select count(*) from file") 9" ]
out=$("$DS" ingest --db "$odb" --geoip "$GEO" -v "$TMP/multi.pcapng.gz" 2>&1)
check "and a file of any size is digested first there" grep -q "0 taken while reading (a size not stored before), 1 first" <<<"$out"
check "and file sizes are indexed there (a size is looked up per file ingested)" \
  [ "$(sqlite3 "$odb" "select count(*) from sqlite_master where name = 'file_bytes'")" = 1 ]
sqlite3 "$odb" "update meta set v = '2' where k = 'schema_version'"
"$DS" top ports --db "$odb" > /dev/null 2> "$TMP/err"; rc=$?
check "an older store is refused in one line ($(cat "$TMP/err"))" \
  sh -c "[ $rc = 1 ] && [ \$(wc -l < '$TMP/err') = 1 ] && grep -q 'schema version 2, this darkscope uses 9' '$TMP/err'"
