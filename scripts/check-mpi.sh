#!/usr/bin/env bash
# Distributed runs are the same bits as one process: each scenario below (server rounds, buffered
# asynchronous, central DP, gossip and async gossip, trust on neighbours and on the server, Decor,
# LoRA) runs once as a single process and once as 2 MPI ranks (1 worker each); metrics.jsonl,
# summary.json (wall-clock fields aside), clients.csv and trace.hash must be identical. Run by CI
# (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
fedsim=$(scripts/build-mpi.sh | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpirun_flags=(--oversubscribe)
[ "$(id -u)" -ne 0 ] || mpirun_flags+=(--allow-run-as-root)

cat >"$work/convex.yaml" <<'YAML'
name: convex-mpi
seed: 11
task: linear-regression
clients: 24
model: {init: 1.0}
data: {source: {kind: decor-quadratic, dimension: 6, zeta: 1.0}}
devices: {speed: {log_normal: {median: 5.0e+4, sigma: 1.0}}, dropout: 0.1}
network: {uplink: {latency: 0.02, bandwidth: 1.0e+5, loss: 0.1}}
schedule: {mode: sync, rounds: 12, clients_per_round: 9, deadline: 0.08, local_steps: 3, batch_size: 5, optimizer: {name: sgd}, lr: 0.05, gradient_clip: 0}
aggregator: {name: fedavg, options: {server_optimizer: adam, server_lr: 0.05}}
evaluation: {every: 2, splits: [validation]}
output: {trace: true}
YAML

same() {
  local name=$1 scenario=$2
  shift 2
  "$fedsim" run "$scenario" --workers 2 --quiet --out "$work/$name-single" "$@"
  mpirun "${mpirun_flags[@]}" -np 2 "$fedsim" run "$scenario" --workers 1 --quiet --out "$work/$name-ranks" "$@"
  local wall='s/"(wall_time_s|setup_wall_s|sgemm_gflops)": [0-9.e+-]+,?//'
  cmp "$work/$name-single/trace.hash" "$work/$name-ranks/trace.hash"
  diff <(sed -E "$wall" "$work/$name-single/metrics.jsonl") <(sed -E "$wall" "$work/$name-ranks/metrics.jsonl")
  diff <(sed -E "$wall" "$work/$name-single/summary.json") <(sed -E "$wall" "$work/$name-ranks/summary.json")
  cmp "$work/$name-single/clients.csv" "$work/$name-ranks/clients.csv"
  echo "mpi: $name — 1 process and 2 ranks agree (trace $(cat "$work/$name-ranks/trace.hash"))"
}

same convex-sync "$work/convex.yaml"
# One rank under mpirun is one process too.
mpirun "${mpirun_flags[@]}" -np 1 "$fedsim" run "$work/convex.yaml" --workers 2 --quiet --out "$work/one-rank"
cmp "$work/convex-sync-single/trace.hash" "$work/one-rank/trace.hash"
cmp "$work/convex-sync-single/clients.csv" "$work/one-rank/clients.csv"
echo "mpi: 1 rank agrees with 1 process"
same convex-buffered "$work/convex.yaml" --set schedule.mode=async --set schedule.concurrency=6 --set schedule.buffer_size=3 \
  --set schedule.deadline=null
same convex-cdp "$work/convex.yaml" --set aggregator.name=cdp --set "aggregator.options={}" \
  --set "privacy={clip: 1.0, sigma_cdp: 4, delta: 1.0e-5}"
gossip=(--set schedule.mode=gossip --set schedule.deadline=null --set topology.kind=ring)
same gossip "$work/convex.yaml" "${gossip[@]}" --set aggregator.name=gossip --set "aggregator.options={}"
same trust-gossip "$work/convex.yaml" "${gossip[@]}" --set topology.kind=complete --set aggregator.name=trust \
  --set "aggregator.options={scheme: validation, warmup_rounds: 1}"
same async-gossip "$work/convex.yaml" --set schedule.mode=async-gossip --set schedule.deadline=null \
  --set aggregator.name=gossip --set "aggregator.options={}"
same trust-server "$work/convex.yaml" --set aggregator.name=trust \
  --set "aggregator.options={placement: server, scheme: validation, warmup_rounds: 1}"
same decor "$work/convex.yaml" "${gossip[@]}" --set aggregator.name=decor --set "aggregator.options={}" \
  --set "privacy={clip: 1.0, sigma_cdp: 12, sigma_cor: 20, delta: 1.0e-5}"
same quickstart-lora scenarios/quickstart.yaml --set schedule.rounds=2

# A failing rank stops the job with its error instead of leaving the others waiting.
mkdir -p "$work/taken"
if timeout 300 mpirun "${mpirun_flags[@]}" -np 2 "$fedsim" run "$work/convex.yaml" --out "$work/taken" --quiet 2>"$work/err"; then
  echo "mpi: a run into an existing folder succeeded" >&2
  exit 1
fi
grep -q "already exists" "$work/err"
echo "mpi: a failing leader stops the job: $(grep -m1 'rank 1' "$work/err")"
