#!/usr/bin/env bash
# Sets up what is missing, builds FedSim in release mode and runs the quickstart scenario end to
# end: 8 simulated clients fine-tune LoRA adapters of a nano model on synthetic Markov text, once
# with FedAvg and once training alone (local), then writes the comparison's report. Embedded
# defaults, no downloads. The output folder is the first argument, or runs/quickstart-<date-time>.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product fedsim
out=${1:-runs/quickstart-$(date +%Y%m%d-%H%M%S)}
.build/release/fedsim sweep scenarios/quickstart.yaml --grid aggregator.name=fedavg,local --out "$out"
echo "runs: $out/aggregator.name=*-seed0/ (metrics.jsonl, summary.json, clients.csv, trace.hash)"
echo "report: $out/report/report.html (open it in a browser; tables in $out/table.md)"
