#!/usr/bin/env bash
# Runs the unit test binaries and the end-to-end scripts of build dir $B and
# prints one closing line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export B DS="$PWD/$B/darkscope" ROOT="$PWD"
# Sanitizer reports must not look like darkscope's own exit status 1; and
# each goes to a file of its own, so that one from a command whose status a
# test does not check (setting up its data, say) still fails the test.
SANLOG=$(mktemp -d "${TMPDIR:-/tmp}/ds-sanlog.XXXXXX")
trap 'rm -rf "$SANLOG"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1:abort_on_error=0}:log_path=$SANLOG/asan
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=87:print_stacktrace=1:halt_on_error=1}:log_path=$SANLOG/ubsan
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
pass=0; fail=0; skip=0
sanitized() { # NAME: any sanitizer report written since the last call fails NAME
  local f
  for f in "$SANLOG"/*; do
    [ -e "$f" ] || return 0
    echo "not ok - $1: sanitizer report ($(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z-]*' "$f" || head -1 "$f"))"
    sed 's/^/#   /' "$f" | head -40
    fail=$((fail+1))
    rm -f "$f"
  done
}
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
  t0=$SECONDS
  count < <("$t" 2>&1; echo "exit $?")
  sanitized "$(basename "$t")"
  echo "# unit: $(basename "$t"): $((SECONDS-t0)) s"
done
# E2E=0: the unit tests only (scripts/test.sh: a build whose end-to-end run
# another build of the same compiler covers)
for t in tests/e2e/*.sh; do
  [ "$(basename "$t")" = lib.sh ] && continue
  [ "${E2E:-1}" = 0 ] && { echo "# e2e: not run for this build (E2E=0)"; break; }
  echo "# e2e: $(basename "$t")"
  t0=$SECONDS
  count < <(timeout 900 bash "$t" 2>&1 || echo "not ok - $(basename "$t") exited with status $?")
  sanitized "$(basename "$t")"
  echo "# e2e: $(basename "$t"): $((SECONDS-t0)) s"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
