#!/usr/bin/env bash
# The pneumothorax cascade at a scale where the segmenter learns: 1,200 realistic studies (real Montgomery/Shenzhen
# backgrounds), ResNet-18 ImageNet classifier 12 epochs and FPN 256/128 segmenter 16 epochs at 128 px, the paper's
# schedules otherwise; then the paper's tables on the test split, and the classifier threshold on the validation split.
# Resumable: rerun and each run folder continues. About 50 min of training on 2 quiet cores (1 thread).
# Usage: tools/experiments/ptx-cascade.sh [OUT] (default runs/ptx-cascade); needs ../shared/data/lungs.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-runs/ptx-cascade}
mkdir -p "$O"
[ -f "$O/data/manifest.json" ] || ./thorax synth --out "$O/data" --n 1200 --size 256 --seed 11 --ptx-rate 0.3 \
  --background ../shared/data/lungs --dicom none --no-gaze
./thorax ptx train-classifier --data "$O/data" --run "$O/cls" --size 128 --epochs 12 --threads 1 --json > "$O/cls.json"
./thorax ptx train-segmenter --data "$O/data" --run "$O/seg" --size 128 --epochs 16 --threads 1 --json > "$O/seg.json"
./thorax ptx evaluate --data "$O/data" --classifier "$O/cls" --segmenter "$O/seg" --threads 1 --json > "$O/eval-test.json"
for t in 0.5 0.3 0.15; do
  ./thorax ptx evaluate --data "$O/data" --classifier "$O/cls" --segmenter "$O/seg" --split validation \
    --classifier-threshold "$t" --out "$O/eval-val-$t" --threads 1 --json > "$O/eval-val-$t.json"
done
cat "$O/seg/eval-test/table.md"
