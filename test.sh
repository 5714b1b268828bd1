#!/usr/bin/env bash
# Runs every Thorax test project after installing/building what is missing. Ends with one line
# "N passed, N failed, N skipped" (all projects summed) and exits non-zero on any failure.
# Usage: ./test.sh [TestProjectNameFilter]   e.g. ./test.sh Torch
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/bootstrap.sh
source "$ROOT/scripts/bootstrap.sh"
thorax_bootstrap || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
set +e # bootstrap.sh runs with -e; a failing test project must not stop the run before the summary
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

RESULTS="$ROOT/.thorax/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
filter="${1:-}"
status=0
aborted=0
for proj in "$ROOT"/tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$proj" .csproj)"
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  echo "=== $name"
  dotnet test "$proj" -c Release --no-build --nologo -v q --results-directory "$RESULTS/$name" \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" > "$RESULTS/$name.log" 2>&1
  rc=$?
  grep -vE "^\s*$|Results File|^Test run for|^VSTest version|^Starting test execution|^A total of" "$RESULTS/$name.log"
  [ $rc -eq 0 ] || status=1
  if [ ! -f "$RESULTS/$name/$name.trx" ]; then
    echo "no results from $name (did the test host crash?)"
    status=1
  fi
  # A crashed test host still leaves a .trx of the tests that finished: count the crash as a failure.
  if grep -qE "Test Run Aborted|Test host process crashed" "$RESULTS/$name.log"; then
    echo "$name: the test host crashed (counted as 1 failure; run 'dotnet test ... --blame' to find the test)"
    aborted=$((aborted + 1))
    status=1
  fi
done

passed=0; failed=0; skipped=0
for trx in "$RESULTS"/*/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  p=$(get passed); f=$(get failed); t=$(get total); e=$(get executed); err=$(get error)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${err:-0}))
  skipped=$((skipped + ${t:-0} - ${e:-0}))
done
failed=$((failed + aborted))
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
