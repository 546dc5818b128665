#!/usr/bin/env bash
# Sets up what is missing, builds FedSim in release mode and runs the quickstart end to end:
# pretrain a nano base model on one text, fine-tune a LoRA adapter on another, evaluate both.
# Uses only texts every Debian system ships (/usr/share/common-licenses); no downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product fedsim
fedsim=.build/release/fedsim
out=${1:-runs/quickstart}
texts=/usr/share/common-licenses
$fedsim pretrain --corpus "$texts/GPL-3" --config nano --steps 300 --lr 3e-3 --out "$out/base"
$fedsim finetune --model "$out/base" --text "$texts/Apache-2.0" --steps 100 --lr 3e-3 --out "$out/adapter"
echo "held-out text (MPL-2.0), base model:"
$fedsim eval --model "$out/base" --text "$texts/MPL-2.0"
echo "fine-tuning text (Apache-2.0), base model, then base + adapter:"
$fedsim eval --model "$out/base" --text "$texts/Apache-2.0"
$fedsim eval --model "$out/base" --adapter "$out/adapter" --text "$texts/Apache-2.0"
