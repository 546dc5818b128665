#!/usr/bin/env bash
# The audit table of docs/privacy.md: `fedsim audit` on the shipped private scenarios (and two
# deliberately broken mechanisms), one markdown row each. Release build; about 12 minutes on 2 cores.
#   bash scripts/audit-table.sh [path/to/fedsim]
set -euo pipefail
cd "$(dirname "$0")/.."
fedsim=${1:-}
if [[ -z "$fedsim" ]]; then
  swift build -c release --product fedsim >&2
  fedsim=.build/release/fedsim
fi
short=(--set schedule.rounds=100 --set privacy.sigma_cdp=5)
row() {
  local label=$1 file=$2
  shift 2
  local json
  json=$("$fedsim" audit "$file" --json "$@" 2>/dev/null)
  python3 - "$label" "$json" <<'PY'
import json, sys
label, r = sys.argv[1], json.loads(sys.argv[2])
fault = f" — **broken: {r['fault']}**" if r["fault"] else ""
verdict = "**exceeds: caught**" if r["exceeds_accountant"] else "below"
print(f"| {label}{fault} | {r['mechanism']}, {r['level']} | {r['trials']} (+{r['calibration_trials']}) | {r['score']} | "
      f"{r['epsilon']:.3f} | {r['epsilon_lower']:.3f} | {verdict} | {r['wall_time_s']:.0f} s |")
PY
}
echo "| scenario | noise | trials per side (+ threshold) | score | accountant ε | audited ε ≥ (95%) | | wall |"
echo "|---|---|---|---|---|---|---|---|"
row "audit-gaussian (ε = 4, δ = 1e-5)" scenarios/audit-gaussian.yaml --trials 10000
row "audit-gaussian at ε = 2, δ = 1e-3" scenarios/audit-gaussian.yaml --set privacy.target_epsilon=2 --set privacy.delta=1e-3 --trials 5000
row "audit-gaussian at ε = 2, δ = 1e-3" scenarios/audit-gaussian.yaml --set privacy.target_epsilon=2 --set privacy.delta=1e-3 --trials 5000 --fault halved-noise
row "decor-synthetic, 100 rounds, σ_cdp = 5" scenarios/decor-synthetic.yaml "${short[@]}" --trials 1000
row "decor-synthetic, 100 rounds, σ_cdp = 5, worst curious" scenarios/decor-synthetic.yaml "${short[@]}" --set privacy.curious=worst --trials 1000
row "decor-synthetic as ldp (σ calibrated), 100 rounds" scenarios/decor-synthetic.yaml "${short[@]}" --set aggregator.name=ldp --trials 1000
row "decor-synthetic as cdp (σ calibrated), 100 rounds" scenarios/decor-synthetic.yaml "${short[@]}" --set aggregator.name=cdp \
  --set schedule.mode=sync --set schedule.clients_per_round=16 --trials 1000
small=(--set schedule.rounds=4 --set privacy.sigma_cdp=1 --set privacy.target_epsilon=4 --set privacy.delta=1e-2)
row "decor-synthetic, 4 rounds, σ_cdp = 1, ε = 4, δ = 1e-2" scenarios/decor-synthetic.yaml "${small[@]}" --trials 600 --calibration-trials 600
row "decor-synthetic, 4 rounds, σ_cdp = 1, ε = 4, δ = 1e-2" scenarios/decor-synthetic.yaml "${small[@]}" --trials 600 --calibration-trials 600 \
  --fault reused-keystream
row "quickstart (LoRA), cdp, 2 rounds of 8 clients, ε = 8" scenarios/quickstart.yaml --set aggregator.name=cdp \
  --set 'privacy={level: user, clip: 1.0, target_epsilon: 8, delta: 1.0e-5}' --set schedule.rounds=2 \
  --set schedule.clients_per_round=8 --trials 100 --calibration-trials 100
