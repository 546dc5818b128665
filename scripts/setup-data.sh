#!/usr/bin/env bash
# Installs the Debian packages that shipped scenarios read text from, if any is missing: the
# fortune files of scenarios/comigs-languages.yaml (English, German, Italian, Spanish).
set -euo pipefail
"$(dirname "$0")/install-packages.sh" fortunes fortunes-de fortunes-it fortunes-es
