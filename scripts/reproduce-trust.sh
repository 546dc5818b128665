#!/usr/bin/env bash
# Trust-weighted aggregation vs FedAvg vs local training on scenarios/trust-domains.yaml,
# 3 seeds each (about 8 minutes on 2 cores). Tables land in runs/trust-domains-repro/*/table.md:
# the final mean test loss and perplexity (the split nobody chose weights on) beside validation.
# FEDSIM=path/to/fedsim uses an existing binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FEDSIM:-}" ]; then swift build -c release --product fedsim >/dev/null; fi
fedsim=${FEDSIM:-.build/release/fedsim}
out=runs/trust-domains-repro
seeds=${SEEDS:-3}
rm -rf "$out"
$fedsim sweep scenarios/trust-domains.yaml --quiet --seeds "$seeds" --out "$out/trust" \
  --grid aggregator.options.scheme=prediction,validation,weights,uniform
$fedsim sweep scenarios/trust-domains.yaml --quiet --seeds "$seeds" --out "$out/local" \
  --grid aggregator.name=local --set 'aggregator.options={}'
$fedsim sweep scenarios/trust-domains.yaml --quiet --seeds "$seeds" --out "$out/fedavg" \
  --grid aggregator.name=fedavg --set 'aggregator.options={}' --set schedule.mode=sync --set schedule.clients_per_round=8
# The same trust computed by a server that sends every client its own model (one upload and one
# download per client and round instead of messages to all 7 peers).
$fedsim sweep scenarios/trust-domains.yaml --quiet --seeds "$seeds" --out "$out/server" \
  --grid aggregator.options.scheme=prediction,validation --set aggregator.options.placement=server \
  --set schedule.mode=sync --set schedule.clients_per_round=8
