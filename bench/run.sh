#!/usr/bin/env bash
# bench/run.sh - ingest and query speed and memory, with references measured
# in the same run.  Writes bench/out/results.txt; bench/RESULTS.md quotes it.
#   bench/run.sh            full run (about 5 minutes)
#   PACKETS_PER_DAY=... DAYS=... bench/run.sh   another capture size
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
OUT=bench/out
mkdir -p "$OUT"
DS=build/darkscope GEO=var/geo/country.mmdb
PPD=${PACKETS_PER_DAY:-1450000} DAYS=${DAYS:-7} RUNS=${RUNS:-3}
exec > >(tee "$OUT/results.txt") 2>&1

echo "# darkscope bench, $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem/ {print $2}') GiB"

# Each section starts by dropping its captures from the cache and reading
# them in again (fresh): how a file's pages were cached (written, read in
# bits, read in one go) changes what mapping them costs. Two captures of the
# same size were read 0.1-0.5 s apart by two readers, one of them with 0.25 s
# of system time against 0.07 s; dropped and read in again, 0.02-0.2 s apart.
fresh() { for f in "$@"; do dd if="$f" iflag=nocache count=0 status=none; cat "$f" > /dev/null; done; }

cap=$OUT/week.pcap
if [ ! -f "$cap" ]; then
  $DS synth --geoip $GEO --from 2014-11-01 --to "2014-11-$(printf %02d "$DAYS")" --rate "$PPD" \
     --seed 42 --out "$cap" --write-config "$OUT/bench.conf" --quiet
  sed -i "s#^db = .*#db = $OUT/bench.db#" "$OUT/bench.conf"
fi
fresh "$cap"
packets=$(build/bench_pcaploop "$cap" | awk '{print $1}')
echo "capture: $cap, $packets packets, $(du -m "$cap" | cut -f1) MB"
WARM=$cap

