#!/usr/bin/env bash
# Sets up what is missing and runs the test suite (the command CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-data.sh  # the fortune files of scenarios/comigs-languages.yaml
# The examples build against the library as an outside package would; the custom-aggregator
# example runs its scenario end to end.
for example in Examples/*/; do
  echo "building example ${example}"
  swift build --package-path "$example"
done
swift run --package-path Examples/MedianAggregator MedianAggregator
# fedsim report in a real browser: headless Chromium renders the quickstart and a Decor sweep.
scripts/check-report.sh
# The test suite last, so its summary closes the output.
swift test -c release
