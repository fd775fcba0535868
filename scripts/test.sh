#!/usr/bin/env bash
# Runs every check and test of fieldcrm on a fresh machine: formatting, clippy, the unit tests, the
# server's API tests and the end-to-end scenarios, on SQLite and on PostgreSQL; then the generated
# Kotlin bindings on the JVM against the real library and a demo server (scripts/kotlin-test.sh).
#
# PostgreSQL: if it is installed but stopped, it is started. When it is reachable the PostgreSQL
# variants of every storage and end-to-end test run (and must pass: FIELDCRM_REQUIRE_PG=1); when it
# is not, each of those tests prints "SKIPPED: PostgreSQL not reachable" and this script says so.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if command -v pg_isready >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
  if ! pg_ready; then
    say "PostgreSQL is installed but not running: starting it"
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
    done
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
fi
if command -v pg_isready >/dev/null 2>&1 && pg_ready; then
  export FIELDCRM_REQUIRE_PG=1
  say "PostgreSQL reachable at 127.0.0.1:5432: the PostgreSQL suites run and must pass"
else
  unset FIELDCRM_REQUIRE_PG
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
  printf '!!! PostgreSQL is NOT reachable at 127.0.0.1:5432: every PostgreSQL test  !!!\n'
  printf '!!! variant will be SKIPPED. Install and start PostgreSQL to run them.   !!!\n'
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

say "headless Chromium for the back office's browser test"
./scripts/ensure-browser.sh

say "cargo test (unit, API, storage conformance, end-to-end, browser)"
log=$(mktemp)
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

say "Kotlin bindings on the JVM (scripts/kotlin-test.sh)"
set +e
./scripts/kotlin-test.sh 2>&1 | tee -a "$log"
kotlin_status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ]; then status=$kotlin_status; fi
# One closing line over every test binary (cargo prints one "test result" per binary) and the
# Kotlin test (its last "N passed, N failed" line: the total over the bindings and the kit).
summary=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
               /^[0-9]+ passed, [0-9]+ failed$/ { kp = $1; kf = $3 }
               END { printf "%d passed, %d failed", p + kp, f + kf }' "$log")
rm -f "$log"
if [ "$kotlin_status" -ne 0 ]; then
  echo "!!! the Kotlin bindings test FAILED (exit $kotlin_status) !!!"
fi
if [ -z "${FIELDCRM_REQUIRE_PG:-}" ]; then
  echo "!!! PostgreSQL variants were SKIPPED (PostgreSQL not reachable) !!!"
fi
echo
echo "total: $summary"
exit "$status"
