"""Golden for Thorax's saliency data preparation (SaliencyGeometry.GazeTarget / PrepareImage): the reference's
get_gaze_dot + get_gaze_heatmap + process (CXRGazeLearn Data/hzhu_data_raw.py, seed-specs 2.4) re-run with numpy,
OpenCV and torch on a 70x90 (W x H) image in a 128 x 96 canvas at stride 2 (the kernel Thorax derives for that canvas:
21 taps). Run with /usr/bin/python3 (numpy, cv2, torch, scipy);
writes tests/data/golden/saliency/gaze_target.json."""
import json, os
import numpy as np, cv2, torch
import torch.nn.functional as F
from scipy.sparse import coo_matrix

W, H = 70, 90            # image width, height
CH, CW, D = 128, 96, 2   # canvas (new SaliencyGeometry(128, 96, 2)), stride
K = 2 * round(250 * CH / 3200) + 1   # 21: the reference's 501 taps scaled with the canvas height

rng = np.random.RandomState(4)
xs = np.concatenate([rng.uniform(-5, W + 5, 60), [10.7, 10.2, 65.0]])
ys = np.concatenate([rng.uniform(-5, H + 5, 60), [20.9, 20.1, 3.0]])
img = rng.uniform(0, 1, (H, W)).astype(np.float32)

# get_gaze_dot: int32 casts, keep inside points, count per pixel (int8 cast harmless here: counts < 127).
X = xs.astype(np.int32); Y = ys.astype(np.int32)
J = (X >= 0) & (X < W) & (Y >= 0) & (Y < H)
r = coo_matrix((np.ones(J.sum()), (Y[J], X[J])), shape=(H, W)).toarray().astype(np.int8).astype(np.float32)
r = cv2.GaussianBlur(r, (K, K), 0, 0)
r = r / np.max(r)
# process: central pad, stride slice, min-max (gaze) / divide by max (cxr).
gaze = torch.tensor(r); cxr = torch.tensor(img)
pl = int((CW - W) / 2); pr = CW - W - pl; pt = int((CH - H) / 2); pb = CH - H - pt
gaze = F.pad(gaze, (pl, pr, pt, pb))[0:CH + 1:D, 0:CW + 1:D]
gaze -= gaze.min(); gaze /= gaze.max()
cxr = F.pad(cxr, (pl, pr, pt, pb))[0:CH + 1:D, 0:CW + 1:D]
cxr /= cxr.max()

out = {
    "width": W, "height": H, "canvas_height": CH, "canvas_width": CW, "stride": D, "kernel": K,
    "x": xs.tolist(), "y": ys.tolist(), "inside": int(J.sum()),
    "image": img.ravel().tolist(),
    "gaze": gaze.numpy().ravel().astype(float).tolist(), "cxr": cxr.numpy().ravel().astype(float).tolist(),
    "shape": list(gaze.shape),
}
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "..", "tests", "data", "golden", "saliency", "gaze_target.json")
with open(path, "w") as f:
    json.dump(out, f)
print(path, gaze.shape, K, int(J.sum()))
