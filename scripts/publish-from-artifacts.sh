#!/usr/bin/env bash
# Merge the results files that CI jobs uploaded into the previous results file,
# then build the site from it. Used by .github/workflows/site-release-asset.yml
# (see docs/publishing.md); runs the same on a laptop.
#
#   scripts/publish-from-artifacts.sh PREVIOUS_DB ARTIFACTS_DIR [DB] [OUT]
#
# PREVIOUS_DB    the last published results file; may be missing (a first run)
# ARTIFACTS_DIR  searched for *.db files, each merged in (may be missing or empty)
# DB             the results file to write (default data/benchmarks.db)
# OUT            the site folder (default site)
# $ZEBENCH       the command to run (default: zebench)
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 4 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
previous=$1
artifacts=$2
db=${3:-data/benchmarks.db}
out=${4:-site}
read -r -a zebench <<<"${ZEBENCH:-zebench}"

mkdir -p "$(dirname "$db")"
if [ -f "$previous" ]; then
  if [ ! "$previous" -ef "$db" ]; then
    cp "$previous" "$db"
  fi
  echo "starting from $previous"
else
  echo "no previous results file at $previous: starting a new one"
  rm -f "$db"
  "${zebench[@]}" init --db "$db"
fi

sources=()
if [ -d "$artifacts" ]; then
  while IFS= read -r -d '' file; do
    sources+=("$file")
  done < <(find "$artifacts" -type f -name '*.db' -print0 | sort -z)
fi
if [ ${#sources[@]} -eq 0 ]; then
  echo "no results files under $artifacts: nothing to merge"
else
  "${zebench[@]}" merge --db "$db" "${sources[@]}"
fi

"${zebench[@]}" build --db "$db" --out "$out"
