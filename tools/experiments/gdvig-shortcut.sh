#!/usr/bin/env bash
# GD-ViG's shortcut claim at a scale where the plain ViG learns something: 2,000 realistic studies (real
# Montgomery/Shenzhen backgrounds, pneumothorax rate 0.5, a chest tube on the pneumothorax side in 95% of the training
# studies and a fair coin in validation and test), then the plain ViG, GD-ViG (its own generator's gaze) and GD-ViG
# directed by the true gaze (the upper bound), each 30 epochs at 96 px with widths 16,32,64,128 and blocks 1,1,1,1,
# AdamW 1e-3, batch 8; each evaluated on the test split (AUC where the tube agrees / disagrees with the label, attention
# on the tube and on the pneumothorax). Resumable: rerun and each run folder continues. On 2 cores, 1 thread per run:
# about 19, 57 and 55 min measured with the three running side by side on a loaded machine.
# Usage: tools/experiments/gdvig-shortcut.sh [OUT] (default runs/gdvig-shortcut); needs ../shared/data/lungs.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${1:-runs/gdvig-shortcut}
mkdir -p "$O"
[ -f "$O/data/manifest.json" ] || ./thorax synth --background ../shared/data/lungs --out "$O/data" --n 2000 --size 256 \
  --seed 7 --ptx-rate 0.5 --shortcut device --shortcut-rate 0.95 --dicom none --no-reports
for m in vig gdvig gdvig-gt; do
  THORAX_NUM_THREADS=1 ./thorax gdvig train --data "$O/data" --run "$O/$m" --model "$m" --channels 16,32,64,128 \
    --blocks 1,1,1,1 --size 96 --batch 8 --epochs 30 --lr 1e-3 --json > "$O/$m.json"
done
# One table: the test metrics each training wrote (RUN/eval-test/metrics.json).
/usr/bin/python3 - "$O" <<'PY'
import json, sys
keys = ["epochs_run", "best_epoch", "accuracy", "auc", "auc_cue_agrees", "auc_cue_disagrees", "gaze_cc",
        "cam_tube_share", "cam_finding_share", "graph_tube_share", "graph_finding_share"]
print("| model | " + " | ".join(keys) + " |")
print("|---" * (len(keys) + 1) + "|")
for m in ["vig", "gdvig", "gdvig-gt"]:
    d = json.load(open(f"{sys.argv[1]}/{m}/eval-test/metrics.json"))
    print(f"| {m} | " + " | ".join("" if d.get(k) is None else (f"{d[k]:.3f}" if isinstance(d[k], float) else str(d[k])) for k in keys) + " |")
d = json.load(open(f"{sys.argv[1]}/vig/eval-test/metrics.json"))
print(f"\nareas: tube {d['tube_area_share']:.4f}, pneumothorax {d['finding_area_share']:.4f}; graph chance: tube {d['graph_tube_chance']:.4f}, pneumothorax {d['graph_finding_chance']:.4f}; test studies {d['studies']}")
PY
