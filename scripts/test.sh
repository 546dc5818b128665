#!/usr/bin/env bash
# Sets up what is missing and runs the test suite (the command CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-data.sh  # the fortune files of scenarios/comigs-languages.yaml
scripts/install-packages.sh python3  # checks of the examples' results below
# The examples build against the library as an outside package would; the custom-aggregator
# example runs its scenario end to end.
for example in Examples/*/; do
  echo "building example ${example}"
  swift build --package-path "$example"
done
# The library example fine-tunes LoRA on a text and saves a PEFT adapter: the loss must fall.
finetune_out=$(mktemp -d)
"Examples/LibraryFineTune/.build/debug/LibraryFineTune" /usr/share/common-licenses/GPL-3 "$finetune_out/adapter" | tee "$finetune_out/log"
python3 - "$finetune_out" <<'PY'
import re, sys, os
before, after = map(float, re.search(r"validation loss ([0-9.]+) -> ([0-9.]+)", open(sys.argv[1] + "/log").read()).groups())
assert after < before, (before, after)
assert os.path.exists(sys.argv[1] + "/adapter/adapter_config.json"), os.listdir(sys.argv[1] + "/adapter")
PY
rm -rf "$finetune_out"
# The example's aggregators as plain values (its unit tests, no simulation).
swift test --package-path Examples/MedianAggregator
# The custom aggregator through the user's one-line CLI: validate, then a sweep against fedavg.
median_out=$(mktemp -d)
swift run --package-path Examples/MedianAggregator MedianAggregator validate Examples/MedianAggregator/median.yaml
swift run --package-path Examples/MedianAggregator MedianAggregator sweep Examples/MedianAggregator/median.yaml \
  --grid aggregator.name=median,fedavg --seeds 2 --out "$median_out/sweep" --quiet
test -f "$median_out/sweep/report/report.html"
# Robust rules against adversarial clients: fedavg must be far worse than Krum under attack.
"Examples/MedianAggregator/.build/debug/MedianAggregator" sweep Examples/MedianAggregator/robust.yaml \
  --grid 'aggregator={name: fedavg},{name: krum, options: {f: 4}}' --out "$median_out/robust" --quiet >/dev/null
python3 - "$median_out/robust" <<'PY'
import json, sys
fedavg = json.load(open(sys.argv[1] + "/aggregator=fedavg-seed0/summary.json"))["final_mean_sq_distance"]
krum = json.load(open(sys.argv[1] + "/aggregator=krum_f=4-seed0/summary.json"))["final_mean_sq_distance"]
assert krum < 0.01 and fedavg > 1000 * krum, (fedavg, krum)
print(f"robust: fedavg {fedavg:.3g}, krum {krum:.3g} under attack")
PY
# ClippedGossip with a clip that never bites is the built-in gossip, bit for bit.
example=Examples/MedianAggregator/.build/debug/MedianAggregator
"$example" run Examples/MedianAggregator/clipped-gossip.yaml --set "aggregator.options={tau: 1e12}" --out "$median_out/clipped" --quiet
"$example" run Examples/MedianAggregator/clipped-gossip.yaml --set aggregator.name=gossip --set "aggregator.options={}" \
  --out "$median_out/gossip" --quiet
cmp "$median_out/clipped/trace.hash" "$median_out/gossip/trace.hash"
diff <(sed 's/"wall_time_s": [0-9.e+-]*//' "$median_out/clipped/metrics.jsonl") \
  <(sed 's/"wall_time_s": [0-9.e+-]*//' "$median_out/gossip/metrics.jsonl")
rm -rf "$median_out"
# The API documentation builds without a DocC warning (symbol links in the articles resolve).
docs_out=$(mktemp -d)
scripts/docs.sh "$docs_out"
rm -rf "$docs_out"
# fedsim report in a real browser: headless Chromium renders the quickstart and a Decor sweep.
scripts/check-report.sh
# The test suite last, so its summary closes the output.
swift test -c release
