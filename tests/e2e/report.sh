# report.sh - events found on the reference quarter, and the report in every
# format: tables, figures, PDF pages rendered (pdftoppm), HTML opened in
# headless Chromium (no overflow, no console errors).
. "$(dirname "$0")/lib.sh"
[ -f "$GEO" ] || { notok "geo database missing (run scripts/setup.sh)"; exit 0; }
"$SYNTH" synth --geoip "$GEO" --quiet --preset reference --seed 1 --rate 20000 --out "$TMP/ref.pcap" \
  --write-config "$TMP/ref.conf"
sed -i "s#^db = .*#db = $TMP/ref.db#" "$TMP/ref.conf"
"$DS" ingest -c "$TMP/ref.conf" --quiet "$TMP/ref.pcap"
"$DS" events -c "$TMP/ref.conf" --quarter 2014Q4 --format json > "$TMP/ev.json"
ev() { jq -r --arg k "$1" '[.events[] | select(.keys | index($k))][0] | '"$2" "$TMP/ev.json"; }
check "23/tcp surge found, from 2014-11-03, broad ($(ev 23/tcp '.start + " " + .breadth'))" \
  [ "$(ev 23/tcp '.start + " " + .breadth')" = "2014-11-03 broad" ]
check "8080/tcp rise from 2014-12-01, broad, led by China with Japan next ($(ev 8080/tcp '[.start, .breadth, .top_regions[0][0], .top_regions[1][0], .end] | join(" ")'))" \
  [ "$(ev 8080/tcp '[.start, .breadth, .top_regions[0][0], .top_regions[1][0], .end] | join(" ")')" = "2014-12-01 broad CN JP ongoing" ]
check "12543/tcp and /udp grouped, from 2014-10-14, local to osaka-2 ($(ev 12543/tcp '[(.keys | join("+")), .start, .breadth, (.sensors | join(","))] | join(" ")'))" \
  [ "$(ev 12543/tcp '[(.keys | join("+")), .start, .breadth, (.sensors | join(","))] | join(" ")')" = "12543/tcp+12543/udp 2014-10-14 local osaka-2" ]
n=$(jq '[.events[] | select((.keys | index("23/tcp") or index("8080/tcp") or index("12543/tcp")) | not)] | length' "$TMP/ev.json")
check "no event beyond the injected ones ($n)" [ "$n" = 0 ]
jqe() { jq -e "$@" > /dev/null; }
check "every event has the documented fields" jqe '.events | all(has("id") and has("keys") and has("kind") and has("start") and has("peak") and has("end") and has("factor") and has("excess_packets") and has("excess_sources") and has("breadth") and has("sensors") and has("top_regions"))' "$TMP/ev.json"
"$DS" events -c "$TMP/ref.conf" --quarter 2014Q4 --format csv > "$TMP/ev.csv"
check "events as CSV: a header and one line per event" [ "$(wc -l < "$TMP/ev.csv")" = "$(( $(jq '.events | length' "$TMP/ev.json") + 1 ))" ]
# a quiet quarter: the same traffic without the phenomena
"$SYNTH" synth --geoip "$GEO" --quiet --from 2014-09-01 --to 2014-12-31 --seed 1 --rate 20000 --out "$TMP/q.pcap" --write-config "$TMP/q.conf"
sed -i "s#^db = .*#db = $TMP/q.db#" "$TMP/q.conf"
"$DS" ingest -c "$TMP/q.conf" --quiet "$TMP/q.pcap"
check "a quiet quarter yields no events" [ "$("$DS" events -c "$TMP/q.conf" --quarter 2014Q4 --format json | jq '.events | length')" = 0 ]
# a rise needs new sources unless its packets alone are overwhelming: two
# busy scanners (3306, z between 6 and 12), a 3,000-source campaign (5900),
# two scanners far above the noise (6379, z over 12)
"$SYNTH" synth --geoip "$GEO" --quiet --from 2014-09-01 --to 2014-12-31 --seed 1 --rate 20000 --out "$TMP/s.pcap" --write-config "$TMP/s.conf" \
  -e surge:port=3306/tcp,start=2014-11-12,days=2,share=0.015,sources=2 \
  -e surge:port=5900/tcp,start=2014-12-03,days=2,share=0.02 \
  -e surge:port=6379/tcp,start=2014-10-20,days=2,share=0.05,sources=2
sed -i "s#^db = .*#db = $TMP/s.db#" "$TMP/s.conf"
"$DS" ingest -c "$TMP/s.conf" --quiet "$TMP/s.pcap"
keys() { "$DS" events -c "$TMP/s.conf" --quarter 2014Q4 --format json | jq -r '[.events[] | .keys[0] + "@" + .start] | sort | join(" ")'; }
k=$(keys)
check "two busy scanners are no event, a campaign and an overwhelming rise are ($k)" \
  [ "$k" = "5900/tcp@2014-12-03 6379/tcp@2014-10-20" ]
