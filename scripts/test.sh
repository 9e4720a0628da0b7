#!/usr/bin/env bash
# Set up, then build and run every test: under gcc, under clang (the unit
# tests), and under AddressSanitizer + UndefinedBehaviorSanitizer (clang).
# The last line is the total.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
total_pass=0; total_fail=0; total_skip=0
run() { # name, make args...
  local name=$1 t0=$SECONDS; shift
  echo "=== $name"
  make "$@" -j"$(nproc)" all units >/dev/null || { echo "build failed: $name"; total_fail=$((total_fail+1)); return; }
  local out; out=$(mktemp)
  make "$@" test 2>&1 | tee "$out"
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  rm -f "$out"
  if [ -z "$line" ]; then total_fail=$((total_fail+1)); return; fi
  set -- $line
  total_pass=$((total_pass+$1)); total_fail=$((total_fail+$3))
  [ "${5:-}" != "" ] && total_skip=$((total_skip+$5))
  echo "=== $name: $((SECONDS-t0)) s"
}
echo "=== style"
if clang-format --dry-run --Werror $(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests bench -name '*.[ch]') 2>/dev/null; then
  echo "ok - clang-format: every C file is formatted"; total_pass=$((total_pass+1))
else
  echo "not ok - clang-format: run 'make format'"; total_fail=$((total_fail+1))
fi
run gcc CC=gcc B=build
# clang builds warning-free and passes the unit tests at -O2; its end-to-end
# run is the one under the sanitizers below (clang too), which CI needs anyway
# (the same scripts three times took 20 minutes, the aim is under 15)
E2E=0 run clang CC=clang B=build-clang OPT="-O2 -g"
# the sanitizer runs write their scripts' input captures with the gcc build
# (synth under TSan took a minute of the TSan run; synth.sh still tests it)
[ -x build/darkscope ] && export SYNTH=$PWD/build/darkscope
run "asan+ubsan" CC=clang SAN=1

# ThreadSanitizer over the tests that run files in parallel
echo "=== tsan"; t0=$SECONDS
if make CC=clang B=build-tsan OPT="-O1 -g -fsanitize=thread" LDFLAGS=-fsanitize=thread \
     -j"$(nproc)" all units >/dev/null 2>&1; then
  out=$(B=build-tsan DS="$PWD/build-tsan/darkscope" ROOT="$PWD" \
        TSAN_OPTIONS="halt_on_error=1:exitcode=66" bash tests/e2e/store.sh 2>&1)
  echo "$out" | sed 's/^ok - /ok - tsan: /; s/^not ok - /not ok - tsan: /'
  total_pass=$((total_pass + $(grep -c '^ok - ' <<<"$out")))
  total_fail=$((total_fail + $(grep -c '^not ok - ' <<<"$out")))
else
  echo "not ok - tsan build failed"; total_fail=$((total_fail+1))
fi
echo "=== tsan: $((SECONDS-t0)) s"
# libFuzzer targets (capture files, configurations, stored segments) over
# their seeds and a fixed number of mutations
echo "=== fuzz"; t0=$SECONDS
if make FUZZ=1 -j"$(nproc)" fuzz >/dev/null 2>&1; then
  out=$(tests/fuzz/run.sh 2>&1)
  echo "$out"
  total_pass=$((total_pass + $(grep -c '^ok - ' <<<"$out")))
  total_fail=$((total_fail + $(grep -c '^not ok - ' <<<"$out")))
else
  echo "not ok - fuzz build failed (make FUZZ=1 fuzz)"; total_fail=$((total_fail+1))
fi
echo "=== fuzz: $((SECONDS-t0)) s"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
