#!/usr/bin/python3
"""Golden values for Thorax.Metrics.

Run with Debian's interpreter from the repository root:

    /usr/bin/python3 tools/golden/metrics/make_metrics_golden.py

Writes compact JSON files into tests/data/golden/metrics/. Every input is generated here from a fixed numpy
seed and stored next to the expected values, so the C# tests never run Python.

Oracles: sklearn.metrics (classification, ranking), scipy.stats / scipy.special (t-test, Student t, incomplete
beta, normal tail), numpy (percentiles). Saliency metrics (MIT saliency benchmark definitions) and the fast
DeLong test have no library implementation here, so small numpy versions written from the published
definitions live in this script.
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.special
import scipy.stats
import sklearn
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "data", "golden", "metrics")
OUT = os.path.normpath(OUT)


def fl(a):
    """Plain list of Python floats (NaN/inf are not valid JSON, so they are written as strings)."""
    out = []
    for v in np.asarray(a, dtype=np.float64).ravel().tolist():
        if np.isnan(v):
            out.append("NaN")
        elif np.isinf(v):
            out.append("Infinity" if v > 0 else "-Infinity")
        else:
            out.append(v)
    return out


def il(a):
    return [int(v) for v in np.asarray(a).ravel().tolist()]


def write(name, obj):
    obj = {"generator": "tools/golden/metrics/make_metrics_golden.py",
           "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
           **obj}
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), allow_nan=False)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# ----------------------------------------------------------------------------------------------------------------
# Classification: binary
# ----------------------------------------------------------------------------------------------------------------
def youden(y, s):
    fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=False)
    j = tpr - fpr
    i = int(np.argmax(j))
    return float(thr[i]) if i > 0 else float("inf"), float(j[i]), float(tpr[i]), float(fpr[i])


def binary_case(rng, n, ties, prevalence):
    y = (rng.random(n) < prevalence).astype(np.int64)
    y[0], y[1] = 0, 1  # both classes present
    s = rng.random(n) * 0.6 + y * rng.random(n) * 0.5
    s = np.round(s, 1) if ties else np.round(s, 6)  # 6 decimals keeps the JSON small; ties stay rare
    pred = (s >= 0.5).astype(np.int64)
    case = {"name": f"binary_n{n}_{'ties' if ties else 'random'}", "labels": il(y), "scores": fl(s),
            "threshold": 0.5, "pred": il(pred)}
    case["accuracy"] = skm.accuracy_score(y, pred)
    case["balanced_accuracy"] = skm.balanced_accuracy_score(y, pred)
    case["precision"] = skm.precision_score(y, pred, zero_division=0)
    case["recall"] = skm.recall_score(y, pred, zero_division=0)
    case["f1"] = skm.f1_score(y, pred, zero_division=0)
    case["f2"] = skm.fbeta_score(y, pred, beta=2.0, zero_division=0)
    case["mcc"] = skm.matthews_corrcoef(y, pred)
    case["confusion"] = il(skm.confusion_matrix(y, pred, labels=[0, 1]))
    case["roc_auc"] = skm.roc_auc_score(y, s)
    case["average_precision"] = skm.average_precision_score(y, s)
    for drop in (True, False):
        fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=drop)
        key = "roc_drop" if drop else "roc_full"
        # sklearn 1.2 writes thresholds[0] = max + 1; Thorax (like sklearn >= 1.3) writes +inf there.
        case[key] = {"fpr": fl(fpr), "tpr": fl(tpr), "thresholds_tail": fl(thr[1:])}
    t, j, tpr_j, fpr_j = youden(y, s)
    case["youden"] = {"threshold": t if np.isfinite(t) else "Infinity", "j": j, "tpr": tpr_j, "fpr": fpr_j}
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    case["sensitivity"] = tp / (tp + fn)
    case["specificity"] = tn / (tn + fp)
    return case


# ----------------------------------------------------------------------------------------------------------------
# Classification: multiclass
# ----------------------------------------------------------------------------------------------------------------
def multiclass_case(rng, n, k, ties, drop_class_from_pred=False):
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    if ties:
        p = np.round(p, 1)
        p = np.maximum(p, 0.0)
        # keep rows summing to one for sklearn's probability check
        p[:, -1] = 1.0 - p[:, :-1].sum(axis=1)
        bad = p[:, -1] < 0
        p[bad, :] = 1.0 / k
    else:
        p = np.round(p, 6)  # rows still sum to 1 within sklearn's allclose tolerance
    pred = np.argmax(p, axis=1)
    if drop_class_from_pred:
        pred[pred == k - 1] = 0
    case = {"name": f"multi_k{k}_n{n}_{'ties' if ties else 'random'}{'_missing' if drop_class_from_pred else ''}",
            "k": k, "labels": il(y), "scores": fl(p), "pred": il(pred)}
    case["accuracy"] = skm.accuracy_score(y, pred)
    case["balanced_accuracy"] = skm.balanced_accuracy_score(y, pred)
    for avg in ("macro", "weighted", "micro"):
        case[f"precision_{avg}"] = skm.precision_score(y, pred, average=avg, zero_division=0)
        case[f"recall_{avg}"] = skm.recall_score(y, pred, average=avg, zero_division=0)
        case[f"f1_{avg}"] = skm.f1_score(y, pred, average=avg, zero_division=0)
        case[f"f2_{avg}"] = skm.fbeta_score(y, pred, beta=2.0, average=avg, zero_division=0)
    pr, rc, f1, sup = skm.precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=0)
    case["precision_per_class"] = fl(pr)
    case["recall_per_class"] = fl(rc)
    case["f1_per_class"] = fl(f1)
    case["support"] = il(sup)
    case["mcc"] = skm.matthews_corrcoef(y, pred)
    case["confusion"] = il(skm.confusion_matrix(y, pred, labels=list(range(k))))
    case["roc_auc_ovr_macro"] = skm.roc_auc_score(y, p, multi_class="ovr", average="macro")
    case["roc_auc_ovr_weighted"] = skm.roc_auc_score(y, p, multi_class="ovr", average="weighted")
    yb = label_binarize(y, classes=list(range(k)))
    case["roc_auc_per_class"] = fl([skm.roc_auc_score(yb[:, c], p[:, c]) for c in range(k)])
    case["ap_per_class"] = fl([skm.average_precision_score(yb[:, c], p[:, c]) for c in range(k)])
    case["ap_macro"] = skm.average_precision_score(yb, p, average="macro")
    return case


def classification():
    rng = np.random.default_rng(20240601)
    cases = []
    for n in (12, 200, 3000):
        for ties in (False, True):
            cases.append(binary_case(rng, n, ties, 0.3 if n > 12 else 0.5))
    multi = []
    for (n, k) in ((30, 3), (500, 3), (800, 4)):
        for ties in (False, True):
            multi.append(multiclass_case(rng, n, k, ties))
    multi.append(multiclass_case(rng, 60, 3, False, drop_class_from_pred=True))
    write("classification.json", {"binary": cases, "multiclass": multi})


# ----------------------------------------------------------------------------------------------------------------
# Segmentation (closed-form counts; cross-checked against sklearn on the flattened masks)
# ----------------------------------------------------------------------------------------------------------------
def seg_scores(p, t):
    p = p.astype(bool).ravel()
    t = t.astype(bool).ravel()
    tp = int(np.sum(p & t)); fp = int(np.sum(p & ~t)); fn = int(np.sum(~p & t)); tn = int(np.sum(~p & ~t))
    if tp + fp + fn == 0:
        return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "both_empty": True}
    out = {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "both_empty": False}
    out["dice"] = skm.f1_score(t, p, zero_division=0)
    out["iou"] = skm.jaccard_score(t, p, zero_division=0)
    out["precision"] = skm.precision_score(t, p, zero_division=0)
    out["recall"] = skm.recall_score(t, p, zero_division=0)
    out["f2"] = skm.fbeta_score(t, p, beta=2.0, zero_division=0)
    assert abs(out["dice"] - 2 * tp / (2 * tp + fp + fn)) < 1e-12
    return out


def segmentation():
    rng = np.random.default_rng(7)
    h, w = 12, 16
    images = []
    for i in range(10):
        kind = i % 5
        t = np.zeros((h, w), np.uint8)
        p = np.zeros((h, w), np.uint8)
        if kind in (0, 1, 2):
            y0, x0 = rng.integers(0, h - 4), rng.integers(0, w - 4)
            t[y0:y0 + rng.integers(2, 5), x0:x0 + rng.integers(2, 6)] = 1
        if kind in (0, 1, 3):
            y0, x0 = rng.integers(0, h - 4), rng.integers(0, w - 4)
            p[y0:y0 + rng.integers(2, 5), x0:x0 + rng.integers(2, 6)] = 255
        if kind == 1:
            p = np.where(rng.random((h, w)) < 0.1, 255, p).astype(np.uint8)
        # kind 2: truth only, kind 3: prediction only, kind 4: both empty
        images.append({"id": f"img{i}", "pred": il(p), "truth": il(t), **seg_scores(p, t)})
    dices_one = [im.get("dice", 1.0) for im in images]
    dices_skip = [im["dice"] for im in images if not im["both_empty"]]
    write("segmentation.json", {"height": h, "width": w, "images": images,
                                "kaggle_mean_dice": float(np.mean(dices_one)),
                                "skip_mean_dice": float(np.mean(dices_skip))})


# ----------------------------------------------------------------------------------------------------------------
# Saliency: MIT saliency benchmark definitions (cvzoya/saliency, MATLAB) ported to numpy
# ----------------------------------------------------------------------------------------------------------------
MATLAB_EPS = np.finfo(np.float64).eps  # 2.220446049250313e-16


def mit_kl(s, g):
    s = s / s.sum() if np.any(s) else s
    g = g / g.sum() if np.any(g) else g
    return float(np.sum(g * np.log(MATLAB_EPS + g / (s + MATLAB_EPS))))


def mit_cc(s, g):
    return float(scipy.stats.pearsonr(s.ravel(), g.ravel())[0])


def mit_sim(s, g):
    def norm(m):
        m = (m - m.min()) / (m.max() - m.min()) if m.max() > m.min() else m / m.max() if m.max() > 0 else m
        return m / m.sum() if np.any(m) else m
    return float(np.sum(np.minimum(norm(s), norm(g))))


def mit_nss(s, fix):
    z = (s - s.mean()) / s.std(ddof=1)  # MATLAB std normalises by N-1
    return float(z[fix > 0].mean())


def mit_auc_judd(s, fix):
    s = (s - s.min()) / (s.max() - s.min())
    S = s.ravel(); F = fix.ravel()
    sth = np.sort(S[F > 0])[::-1]
    nf = len(sth); npx = len(S)
    tp = np.zeros(nf + 2); fp = np.zeros(nf + 2)
    tp[-1] = 1; fp[-1] = 1
    for i in range(nf):
        above = np.sum(S >= sth[i])
        tp[i + 1] = (i + 1) / nf
        fp[i + 1] = (above - (i + 1)) / (npx - nf)
    return float(np.trapz(tp, fp))


def paper_kl(s, g):
    p = s / s.sum(); q = g / g.sum()
    return float(np.sum(scipy.special.xlogy(q, q) - q * np.log(p)))


def paper_sim(s, g):
    return float(np.sum(np.minimum(s / s.sum(), g / g.sum())))


def saliency():
    import scipy.ndimage as ndi
    rng = np.random.default_rng(99)
    cases = []
    for (h, w, nfix, ties) in ((8, 10, 5, False), (24, 32, 20, False), (40, 30, 40, True), (24, 32, 12, True)):
        fix = np.zeros((h, w), np.uint8)
        ys = rng.integers(0, h, nfix); xs = rng.integers(0, w, nfix)
        fix[ys, xs] = 1
        g = ndi.gaussian_filter(fix.astype(np.float64), sigma=2.0).astype(np.float32)
        s = (ndi.gaussian_filter(rng.random((h, w)), sigma=1.5) + 0.3 * g / g.max()).astype(np.float32)
        if ties:
            s = np.round(s * 8) / 8
            s = s.astype(np.float32)
        sd = s.astype(np.float64); gd = g.astype(np.float64)
        case = {"name": f"sal_{h}x{w}_{'ties' if ties else 'smooth'}", "height": h, "width": w,
                "saliency": fl(s), "density": fl(g), "fixations": il(fix),
                "kl_mit": mit_kl(sd, gd), "cc": mit_cc(sd, gd), "sim_mit": mit_sim(sd, gd),
                "nss": mit_nss(sd, fix), "auc_judd": mit_auc_judd(sd, fix),
                "kl_paper": paper_kl(sd, gd), "sim_paper": paper_sim(sd, gd)}
        cases.append(case)
    write("saliency.json", {"cases": cases})


# ----------------------------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------------------------
def midrank(x):
    order = np.argsort(x, kind="mergesort")
    z = x[order]
    n = len(x)
    t = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and z[j] == z[i]:
            j += 1
        t[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = t
    return out


def fast_delong(y, s1, s2):
    """Fast DeLong (Sun & Xu 2014): AUCs, their covariance, z and two-sided p for AUC1 - AUC2."""
    pos = y == 1
    m = int(pos.sum()); n = int((~pos).sum())
    preds = np.vstack([s1, s2])
    x = preds[:, pos]; yy = preds[:, ~pos]
    k = preds.shape[0]
    tx = np.array([midrank(x[r]) for r in range(k)])
    ty = np.array([midrank(yy[r]) for r in range(k)])
    tz = np.array([midrank(np.concatenate([x[r], yy[r]])) for r in range(k)])
    aucs = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    cov = np.cov(v01) / m + np.cov(v10) / n
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    z = (aucs[0] - aucs[1]) / np.sqrt(var)
    p = 2 * scipy.stats.norm.sf(abs(z))
    return aucs, cov, z, p


def statistics():
    rng = np.random.default_rng(1234)
    ttests = []
    for n in (5, 30, 200):
        a = rng.normal(0.5, 0.2, n)
        b = a + rng.normal(0.05, 0.1, n)
        for alt in ("two-sided", "less", "greater"):
            r = scipy.stats.ttest_rel(a, b, alternative=alt)
            ttests.append({"a": fl(a), "b": fl(b), "alternative": alt, "t": float(r.statistic),
                           "p": float(r.pvalue), "df": n - 1})
    tcdf = []
    for df in (1, 2, 3, 4.5, 10, 29, 100, 1000):
        for t in (-40.0, -6.0, -2.5, -1.0, -0.1, 0.0, 0.3, 1.7, 3.2, 12.0):
            tcdf.append({"t": t, "df": df, "cdf": float(scipy.stats.t.cdf(t, df)),
                         "sf": float(scipy.stats.t.sf(t, df))})
    betainc = []
    for a in (0.5, 1.0, 2.5, 10.0, 150.0):
        for b in (0.5, 3.0, 20.0):
            for x in (0.0, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0):
                betainc.append({"a": a, "b": b, "x": x, "value": float(scipy.special.betainc(a, b, x))})
    normal = [{"z": z, "sf": float(scipy.stats.norm.sf(z)), "cdf": float(scipy.stats.norm.cdf(z))}
              for z in (-8.0, -3.0, -1.96, -0.5, 0.0, 0.25, 1.0, 1.6448536269514722, 2.5, 5.0, 9.0, 20.0)]
    delong = []
    for (n, ties) in ((40, False), (300, False), (300, True), (2000, False)):
        y = (rng.random(n) < 0.4).astype(np.int64)
        y[0], y[1] = 0, 1
        s1 = rng.normal(size=n) + 1.0 * y
        s2 = 0.6 * s1 + rng.normal(size=n) * 0.8 + 0.3 * y
        if ties:
            s1 = np.round(s1); s2 = np.round(s2 * 2) / 2
        aucs, cov, z, p = fast_delong(y, s1, s2)
        assert abs(aucs[0] - skm.roc_auc_score(y, s1)) < 1e-12
        assert abs(aucs[1] - skm.roc_auc_score(y, s2)) < 1e-12
        delong.append({"labels": il(y), "scores1": fl(s1), "scores2": fl(s2), "auc1": aucs[0], "auc2": aucs[1],
                       "var1": cov[0, 0], "var2": cov[1, 1], "cov": cov[0, 1], "z": float(z), "p": float(p)})
    values = rng.normal(size=57)
    percentiles = [{"q": q, "value": float(np.percentile(values, q))} for q in (0, 2.5, 5, 25, 50, 77.7, 97.5, 100)]
    write("statistics.json", {"ttest_rel": ttests, "student_t": tcdf, "betainc": betainc, "normal": normal,
                              "delong": delong, "percentile_values": fl(values), "percentiles": percentiles})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    np.seterr(all="ignore")
    classification()
    segmentation()
    saliency()
    statistics()
    sys.exit(0)
