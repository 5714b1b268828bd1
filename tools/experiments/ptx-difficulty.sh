#!/usr/bin/env bash
# Difficulty of the realistic pneumothorax studies (issue: "a ResNet-18 classifier trained on 400 studies reaches a
# test AUC between 0.80 and 0.97, and the small/apical cases are the hard ones"), measured on three draws.
# Per draw: 400 studies on the real pairs of ../shared/data/lungs, the `classify` defaults (ImageNet ResNet-18, 224 px,
# 8 epochs), AUC on the draw's own test split; then an extended test set from the same test backgrounds only (each
# background drawn again about ten times with new findings, so the classifier has never seen any of its backgrounds),
# which gives 80-190 positives per size and per location instead of 4-44, and AUC per location x size.
# Usage: tools/experiments/ptx-difficulty.sh [OUT] (default runs/difficulty); resumable (finished steps are kept).
# Environment: SEEDS (default "1 2 3"), EXT (extended studies per draw, default 810). The three classifiers train side
# by side with one thread each (about 11 minutes on 2 quiet cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-runs/difficulty}
SEEDS=${SEEDS:-"1 2 3"}
EXT=${EXT:-810}
LUNGS=$(cd ../shared/data/lungs && pwd)
mkdir -p "$O"
./thorax --version > /dev/null 2>&1 || true   # build once before the processes start
for s in $SEEDS; do
  [ -f "$O/data-s$s/manifest.json" ] || ./thorax synth --background "$LUNGS" --out "$O/data-s$s" --n 400 --size 256 \
    --seed "$s" --ptx-rate 0.5 --dicom none > /dev/null
done
train() {
  THORAX_NUM_THREADS=1 ./thorax classify train --data "$O/data-s$1" --run "$O/cls-s$1" --threads 1 --json \
    > "$O/cls-s$1.json.tmp" 2> "$O/cls-s$1.log"
  mv "$O/cls-s$1.json.tmp" "$O/cls-s$1.json"
}
pids=()
for s in $SEEDS; do
  if [ ! -f "$O/cls-s$s.json" ]; then train "$s" & pids+=($!); fi
done
for p in "${pids[@]}"; do wait "$p"; done
for s in $SEEDS; do
  # The draw's test backgrounds as a background folder (pairs.csv with absolute paths).
  bg="$O/test-backgrounds-s$s"
  mkdir -p "$bg"
  /usr/bin/python3 - "$O/data-s$s/studies.csv" "$LUNGS" "$bg/pairs.csv" <<'PY'
import csv, sys
studies, lungs, out = sys.argv[1:]
names = sorted({r["background"] for r in csv.DictReader(open(studies, newline="")) if r["split"] == "test"})
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["image", "mask"])
    for n in names:
        w.writerow([f"{lungs}/images/{n}", f"{lungs}/masks/{n}"])
PY
  [ -f "$O/ext-s$s/manifest.json" ] || ./thorax synth --background "$bg" --report-corpus ../shared/data/reports \
    --out "$O/ext-s$s" --n "$EXT" --size 256 --seed $((100 + s)) --ptx-rate 0.5 --dicom none --train 0 --val 0 --no-gaze > /dev/null
  ./thorax classify eval --run "$O/cls-s$s" --data "$O/ext-s$s" --split test --out "$O/ext-eval-s$s" --json > "$O/ext-eval-s$s.json"
done
/usr/bin/python3 - "$O" $SEEDS <<'PY'
import bisect, csv, json, sys
out, seeds = sys.argv[1], sys.argv[2:]
def auc(neg, pos):  # Mann-Whitney, ties count half
    neg = sorted(neg)
    return sum(bisect.bisect_left(neg, p) + 0.5 * (bisect.bisect_right(neg, p) - bisect.bisect_left(neg, p)) for p in pos) / len(neg) / len(pos)
print("| seed | own test AUC | extended test AUC (studies, positives) | small / moderate / large | apical / lateral / basal |")
print("|---|---:|---|---|---|")
cross = []
for s in seeds:
    own = json.load(open(f"{out}/cls-s{s}.json")); ext = json.load(open(f"{out}/ext-eval-s{s}.json"))
    sz = " / ".join("%.3f" % ext["auc_by_ptx_size"][k]["auc"] for k in ("small", "moderate", "large"))
    lo = " / ".join("%.3f" % ext["auc_by_ptx_location"][k]["auc"] for k in ("apical", "lateral", "basal"))
    print(f"| {s} | {own['auc']:.3f} | {ext['auc']:.3f} ({ext['studies']}, {ext['positives']}) | {sz} | {lo} |")
    st = {r["id"]: r for r in csv.DictReader(open(f"{out}/ext-s{s}/studies.csv"))}
    pr = [(st[r["id"]], float(r["probability"])) for r in csv.DictReader(open(f"{out}/ext-eval-s{s}/predictions.csv"))]
    neg = [p for r, p in pr if r["pneumothorax"] == "0"]
    cells = []
    for loc in ("apical", "lateral", "basal"):
        for size in ("small", "moderate", "large"):
            pos = [p for r, p in pr if r["ptx_location"] == loc and r["ptx_size"] == size]
            cells.append("%.3f (%d)" % (auc(neg, pos), len(pos)) if pos else "-")
    cross.append((s, cells))
print()
print("| seed | apical S / M / L | lateral S / M / L | basal S / M / L |")
print("|---|---|---|---|")
for s, c in cross:
    print(f"| {s} | {' / '.join(c[0:3])} | {' / '.join(c[3:6])} | {' / '.join(c[6:9])} |")
PY
