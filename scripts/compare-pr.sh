#!/usr/bin/env bash
# Compare a pull request's benchmark results with the base branch's results file:
# record the results into a copy of the base file, then `zebench compare`. Used by
# .github/workflows/compare.yml (see docs/compare-in-ci.md); runs the same locally.
#
#   scripts/compare-pr.sh BASE_DB RESULTS_DIR [BASE_SPEC CANDIDATE_SPEC]
#
# BASE_DB          the base branch's results file (left unchanged)
# RESULTS_DIR      the harness's run payloads: *.jsonl and *.json files, recorded in name order
# BASE_SPEC        what to compare against (default: previous, the comparable batch
#                  before the newest); CANDIDATE_SPEC (default: latest, the PR's batch)
# $COMPARE_MARKDOWN  where the markdown goes (default: compare.md); it starts with the
#                  marker <!-- zebench-compare --> that finds the PR comment again
# $COMPARE_DB      keep the PR's results file there (default: a temporary copy)
# $COMPARE_ARGS    more options for zebench compare, e.g. "--tolerance 10"
# $GITHUB_STEP_SUMMARY  when set, the markdown is appended to it too
# $ZEBENCH         the command to run (default: zebench)
#
# Exit status: that of zebench compare: 0 the gate passes, 3 it fails (a regression),
# 1 an error, 2 a usage error.
set -euo pipefail

if [ $# -ne 2 ] && [ $# -ne 4 ]; then
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
base_db=$1
results=$2
base_spec=${3:-previous}
candidate_spec=${4:-latest}
markdown=${COMPARE_MARKDOWN:-compare.md}
read -r -a zebench <<<"${ZEBENCH:-zebench}"
read -r -a extra <<<"${COMPARE_ARGS:-}"

if [ ! -f "$base_db" ]; then
  echo "Error: no base results file at $base_db" >&2
  exit 1
fi
shopt -s nullglob
files=("$results"/*.jsonl "$results"/*.json)
if [ ${#files[@]} -eq 0 ]; then
  echo "Error: no *.jsonl or *.json results in $results: did the harness step write them?" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pr_db=${COMPARE_DB:-$work/pr.db}
rm -f "$pr_db" "$pr_db-wal" "$pr_db-shm"
cp "$base_db" "$pr_db"
if [ -f "$base_db-wal" ]; then # changes not yet checkpointed into the file itself
  cp "$base_db-wal" "$pr_db-wal"
fi

"${zebench[@]}" record --db "$pr_db" "${files[@]}"

status=0
"${zebench[@]}" compare --db "$pr_db" --format markdown "${extra[@]}" \
  "$base_spec" "$candidate_spec" >"$work/compare.md" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
  exit "$status"
fi
cp "$work/compare.md" "$markdown"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$markdown" >>"$GITHUB_STEP_SUMMARY"
fi
grep -m 1 '^### ' "$markdown" || true # the verdict, in the log
exit "$status"
