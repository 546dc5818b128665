#!/usr/bin/env bash
# Builds the DocC documentation of the public API (modules Aggregation and FedSim, with the
# articles "Write an aggregator" and "Metrics") into docs/api/, and fails on any DocC warning
# (a broken symbol link, say). Open docs/api/Aggregation/index.html through a local web server,
# e.g. `python3 -m http.server -d docs/api/Aggregation`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/api}
mkdir -p "$out"
for target in Aggregation FedSim; do
  log=$(mktemp)
  swift package --allow-writing-to-directory "$out" generate-documentation --target "$target" \
    --disable-indexing --transform-for-static-hosting --output-path "$out/$target" 2>&1 | tee "$log" | tail -3
  # SwiftPM's hint for the optional MPI trait's system library (Open MPI is not needed here) is
  # not a documentation warning.
  if grep "warning:" "$log" | grep -vq "you may be able to install ompi-c"; then
    grep "warning:" "$log" >&2
    exit 1
  fi
done
echo "documentation in $out/Aggregation and $out/FedSim"
