"""Golden for SaliencyTrainer.TripletLoss: the reference's stage-1 loop (CL/hzhu_learn.py train_iterate: every anchor i,
positive j != i of its label, negative k of another label; nn.TripletMarginLoss(margin=1.0, p=2) on a[i:i+1], p[j:j+1],
n[k:k+1]; summed) run with torch 1.13 on 4-D maps (the reference) and on flattened maps. Run with /usr/bin/python3;
writes tests/data/golden/saliency/triplet.json."""
import json, os
import torch

torch.manual_seed(11)
f = torch.randn(6, 3, 2, 5, dtype=torch.float64)
labels = torch.tensor([0, 1, 0, 2, 1, 0])
loss_fn = torch.nn.TripletMarginLoss(margin=1.0, p=2)

def total(feat):
    s = 0.0
    for i in range(feat.size(0)):
        pos = ((labels == labels[i]) & (torch.arange(feat.size(0)) != i)).nonzero(as_tuple=True)[0]
        neg = (labels != labels[i]).nonzero(as_tuple=True)[0]
        for j in pos:
            for k in neg:
                s += loss_fn(feat[i:i + 1], feat[j:j + 1], feat[k:k + 1]).item()
    return s

out = {"features": f.ravel().tolist(), "shape": list(f.shape), "labels": labels.tolist(),
       "reference4d": total(f), "flattened": total(f.flatten(1))}
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "..", "tests", "data", "golden", "saliency", "triplet.json")
with open(path, "w") as fh:
    json.dump(out, fh)
print(out["reference4d"], out["flattened"])
