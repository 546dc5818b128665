#!/usr/bin/env bash
# Sets up what is missing and runs the test suite (the command CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test -c release
# The examples build against the library as an outside package would.
for example in Examples/*/; do
  echo "building example ${example}"
  swift build --package-path "$example"
done
# The custom-aggregator example runs its scenario end to end.
swift run --package-path Examples/MedianAggregator MedianAggregator
