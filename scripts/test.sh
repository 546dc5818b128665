#!/usr/bin/env bash
# Sets up what is missing and runs the test suite (the command CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test -c release
