#!/usr/bin/env bash
# Installs the Debian packages FedSim builds against, if any is missing.
set -euo pipefail
"$(dirname "$0")/install-packages.sh" libopenblas-dev libssl-dev pkg-config
