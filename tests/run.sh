#!/usr/bin/env bash
# Runs the unit test binaries and the end-to-end scripts of build dir $B and
# prints one closing line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export B DS="$PWD/$B/darkscope" ROOT="$PWD"
# sanitizer reports must not look like darkscope's own exit status 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=87:print_stacktrace=1:halt_on_error=1}
pass=0; fail=0; skip=0
count() { # reads test output lines
  while IFS= read -r line; do
    case "$line" in
      [0-9]*" passed, "*) continue;;       # a binary's own summary
      "exit 0") continue;;
      "exit "*) line="not ok - test binary $line";;
    esac
    echo "$line"
    case "$line" in
      "ok - "*) pass=$((pass+1));;
      "not ok - "*) fail=$((fail+1));;
      "skip - "*) skip=$((skip+1));;
    esac
  done
}
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  echo "# unit: $(basename "$t")"
  count < <("$t" 2>&1; echo "exit $?")
done
for t in tests/e2e/*.sh; do
  [ "$(basename "$t")" = lib.sh ] && continue
  echo "# e2e: $(basename "$t")"
  count < <(timeout 900 bash "$t" 2>&1 || echo "not ok - $(basename "$t") exited with status $?")
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