printf '\n[events]\nsource_threshold = 0\n' >> "$TMP/s.conf"
k=$(keys)
check "source_threshold = 0 reports the two scanners' rise too ($k)" \
  sh -c "echo '$k' | grep -q '3306/tcp@2014-11-12'"
# one campaign on two unrelated ports (the same new sources) is one finding;
# two other surges at the same time, from other sources, stay apart
"$SYNTH" synth --geoip "$GEO" --quiet --from 2014-09-01 --to 2014-12-31 --seed 3 --rate 20000 --out "$TMP/g.pcap" --write-config "$TMP/g.conf" \
  -e surge:port=2323/tcp+5555/tcp,start=2014-11-12,days=4,share=0.08 \
  -e surge:port=5900/tcp,start=2014-11-13,days=4,share=0.06 \
  -e surge:port=3389/tcp,start=2014-11-12,days=3,share=0.06
sed -i "s#^db = .*#db = $TMP/g.db#" "$TMP/g.conf"
"$DS" ingest -c "$TMP/g.conf" --quiet "$TMP/g.pcap"
k=$("$DS" events -c "$TMP/g.conf" --quarter 2014Q4 --format json | jq -r '[.events[] | .keys | join("+")] | sort | join(" ")')
check "findings grouped by shared sources: one for 2323+5555, apart for 3389 and 5900 ($k)" \
  [ "$k" = "2323/tcp+5555/tcp 3389/tcp 5900/tcp" ]
# thresholds come from the config
printf '\n[events]\nmin_share = 0.9\n' >> "$TMP/ref.conf"
check "a threshold in the config applies (min_share 0.9: no events)" \
  [ "$("$DS" events -c "$TMP/ref.conf" --quarter 2014Q4 --format json | jq '.events | length')" = 0 ]
sed -i '/^\[events\]/,$d' "$TMP/ref.conf"
printf '[events]\nfactor = 0.5\n' >> "$TMP/ref.conf"
"$DS" events -c "$TMP/ref.conf" --quarter 2014Q4 > /dev/null 2> "$TMP/err"; rc=$?
check "a bad threshold is refused naming file and line ($(cat "$TMP/err"))" sh -c "[ $rc = 1 ] && grep -q 'ref.conf:[0-9]*: bad factor' '$TMP/err'"
sed -i '/^\[events\]/,$d' "$TMP/ref.conf"

# the report, every format
R=$TMP/report
"$DS" report -c "$TMP/ref.conf" --quarter 2014Q4 --out "$R" --quiet
for f in report.html report.pdf report.md report.json fig1-ports.png fig1-ports.svg fig2-regions.svg; do
  check "report wrote $f" [ -s "$R/$f" ]
done
t1=$(jq -r '[.table1.rows[].key] | join(" ")' "$R/report.json")
check "Table 1 as in the reference report: $t1" [ "$t1" = "23/tcp 22/tcp 445/tcp 8/icmp 1433/tcp" ]
t2=$(jq -r '[.table2.rows[].key] | join(" ")' "$R/report.json")
check "Table 2 starts China, USA, Japan: $t2" [ "${t2:0:8}" = "CN US JP" ]
check "Japan's previous rank is below the top five" [ "$(jq '.table2.rows[2].previous_rank' "$R/report.json")" -gt 5 ]
check "the report has the three events of note" [ "$(jq '[.events[].event.keys[0]] | map(select(. == "23/tcp" or . == "8080/tcp" or . == "12543/tcp")) | unique | length' "$R/report.json")" = 3 ]
check "the local event names its sensor's alias in the text" jqe '[.events[] | select(.event.breadth == "local") | .text | test("Domestic sensor 2")] | all and length > 0' "$R/report.json"
check "no prefix in the report without --reveal-sensors" not grep -q '203\.0\.113\.' "$R/report.html" "$R/report.md" "$R/report.json"
check "the overview says which port moved" jqe '.overview | join(" ") | test("23/TCP \\(telnet\\) rose sharply from 3 Nov 2014")' "$R/report.json"
check "every PNG figure of the Markdown exists" sh -c "grep -o '([^)]*\.png)' '$R/report.md' | tr -d '()' | while read -r f; do [ -s '$R/'\$f ] || exit 1; done"
check "figures carry their numbers in JSON" [ "$(jq '.figures | length' "$R/report.json")" -ge 8 ]
# PDF: A4 pages, rendered, text within the margins
if command -v pdftoppm >/dev/null; then
  pages=$(pdfinfo "$R/report.pdf" | awk '/^Pages:/ {print $2}')
  check "PDF is A4 with $pages pages" sh -c "pdfinfo '$R/report.pdf' | grep -q 'Page size:.*(A4)' && [ '$pages' -ge 3 ]"
  pdftoppm -r 40 -png "$R/report.pdf" "$TMP/page"
  check "every PDF page renders to PNG" [ "$(ls "$TMP"/page-*.png | wc -l)" = "$pages" ]
  pdftotext "$R/report.pdf" "$TMP/report.txt"
  for s in "Table 1" "Figure 1" "Table 2" "Figure 2" "Events of note" "Table 3" "Domestic sensor 2"; do
    check "PDF has '$s'" grep -q "$s" "$TMP/report.txt"
  done
  over=$(pdftotext -bbox "$R/report.pdf" - | awk -F'"' '/<word / {for (i = 1; i < NF; i++) if ($i ~ /xMax=$/ && $(i + 1) > 560) n++} END {print n + 0}')
  check "no PDF text past the right margin ($over words)" [ "$over" = 0 ]
