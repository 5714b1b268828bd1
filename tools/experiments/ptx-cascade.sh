#!/usr/bin/env bash
# The pneumothorax cascade at a scale where the segmenter learns: realistic studies (real Montgomery/Shenzhen
# backgrounds), ResNet-18 ImageNet classifier and FPN 256/128 segmenter, the paper's schedules otherwise; then the
# paper's tables on the test split (also with the small-region eliminator off), and the classifier threshold on the
# validation split. Resumable: rerun and each
# run folder continues.
# Usage: tools/experiments/ptx-cascade.sh [OUT] (default runs/ptx-cascade); needs ../shared/data/lungs.
# Environment (defaults = the first README run, 1,200 studies at 128 px, about 50 min on 2 quiet cores):
#   N (studies, 1200), SIZE (training px, 128), CLS_EPOCHS (12), SEG_EPOCHS (16), SEED (synth seed, 11),
#   PARALLEL=1 trains the classifier and the segmenter side by side, one thread each (they are independent).
# The paper-scale README run: N=2400 SIZE=256 CLS_EPOCHS=8 SEG_EPOCHS=16 PARALLEL=1 tools/experiments/ptx-cascade.sh runs/ptx-2400
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-runs/ptx-cascade}
N=${N:-1200}
SIZE=${SIZE:-128}
CLS_EPOCHS=${CLS_EPOCHS:-12}
SEG_EPOCHS=${SEG_EPOCHS:-16}
SEED=${SEED:-11}
mkdir -p "$O"
[ -f "$O/data/manifest.json" ] || ./thorax synth --out "$O/data" --n "$N" --size 256 --seed "$SEED" --ptx-rate 0.3 \
  --background ../shared/data/lungs --dicom none --no-gaze
cls() { /usr/bin/time -f "%e s wall" -o "$O/cls.time" ./thorax ptx train-classifier --data "$O/data" --run "$O/cls" \
  --size "$SIZE" --epochs "$CLS_EPOCHS" --threads 1 --json > "$O/cls.json"; }
seg() { /usr/bin/time -f "%e s wall" -o "$O/seg.time" ./thorax ptx train-segmenter --data "$O/data" --run "$O/seg" \
  --size "$SIZE" --epochs "$SEG_EPOCHS" --threads 1 --json > "$O/seg.json"; }
if [ "${PARALLEL:-0}" = 1 ]; then
  ./thorax --version > /dev/null 2>&1 || true   # build once before the two processes start
  cls & c=$!; seg & s=$!
  wait $c; wait $s
else
  cls; seg
fi
./thorax ptx evaluate --data "$O/data" --classifier "$O/cls" --segmenter "$O/seg" --threads 1 --json > "$O/eval-test.json"
./thorax ptx evaluate --data "$O/data" --classifier "$O/cls" --segmenter "$O/seg" --min-area 0 --out "$O/eval-test-area0" \
  --threads 1 --json > "$O/eval-test-area0.json"   # the cascade against the segmenter alone with the eliminator off
for t in 0.5 0.3 0.15; do
  ./thorax ptx evaluate --data "$O/data" --classifier "$O/cls" --segmenter "$O/seg" --split validation \
    --classifier-threshold "$t" --out "$O/eval-val-$t" --threads 1 --json > "$O/eval-val-$t.json"
done
cat "$O/seg/eval-test/table.md"
