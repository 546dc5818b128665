#!/usr/bin/env bash
# Decor vs LDP vs CDP at ε = 10 on the paper's synthetic task (scenarios/decor-synthetic.yaml),
# n = 16 on a ring, a 4×4 torus and the complete graph, 3 seeds each (about 2 minutes on 2 cores).
# Decor's σ_cdp is swept (its σ_cor is calibrated for each); the tables land in
# runs/decor-repro/*/table.md. FEDSIM=path/to/fedsim uses an existing binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FEDSIM:-}" ]; then swift build -c release --product fedsim >/dev/null; fi
fedsim=${FEDSIM:-.build/release/fedsim}
out=runs/decor-repro
seeds=${SEEDS:-3}
rm -rf "$out"
$fedsim sweep scenarios/decor-synthetic.yaml --quiet --seeds "$seeds" --out "$out/decor" \
  --grid topology.kind=ring,torus,complete --grid privacy.sigma_cdp=18,20,25,30,40
$fedsim sweep scenarios/decor-synthetic.yaml --quiet --seeds "$seeds" --out "$out/ldp" \
  --grid topology.kind=ring,torus,complete --set aggregator.name=ldp
$fedsim sweep scenarios/decor-synthetic.yaml --quiet --seeds "$seeds" --out "$out/cdp" \
  --grid aggregator.name=cdp --set schedule.mode=sync --set schedule.clients_per_round=16
