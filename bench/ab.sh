#!/usr/bin/env bash
# bench/ab.sh - the ingest of this tree against an earlier commit's, in one
# run, turn by turn, so that a noisy machine slows both alike.
#   bench/ab.sh BASE [RUNS]      e.g. bench/ab.sh 5a73c89 5
# Uses bench/run.sh's captures (bench/out/week.pcap, mixed.pcap, week2.pcap;
# written by it, or here if missing); "two" is week and week2 in one ingest.  For each capture and mode it prints the best wall
# time and the CPU time (user + system) of that run for BASE and for HEAD,
# and checks that both stores answer the same (top and series over them).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?usage: bench/ab.sh BASE [RUNS]} RUNS=${2:-5}
OUT=bench/out GEO=var/geo/country.mmdb
scripts/setup.sh >/dev/null
mkdir -p "$OUT"
base_dir=$OUT/ab-$(git rev-parse --short "$BASE")
if [ ! -x "$base_dir/build/darkscope" ]; then
  rm -rf "$base_dir"
  git worktree add --detach "$base_dir" "$BASE" >/dev/null 2>&1
  make -C "$base_dir" -j"$(nproc)" build/darkscope >/dev/null
fi
make -j"$(nproc)" build/darkscope >/dev/null
[ -f "$OUT/week.pcap" ] || build/darkscope synth --geoip $GEO --from 2014-11-01 --to 2014-11-07 \
  --rate 1450000 --seed 42 --out "$OUT/week.pcap" --write-config "$OUT/bench.conf" --quiet
sed -i "s#^db = .*#db = $OUT/bench.db#" "$OUT/bench.conf"
[ -f "$OUT/mixed.pcap" ] || build/darkscope synth --geoip $GEO -c "$OUT/bench.conf" --from 2014-11-01 \
  --to 2014-11-07 --rate 1450000 --seed 42 --sweep 1 --out "$OUT/mixed.pcap" --quiet
[ -f "$OUT/week2.pcap" ] || build/darkscope synth --geoip $GEO -c "$OUT/bench.conf" --from 2014-11-08 \
  --to 2014-11-14 --rate 1450000 --seed 43 --out "$OUT/week2.pcap" --quiet

echo "# bench/ab.sh: $(git rev-parse --short "$BASE") against $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)'), best of $RUNS, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-12s %-18s %16s %16s %8s\n' capture mode "base wall/CPU" "head wall/CPU" "speed-up"
# (what the day segments answer, whatever their layout: parts, since schema 9)
segs() {
  for by in ports regions sensors; do
    build/darkscope top $by --db "$1" -n 100000 --format csv
    build/darkscope series $by --db "$1" --top 50 --format csv
  done | md5sum | cut -c1-12
}
for cap in ${CAPS:-week mixed two}; do
  files=$OUT/$cap.pcap modes=("-j1" "-j2" "taskset -j1")
  [ "$cap" = two ] && files="$OUT/week.pcap $OUT/week2.pcap" modes=("-j2" "taskset -j2")
  for mode in "${modes[@]}"; do
    declare -A best=() cpu=()
    for _ in $(seq "$RUNS"); do
      for who in base head; do
        ds=build/darkscope
        [ $who = base ] && ds=$base_dir/build/darkscope
        pre=; args=$mode
        case $mode in taskset*) pre="taskset -c 0" args=${mode#taskset } ;; esac
        db=$OUT/ab-$who.db
        rm -f "$db" "$db-wal" "$db-shm"
        cat $files >/dev/null
        /usr/bin/time -o "$OUT/ab-time" -f "%e %U %S" $pre "$ds" ingest -c "$OUT/bench.conf" --db "$db" \
          $args --quiet $files
        read -r e u s < "$OUT/ab-time"
        if [ -z "${best[$who]:-}" ] || awk -v a="$e" -v b="${best[$who]}" 'BEGIN {exit !(a < b)}'; then
          best[$who]=$e; cpu[$who]=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
        fi
      done
    done
    [ "$(segs "$OUT/ab-base.db")" = "$(segs "$OUT/ab-head.db")" ] || echo "DIFFERENT answers: $cap $mode"
    printf '%-12s %-18s %9s/%-6s %9s/%-6s %7sx\n' "$cap" "$mode" "${best[base]}" "${cpu[base]}" \
      "${best[head]}" "${cpu[head]}" "$(awk -v a="${best[base]}" -v b="${best[head]}" 'BEGIN {printf "%.2f", a / b}')"
    unset best cpu
  done
done
rm -f "$OUT"/ab-*.db* "$OUT/ab-time"