# The captures of a section ($WARM) are read into the page cache again before
# every run: on a machine whose page cache holds a few GB, the files written
# in between (stores, nfpcapd's flows) can push part of a capture out of it.
best() { # best wall time of RUNS runs of "$@" ($BEFORE runs before each); sets BEST_RSS (KB), BEST_CPU (s)
  local b=999999 t
  BEST_RSS=0 BEST_CPU=0
  for _ in $(seq "$RUNS"); do
    [ -n "${BEFORE:-}" ] && eval "$BEFORE"
    [ -n "${WARM:-}" ] && cat $WARM > /dev/null
    /usr/bin/time -o "$OUT/time" -f "%e %M %U %S" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    read -r e m u s < "$OUT/time"
    if awk -v t="$e" -v b="$b" 'BEGIN {exit !(t < b)}'; then
      b=$e; BEST_RSS=$m; BEST_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')
    fi
  done
  echo "$b"
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.2f", n / t / 1e6}'; }
# walltime CMD...: the wall seconds of one run of CMD, its output dropped
walltime() { /usr/bin/time -o "$OUT/time" -f %e "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; cat "$OUT/time"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo
echo "## ingest, one file (decode, classify, geolocate, aggregate, commit)"
best build/bench_pcaploop "$cap" > "$OUT/t"; t_loop=$(cat "$OUT/t")
echo "libpcap pcap_next_ex loop counting ports: $t_loop s = $(rate "$packets" "$t_loop") Mpps, CPU $BEST_CPU s"
NF=$OUT/nfpcapd; BEFORE="rm -rf $NF; mkdir -p $NF"
best nfpcapd -r "$cap" -w "$NF" > "$OUT/t"; t_nf=$(cat "$OUT/t")
echo "nfdump nfpcapd -r (flows to files):       $t_nf s = $(rate "$packets" "$t_nf") Mpps, CPU $BEST_CPU s"
BEFORE="rm -f $OUT/bench.db $OUT/bench.db-wal $OUT/bench.db-shm"
best $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$cap" > "$OUT/t"; t_ds=$(cat "$OUT/t")
rss=$BEST_RSS
echo "darkscope ingest -j1 (reader + store writer threads): $t_ds s = $(rate "$packets" "$t_ds") Mpps, CPU $BEST_CPU s, peak RSS $((rss / 1024)) MB"
awk -v n="$packets" -v c="$BEST_CPU" 'BEGIN {printf "darkscope per CPU second: %.2f Mpps\n", n / c / 1e6}'
awk -v a="$t_loop" -v b="$t_nf" -v c="$t_ds" 'BEGIN {printf "darkscope / libpcap loop: %.2fx, darkscope / nfpcapd: %.2fx\n", a / c, b / c}'
best $DS ingest -c "$OUT/bench.conf" -j2 --quiet "$cap" > "$OUT/t"; t_s=$(cat "$OUT/t")
echo "darkscope ingest -j2 (the default here: the file split between two readers): $t_s s = $(rate "$packets" "$t_s") Mpps, CPU $BEST_CPU s, peak RSS $((BEST_RSS / 1024)) MB"
awk -v a="$t_loop" -v b="$t_nf" -v c="$t_s" -v d="$t_ds" 'BEGIN {printf "split: / libpcap loop: %.2fx, / nfpcapd: %.2fx, / -j1: %.2fx\n", a / c, b / c, d / c}'
# The references and the ingests above are measured in blocks a minute or
# more apart, and this machine's speed drifts by more than the margins in
# that time (nfpcapd took 9.6-15.9 s on this capture over one day's runs):
# the loop, nfpcapd and the ingest (both cores, then CPU 0) again, in turn,
# PAIRS times, each ratio taken within its turn.
rl="" rn="" ro=""
for _ in $(seq "${PAIRS:-5}"); do
  cat $WARM > /dev/null
  l=$(walltime build/bench_pcaploop "$cap")
  rm -rf "$NF"; mkdir -p "$NF"
  f=$(walltime nfpcapd -r "$cap" -w "$NF")
  eval "$BEFORE"; d=$(walltime $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$cap")
  eval "$BEFORE"; o=$(walltime taskset -c 0 $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$cap")
  rl="$rl $(ratio "$l" "$d")" rn="$rn $(ratio "$f" "$d")" ro="$ro $(ratio "$l" "$o")"
done
echo "turn by turn (the loop, nfpcapd, ingest -j1, ingest -j1 on CPU 0; ${PAIRS:-5} turns), pair by pair:"
echo "  -j1 / loop:$rl (median $(median "$rl")x); -j1 / nfpcapd:$rn (median $(median "$rn")x); on CPU 0 / loop:$ro (median $(median "$ro")x)"
build/bench_stages "$cap" $GEO | sed 's/^/stage: /'

echo
echo "## the same file as pcapng (the format of dumpcap and tshark; editcap writes it)"
ng=$OUT/week.pcapng
[ -f "$ng" ] || editcap -F pcapng "$cap" "$ng"
WARM=$ng; fresh $WARM
best build/bench_pcaploop "$ng" > "$OUT/t"; t_ngl=$(cat "$OUT/t")
best $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$ng" > "$OUT/t"; t_ng=$(cat "$OUT/t")
echo "libpcap loop: $t_ngl s; darkscope ingest -j1: $t_ng s = $(rate "$packets" "$t_ng") Mpps, CPU $BEST_CPU s; / libpcap loop: $(awk -v a="$t_ngl" -v b="$t_ng" 'BEGIN {printf "%.2f", a / b}')x, / nfpcapd (of the pcap): $(awk -v a="$t_nf" -v b="$t_ng" 'BEGIN {printf "%.2f", a / b}')x"
WARM=$cap

echo
echo "## two files, -j1 against -j2"
half=$OUT/week2.pcap
[ -f "$half" ] || $DS synth --geoip $GEO --from 2014-11-08 --to "2014-11-$(printf %02d $((7 + DAYS)))" \
   --rate "$PPD" --seed 43 -c "$OUT/bench.conf" --out "$half" --quiet
WARM="$cap $half"; fresh $WARM
p2=$(( packets + $(build/bench_pcaploop "$half" | awk '{print $1}') ))
best $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$cap" "$half" > "$OUT/t"; t1=$(cat "$OUT/t"); c1=$BEST_CPU
best $DS ingest -c "$OUT/bench.conf" -j2 --quiet "$cap" "$half" > "$OUT/t"; t2=$(cat "$OUT/t")
echo "-j1: $t1 s = $(rate $p2 "$t1") Mpps (CPU $c1 s); -j2: $t2 s = $(rate $p2 "$t2") Mpps (CPU $BEST_CPU s), peak RSS $((BEST_RSS / 1024)) MB"
awk -v a="$t1" -v b="$t2" 'BEGIN {printf "two threads: %.2fx one\n", a / b}'

echo
echo "## on one core: the same ingests confined to CPU 0 (taskset), writer threads included"
BEFORE="rm -f $OUT/bench.db $OUT/bench.db-wal $OUT/bench.db-shm"
best taskset -c 0 $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$cap" > "$OUT/t"; tp=$(cat "$OUT/t")
echo "one file:  $tp s = $(rate "$packets" "$tp") Mpps; / libpcap loop: $(awk -v a="$t_loop" -v b="$tp" 'BEGIN {printf "%.2f", a / b}')x, / nfpcapd: $(awk -v a="$t_nf" -v b="$tp" 'BEGIN {printf "%.2f", a / b}')x"
best taskset -c 0 $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$cap" "$half" > "$OUT/t"; tp2=$(cat "$OUT/t")
echo "two files: $tp2 s = $(rate $p2 "$tp2") Mpps; -j2 on both cores: $(awk -v a="$tp2" -v b="$t2" 'BEGIN {printf "%.2f", a / b}')x one core"
# The ratio above sets two blocks of runs minutes apart against each other,
# and this machine's speed drifts by more than the margin in that time: the
# same two ingests again, turn by turn (one core, then both), PAIRS times.
pa=999999 pb=999999 each="" sep="" qa=999999 qb=999999
for _ in $(seq "${PAIRS:-5}"); do
  eval "$BEFORE"; cat $WARM > /dev/null
  a=$(walltime taskset -c 0 $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$cap" "$half")
  eval "$BEFORE"; cat $WARM > /dev/null
  b=$(walltime $DS ingest -c "$OUT/bench.conf" -j2 --quiet "$cap" "$half")
  each="$each $(ratio "$a" "$b")"
  # the reference: the same two files ingested by two separate processes (a
  # store each, -j1), one after the other on CPU 0, then side by side on
  # both cores: what this machine gives two jobs that share nothing
  SEP="rm -f $OUT/sep1.db* $OUT/sep2.db*"
  eval "$SEP"; cat $WARM > /dev/null
  sa=$(walltime taskset -c 0 sh -c "$DS ingest -c $OUT/bench.conf --db $OUT/sep1.db -j1 --quiet $cap >/dev/null 2>&1;
    $DS ingest -c $OUT/bench.conf --db $OUT/sep2.db -j1 --quiet $half >/dev/null 2>&1")
  eval "$SEP"; cat $WARM > /dev/null
  sb=$(walltime sh -c "$DS ingest -c $OUT/bench.conf --db $OUT/sep1.db -j1 --quiet $cap >/dev/null 2>&1 &
    $DS ingest -c $OUT/bench.conf --db $OUT/sep2.db -j1 --quiet $half >/dev/null 2>&1; wait")
  sep="$sep $(ratio "$sa" "$sb")"
  qa=$(awk -v x="$sa" -v y="$qa" 'BEGIN {print (x < y) ? x : y}')
  qb=$(awk -v x="$sb" -v y="$qb" 'BEGIN {print (x < y) ? x : y}')
  pa=$(awk -v x="$a" -v y="$pa" 'BEGIN {print (x < y) ? x : y}')
  pb=$(awk -v x="$b" -v y="$pb" 'BEGIN {print (x < y) ? x : y}')
done
med=$(median "$each")
echo "two files turn by turn: one core $pa s, both cores $pb s (best of ${PAIRS:-5} each): $(awk -v a="$pa" -v b="$pb" 'BEGIN {printf "%.2f", a / b}')x; pair by pair:$each (median ${med}x)"
echo "reference, two separate ingests (one per file, a store each): one core $qa s, both cores $qb s (best of ${PAIRS:-5}); side by side against one after the other on one core:$sep (median $(median "$sep")x)"
rm -f $OUT/sep1.db* $OUT/sep2.db*

echo
echo "## the week as captures rotated every hour (editcap -i 3600, as tcpdump -G 3600 writes)"
hours=$OUT/hourly
if [ ! -f "$hours/.done" ]; then
  rm -rf "$hours"; mkdir -p "$hours"
  editcap -F pcap -i 3600 "$cap" "$hours/h.pcap" && touch "$hours/.done"
fi
WARM="$hours/*.pcap"; fresh $hours/*.pcap
BEFORE="rm -f $OUT/bench.db $OUT/bench.db-wal $OUT/bench.db-shm"
best $DS ingest -c "$OUT/bench.conf" -j2 --quiet $hours/*.pcap > "$OUT/t"; th=$(cat "$OUT/t")
echo "$(ls $hours/*.pcap | wc -l) files, -j2: $th s = $(rate "$packets" "$th") Mpps, CPU $BEST_CPU s, peak RSS $((BEST_RSS / 1024)) MB; the one file split, above: $t_s s"

echo
echo "## sources interleaved (synth --sweep 1: no runs of packets from one source, as a"
echo "## telescope sees scanners that randomise their targets; the captures above sweep 5 in a row)"
mixed=$OUT/mixed.pcap mixed2=$OUT/mixed2.pcap
[ -f "$mixed" ] || $DS synth --geoip $GEO -c "$OUT/bench.conf" --from 2014-11-01 --to "2014-11-$(printf %02d "$DAYS")" \
   --rate "$PPD" --seed 42 --sweep 1 --out "$mixed" --quiet
[ -f "$mixed2" ] || $DS synth --geoip $GEO -c "$OUT/bench.conf" --from 2014-11-08 --to "2014-11-$(printf %02d $((7 + DAYS)))" \
   --rate "$PPD" --seed 43 --sweep 1 --out "$mixed2" --quiet
WARM="$mixed $mixed2"; fresh $WARM
pm=$(build/bench_pcaploop "$mixed" | awk '{print $1}')
pm2=$(( pm + $(build/bench_pcaploop "$mixed2" | awk '{print $1}') ))
best build/bench_pcaploop "$mixed" > "$OUT/t"; tl=$(cat "$OUT/t")
echo "libpcap loop: $tl s = $(rate "$pm" "$tl") Mpps ($pm packets)"
BEFORE="rm -rf $NF; mkdir -p $NF"
best nfpcapd -r "$mixed" -w "$NF" > "$OUT/t"; tn=$(cat "$OUT/t")
echo "nfpcapd -r: $tn s = $(rate "$pm" "$tn") Mpps, CPU $BEST_CPU s"
BEFORE="rm -f $OUT/bench.db $OUT/bench.db-wal $OUT/bench.db-shm"
best $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$mixed" > "$OUT/t"; tm=$(cat "$OUT/t")
echo "darkscope ingest -j1: $tm s = $(rate "$pm" "$tm") Mpps, CPU $BEST_CPU s, peak RSS $((BEST_RSS / 1024)) MB; / libpcap loop: $(awk -v a="$tl" -v b="$tm" 'BEGIN {printf "%.2f", a / b}')x, / nfpcapd: $(awk -v a="$tn" -v b="$tm" 'BEGIN {printf "%.2f", a / b}')x"
best $DS ingest -c "$OUT/bench.conf" -j2 --quiet "$mixed" > "$OUT/t"; tms=$(cat "$OUT/t")
echo "darkscope ingest -j2 (split): $tms s = $(rate "$pm" "$tms") Mpps, CPU $BEST_CPU s, peak RSS $((BEST_RSS / 1024)) MB; / libpcap loop: $(awk -v a="$tl" -v b="$tms" 'BEGIN {printf "%.2f", a / b}')x, / nfpcapd: $(awk -v a="$tn" -v b="$tms" 'BEGIN {printf "%.2f", a / b}')x"
best $DS ingest -c "$OUT/bench.conf" -j2 --quiet "$mixed" "$mixed2" > "$OUT/t"; tm2=$(cat "$OUT/t")
echo "two files -j2: $tm2 s = $(rate "$pm2" "$tm2") Mpps, CPU $BEST_CPU s, peak RSS $((BEST_RSS / 1024)) MB"
# what a machine with 8 cores does by default (-j = cores): the file in 8 parts
best $DS ingest -c "$OUT/bench.conf" -j8 --quiet "$mixed" > "$OUT/t"; tm8=$(cat "$OUT/t")
echo "darkscope ingest -j8 (8 readers, as on an 8-core machine; 2 cores here): $tm8 s, peak RSS $((BEST_RSS / 1024)) MB"
best $DS ingest -c "$OUT/bench.conf" -j16 --quiet "$mixed" > "$OUT/t"; tm16=$(cat "$OUT/t")
echo "darkscope ingest -j16 (16 readers sharing the readers' budgets): $tm16 s, peak RSS $((BEST_RSS / 1024)) MB"

echo
echo "## memory with many distinct sources (a spoofed-source flood)"
flood=$OUT/flood.pcap
[ -f "$flood" ] || $DS synth --geoip $GEO -c "$OUT/bench.conf" --from 2014-11-01 --to 2014-11-02 --rate 100000 \
   --event spoofed:port=80/tcp,start=2014-11-01,days=2,share=60 --seed 44 --out "$flood" --quiet
fp=$(build/bench_pcaploop "$flood" | awk '{print $1}')
WARM=$flood; fresh $WARM
best $DS ingest -c "$OUT/bench.conf" -j1 --quiet "$flood" > "$OUT/t"; t_f=$(cat "$OUT/t")
src=$($DS top ports -c "$OUT/bench.conf" --format json | jq .total_sources)
echo "$fp packets, about $src distinct sources: $t_f s = $(rate "$fp" "$t_f") Mpps, peak RSS $((BEST_RSS / 1024)) MB"
best $DS ingest -c "$OUT/bench.conf" -j2 --quiet "$flood" > "$OUT/t"; t_f2=$(cat "$OUT/t")
echo "the same -j2 (split): $t_f2 s = $(rate "$fp" "$t_f2") Mpps, peak RSS $((BEST_RSS / 1024)) MB"

echo
echo "## memory with many distinct keys (bench_keys: random sources and ports, nearly a key a"
echo "## packet; days past 24 MB of hours are rolled up in passes, hours merged part by part)"
for spec in 1000000:24 4000000:24 4000000:1; do
  kn=${spec%:*} kh=${spec#*:}
  kc=$OUT/keys-$kn-$kh.pcap
  [ -f "$kc" ] || build/bench_keys "$kc" "$kn" "$kh"
  WARM=$kc; fresh $WARM
  best $DS ingest -c "$OUT/bench.conf" -j2 --quiet "$kc" > "$OUT/t"; t_k=$(cat "$OUT/t")
  rows=$(sqlite3 "$OUT/bench.db" "SELECT sum(rows) FROM segday WHERE mask=7")
  echo "$kn packets in $kh hours, $rows keys (sensor, country, port) that day: $t_k s = $(rate "$kn" "$t_k") Mpps, peak RSS $((BEST_RSS / 1024)) MB"
done
BEFORE= WARM=

echo
echo "## queries over a stored quarter (and its previous quarter)"
qc=$OUT/quarters.pcap QDB=$OUT/q.db
if [ ! -f "$QDB" ]; then
  $DS synth --preset reference --geoip $GEO --rate 110000 --seed 1 --out "$qc" --write-config "$OUT/q.conf" --quiet
  rm -f "$QDB"*
  $DS ingest --db "$QDB" -c "$OUT/q.conf" --quiet "$qc"
  rm -f "$qc"
fi
echo "store: $(sqlite3 "$QDB" 'select sum(packets) from file') packets, $(du -m "$QDB" | cut -f1) MB"
for q in "top ports --quarter 2014Q4 --previous" "top regions --quarter 2014Q4 --previous" \
         "top sensors --quarter 2014Q4 --previous" "top ports --quarter 2014Q4 --region CN --sensor tokyo-1" \
         "series ports --quarter 2014Q4 --top 5" "series regions --quarter 2014Q4 --top 5" \
         "series ports --quarter 2014Q4 --top 5 --tz JST" "top ports --quarter 2014Q4 --tz JST --previous --format json"; do
  t=$(best $DS $q --db "$QDB")
  echo "$(awk -v t="$t" 'BEGIN {printf "%4.0f ms", t * 1000}')  darkscope $q"
done

echo
echo "## events and the quarter's report (all formats) from the same store"
# best runs here, not in $(...): BEST_RSS must reach this shell
best $DS events --quarter 2014Q4 --db "$QDB" -c "$OUT/q.conf" > "$OUT/t"; t=$(cat "$OUT/t")
echo "$(awk -v t="$t" 'BEGIN {printf "%4.0f ms", t * 1000}')  darkscope events --quarter 2014Q4, peak RSS $((BEST_RSS / 1024)) MB"
BEFORE="rm -rf $OUT/report"
best $DS report --quarter 2014Q4 --db "$QDB" -c "$OUT/q.conf" --out "$OUT/report" > "$OUT/t"; t=$(cat "$OUT/t")
BEFORE=
echo "$(awk -v t="$t" 'BEGIN {printf "%4.0f ms", t * 1000}')  darkscope report --quarter 2014Q4 --out DIR (html, pdf, md, json; $(ls "$OUT/report" | wc -l) files, $(pdfinfo "$OUT/report/report.pdf" | awk '/^Pages/ {print $2}') PDF pages), peak RSS $((BEST_RSS / 1024)) MB"
