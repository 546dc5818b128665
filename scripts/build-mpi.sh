#!/usr/bin/env bash
# Builds the MPI-enabled fedsim (package trait MPI) after installing Open MPI when missing.
# The binary's path is the last line printed. Run a scenario on N ranks with:
#   mpirun -np N "$(scripts/build-mpi.sh | tail -1)" run scenario.yaml
# (as root add --allow-run-as-root; with more ranks than cores add --oversubscribe).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
scripts/install-packages.sh libopenmpi-dev openmpi-bin >&2
# Its own build folder: the default build (.build) stays without MPI.
swift build -c release --traits MPI --product fedsim --scratch-path .build-mpi >&2
echo "$(pwd)/.build-mpi/release/fedsim"
