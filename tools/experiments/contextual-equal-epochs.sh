#!/usr/bin/env bash
# U-Net against ConTEXTual Net at equal epochs: 800 realistic studies (real backgrounds, pneumothorax rate 0.6, reports
# from the Indiana corpus), 128 px, width 16, 25 epochs each, AdamW 1e-3, the paper's first seed. Resumable.
# Usage: tools/experiments/contextual-equal-epochs.sh [OUT [SYNTH OPTION...]] (default OUT runs/contextual-equal);
# needs ../shared/data/lungs. Options after OUT go to `thorax synth` (e.g. --ptx-conspicuity 0.3 for subtle
# pneumothoraces); N (studies), SIZE (training px), WIDTH and EPOCHS override the defaults above from the environment.
# Example (the subtle-pneumothorax run in README): N=600 SIZE=96 EPOCHS=20 tools/experiments/contextual-equal-epochs.sh
#   runs/contextual-subtle --ptx-conspicuity 0.3
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-runs/contextual-equal}
shift || true
N=${N:-800}
SIZE=${SIZE:-128}
WIDTH=${WIDTH:-16}
EPOCHS=${EPOCHS:-25}
mkdir -p "$O"
[ -f "$O/data/manifest.json" ] || ./thorax synth --out "$O/data" --n "$N" --size 256 --seed 21 --ptx-rate 0.6 \
  --background ../shared/data/lungs --dicom none --no-gaze "$@"
./thorax contextual ablate --data "$O/data" --out "$O/ablate" --folds 1 --rows unet,contextual --size "$SIZE" --width "$WIDTH" \
  --batch 4 --epochs "$EPOCHS" --lr 1e-3 --threads 1 --json > "$O/ablate.json"
cat "$O/ablate/table.md"
