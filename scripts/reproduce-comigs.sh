#!/usr/bin/env bash
# CoMiGS vs its baselines on scenarios/comigs-markov.yaml and scenarios/comigs-languages.yaml,
# in-distribution and out-of-distribution targets, 3 seeds each (about 10 minutes on 2 cores):
# local, fedavg (all LoRA averaged), trust (validation, all-to-all), CoMiGS 1G1S, 2G, 2S and the
# pFedMoE-style variant (router trained jointly on training data). Every table lands in
# runs/comigs-repro/<dataset>/<method>/table.md (mean ± std over seeds of the test perplexity —
# the mean of the clients' perplexities —, the routing statistics and, on Markov data, the gap of
# the test loss to the domains' entropy-rate floor), and all of them are
# gathered in runs/comigs-repro/summary.md. FEDSIM=path/to/fedsim uses an existing binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-data.sh
if [ -z "${FEDSIM:-}" ]; then swift build -c release --product fedsim >/dev/null; fi
fedsim=${FEDSIM:-.build/release/fedsim}
out=runs/comigs-repro
seeds=${SEEDS:-3}
rm -rf "$out"
plain=(--set model.mixture=null)
declare -A methods=(
  [local]="--set aggregator.name=local ${plain[*]}"
  [fedavg]="--set aggregator.name=fedavg ${plain[*]}"
  [trust]="--set aggregator.name=trust --set aggregator.options.scheme=validation --set schedule.mode=gossip --set topology.kind=complete ${plain[*]}"
  [comigs-1G1S]=""
  [comigs-2G]="--set model.mixture.generalists=2"
  [comigs-2S]="--set model.mixture.generalists=0"
  [pfedmoe]="--set schedule.router.data=train"
)
metrics=(--metric final_mean_test_perplexity --metric final_mean_test_loss --metric final_generalist_share_first_layer
  --metric final_generalist_share_last_layer --metric wall_time_s)
plain_metrics=(--metric final_mean_test_perplexity --metric final_mean_test_loss --metric wall_time_s)
summary="$out/summary.md"
mkdir -p "$out"
for dataset in markov languages; do
  for method in local fedavg trust comigs-1G1S comigs-2G comigs-2S pfedmoe; do
    eval "extra=(${methods[$method]})"
    metric=("${metrics[@]}")
    [[ $method == comigs* || $method == pfedmoe ]] || metric=("${plain_metrics[@]}")
    # Markov domains have exact entropy rates: the gap of the test loss to their floor.
    [[ $dataset == markov ]] && metric+=(--metric test_loss_floor --metric final_test_loss_gap)
    $fedsim sweep "scenarios/comigs-$dataset.yaml" --quiet --seeds "$seeds" --out "$out/$dataset/$method" \
      --grid data.target=in-distribution,out-of-distribution "${metric[@]}" "${extra[@]}" >/dev/null
    { echo "## $dataset — $method"; echo; cat "$out/$dataset/$method/table.md"; echo; } >>"$summary"
  done
done
cat "$summary"
