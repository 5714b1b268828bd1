#!/usr/bin/env bash
# U-Net against ConTEXTual Net at equal epochs: 800 realistic studies (real backgrounds, pneumothorax rate 0.6, reports
# from the Indiana corpus), 128 px, width 16, 25 epochs each, AdamW 1e-3, the paper's first seed. Resumable.
# Usage: tools/experiments/contextual-equal-epochs.sh [OUT] (default runs/contextual-equal); needs ../shared/data/lungs.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-runs/contextual-equal}
mkdir -p "$O"
[ -f "$O/data/manifest.json" ] || ./thorax synth --out "$O/data" --n 800 --size 256 --seed 21 --ptx-rate 0.6 \
  --background ../shared/data/lungs --dicom none --no-gaze
./thorax contextual ablate --data "$O/data" --out "$O/ablate" --folds 1 --rows unet,contextual --size 128 --width 16 \
  --batch 4 --epochs 25 --lr 1e-3 --threads 1 --json > "$O/ablate.json"
cat "$O/ablate/table.md"
