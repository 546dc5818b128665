#!/usr/bin/env bash
# Sets up what is missing, builds FedSim in release mode and runs the quickstart scenario end to
# end: 8 simulated clients fine-tune LoRA adapters of a nano model on synthetic Markov text and
# FedAvg them. Embedded defaults, no downloads. The run directory is the first argument, or
# runs/quickstart-<date-time>.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product fedsim
out=${1:-runs/quickstart-$(date +%Y%m%d-%H%M%S)}
.build/release/fedsim run scenarios/quickstart.yaml --out "$out"
echo "run directory: $out (metrics.jsonl, summary.json, clients.csv, trace.hash)"