else
  skip "pdftoppm missing (poppler-utils)"
fi
# HTML in headless Chromium: figures and tables present, nothing overflows, no errors
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
  sed 's#</body>#<script>\
window.__errors = [];\
window.addEventListener("error", e => window.__errors.push(String(e.message)));\
window.addEventListener("load", () => {\
  const de = document.documentElement, errs = window.__errors;\
  if (de.scrollWidth > de.clientWidth + 1) errs.push("page " + de.scrollWidth + ">" + de.clientWidth);\
  document.querySelectorAll("table, figure, p, h1, h2, h3").forEach(e => {\
    if (e.scrollWidth > e.clientWidth + 1) errs.push(e.tagName + " overflows");\
    if (e.getBoundingClientRect().right > de.clientWidth + 1) errs.push(e.tagName + " beyond the page"); });\
  document.querySelectorAll("figure svg").forEach(s => { if (s.getBoundingClientRect().height < 100) errs.push("flat svg"); });\
  document.title = "CHECK figures=" + document.querySelectorAll("figure svg").length +\
    " tables=" + document.querySelectorAll("table").length + " errors=" + errs.length + " " + errs.join(";");\
});\
</script></body>#' "$R/report.html" > "$R/check.html"
  for width in 1280 600; do
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --enable-logging=stderr --v=0 --virtual-time-budget=5000 --window-size=$width,900 \
      --dump-dom "file://$R/check.html" > "$TMP/dom.html" 2> "$TMP/chrome.log" || true
    title=$(grep -o '<title>CHECK[^<]*' "$TMP/dom.html" | sed 's/<title>//')
    nf=$(jq '.figures | length' "$R/report.json")
    check "Chromium at ${width}px: $title" [ "$title" = "CHECK figures=$nf tables=3 errors=0 " ]
    check "no console errors at ${width}px" not grep -q 'CONSOLE.*ERROR\|Uncaught' "$TMP/chrome.log"
  done
else
  skip "chromium missing"
fi
# formats, prefixes on request, errors
"$DS" report -c "$TMP/ref.conf" --quarter 2014Q4 --out "$TMP/r2" --format md,json --reveal-sensors --quiet
check "--format md,json writes only those" sh -c "[ -s '$TMP/r2/report.md' ] && [ ! -e '$TMP/r2/report.html' ] && [ ! -e '$TMP/r2/report.pdf' ]"
check "--reveal-sensors shows prefixes" grep -q '203\.0\.113\.0/24' "$TMP/r2/report.md"
"$DS" report -c "$TMP/ref.conf" --quarter 2014Q4 > /dev/null 2> "$TMP/err"; rc=$?
check "report without --out: usage error ($rc, $(cat "$TMP/err"))" [ "$rc" = 2 ]
"$DS" report -c "$TMP/ref.conf" --quarter 2014Q4 --out "$TMP/r3" --format docx 2> "$TMP/err"; rc=$?
check "unknown format refused ($(cat "$TMP/err"))" [ "$rc" = 2 ]
"$DS" report -c "$TMP/ref.conf" --quarter 2010Q1 --out "$TMP/r4" 2> "$TMP/err"; rc=$?
check "a period without data: one line, non-zero ($(cat "$TMP/err"))" [ "$rc" != 0 -a "$(wc -l < "$TMP/err")" = 1 ]
touch "$TMP/afile"
"$DS" report -c "$TMP/ref.conf" --quarter 2014Q4 --out "$TMP/afile/x" 2> "$TMP/err"; rc=$?
check "an output directory that cannot be made: one line, exit 1 ($(cat "$TMP/err"))" [ "$rc" = 1 -a "$(wc -l < "$TMP/err")" = 1 ]
