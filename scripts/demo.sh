#!/usr/bin/env bash
# The main job on the embedded default: a synthetic quarter (2014Q4, with the
# phenomena of the reference report) and its previous quarter are generated,
# ingested into the SQLite store, and Table 1 and Table 2 are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
D=var/demo
mkdir -p "$D"
ds=build/darkscope
if [ ! -f "$D/demo.pcap.zst" ]; then
  $ds synth --preset reference --geoip var/geo/country.mmdb --seed 1 \
     --out "$D/demo.pcap.zst" --write-config "$D/demo.conf"
  sed -i "s#^db = .*#db = $D/demo.db#" "$D/demo.conf"
fi
$ds ingest -c "$D/demo.conf" "$D/demo.pcap.zst"
echo
echo "[Table 1: Top 5 destination ports]"
$ds top ports -c "$D/demo.conf" --quarter 2014Q4 --previous -n 5
echo
echo "[Table 2: Top 5 source regions]"
$ds top regions -c "$D/demo.conf" --quarter 2014Q4 --previous -n 5
echo
echo "[Daily packets of the top 5 ports, first two weeks of November]"
$ds series ports -c "$D/demo.conf" --from 2014-11-01 --to 2014-11-14 --top 5
echo
echo "[Events of note, found by the machine]"
$ds events -c "$D/demo.conf" --quarter 2014Q4
echo
$ds report -c "$D/demo.conf" --quarter 2014Q4 --out "$D/report"
echo "open $D/report/report.html (or report.pdf, report.md, report.json)"
