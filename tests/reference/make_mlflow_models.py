"""MLflow model folders made by mlflow's own `save_model`, a non-ONNX flavor, a 3-class pair,
and the reference numbers the tests check them against.

Binary pair (tests/fixtures/models/mlflow/): a LogisticRegression (champion) and a
GradientBoostingClassifier (challenger) trained on sample_data/models/holdout.csv's first
half, exported with skl2onnx's default options (ZipMap output, one [N, 8] float input) and
saved with `mlflow.onnx.save_model` (signature from the training frame, a 3-row input
example, offline metrics under `metadata.metrics`). `challenger.zip` is the challenger folder
zipped under one top folder; `holdout_shuffled.csv` is the second half with its columns in
another order (a model mapped by position would read the wrong columns); `sklearn_flavor/`
is `mlflow.sklearn.save_model` of the champion (a pickle Verdict must refuse, never load).

3-class pair (tests/fixtures/models/multiclass/): LogisticRegression (ZipMap with string
keys) against a DecisionTreeClassifier exported with `zipmap=False` ([N, 3] probability
tensor), on a generated holdout with text classes bronze/silver/gold.

reference.json holds, from onnxruntime's own outputs on the holdouts: per-row probabilities,
scikit-learn metrics (roc_auc_score, accuracy, log_loss, precision_recall_fscore_support),
statsmodels' `mcnemar`, DeLong's test written from DeLong et al. (1988) with the structural
components computed pair by pair (no fast algorithm), and the worst segments as the issue
defines them (McNemar per segment, statsmodels' Holm).

Run from the repository root in a throwaway venv:
    python3 -m venv /tmp/mlv && /tmp/mlv/bin/pip install mlflow-skinny onnx onnxruntime==1.31.1 \
        scikit-learn skl2onnx pandas statsmodels scipy
    /tmp/mlv/bin/python tests/reference/make_mlflow_models.py
"""
import json
import os
import shutil
import zipfile

import mlflow.onnx
import mlflow.sklearn
import numpy as np
import onnxruntime as ort
import pandas as pd
from mlflow.models import infer_signature
from scipy.stats import norm
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (accuracy_score, log_loss, precision_recall_fscore_support,
                             roc_auc_score, f1_score, brier_score_loss)
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

OUT = "tests/fixtures/models/mlflow"
MC = "tests/fixtures/models/multiclass"
FEATURES = ["income_k", "age", "tenure_months", "num_accounts", "utilization",
            "late_payments", "inquiries_6m", "region_risk"]
MIN_SEGMENT_ROWS = 20


def delong_reference(a, b, y):
    """DeLong, DeLong & Clarke-Pearson (1988): AUCs, covariance from the structural
    components V10 (per positive) and V01 (per negative), two-sided normal p."""
    pos, neg = y == 1, y == 0
    out = {}
    v10, v01, aucs = [], [], []
    for s in (a, b):
        x, z = s[pos], s[neg]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        aucs.append(psi.mean())
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    m, n = pos.sum(), neg.sum()
    s10, s01 = np.cov(np.array(v10)), np.cov(np.array(v01))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    diff = aucs[1] - aucs[0]
    se = np.sqrt(var)
    z = norm.ppf(0.975)
    out.update(auc_champion=aucs[0], auc_challenger=aucs[1], diff=diff, se=se,
               p_value=2 * norm.sf(abs(diff / se)), ci_low=diff - z * se, ci_high=diff + z * se)
    return out


def mcnemar_ref(ok_a, ok_b):
    b = int(np.sum(~ok_a & ok_b))
    c = int(np.sum(ok_a & ~ok_b))
    exact = b + c < 25
    if b + c == 0:
        return {"b": b, "c": c, "statistic": None, "p_value": None, "exact": exact}
    r = mcnemar([[0, b], [c, 0]], exact=exact, correction=True)
    return {"b": b, "c": c, "statistic": float(r.statistic), "p_value": float(r.pvalue),
            "exact": exact}


def segments(frame, numeric, text):
    """(column, label, row mask) for every value of a text column and every decile of a
    numeric feature (numpy's linear percentiles; bins [lo, hi), the last one closed; a
    feature with at most 10 distinct values by value)."""
    out = []
    for c in text:
        for v in sorted(frame[c].dropna().unique()):
            out.append((c, str(v), (frame[c] == v).to_numpy()))
    for c in numeric:
        x = frame[c].to_numpy(dtype=float)
        distinct = np.unique(x)
        if len(distinct) <= 10:
            for v in distinct:
                out.append((c, fmt(v), x == v))
            continue
        edges = np.unique(np.percentile(x, np.arange(0, 101, 10)))
        for i in range(len(edges) - 1):
            lo, hi = edges[i], edges[i + 1]
            last = i == len(edges) - 2
            mask = (x >= lo) & ((x <= hi) if last else (x < hi))
            out.append((c, f"[{fmt(lo)}, {fmt(hi)}{']' if last else ')'}", mask))
    return out


def fmt(v):
    return f"{v:.6g}"


def worst_segments(frame, numeric, text, ok_a, ok_b):
    rows = []
    for col, label, mask in segments(frame, numeric, text):
        n = int(mask.sum())
        if n < MIN_SEGMENT_ROWS:
            continue
        acc_a, acc_b = ok_a[mask].mean(), ok_b[mask].mean()
        m = mcnemar_ref(ok_a[mask], ok_b[mask])
        rows.append({"column": col, "segment": label, "rows": n, "metric": "accuracy",
                     "champion": acc_a, "challenger": acc_b, "diff": acc_b - acc_a,
                     "p_value": 1.0 if m["p_value"] is None else m["p_value"]})
    adj = multipletests([r["p_value"] for r in rows], method="holm")[1]
    for r, p in zip(rows, adj):
        r["p_value_adjusted"] = float(p)
    worse = [r for r in rows if r["diff"] < 0]
    worse.sort(key=lambda r: (r["diff"], r["column"], r["segment"]))
    return {"tested": len(rows), "worst": worse}


def ort_outputs(path, x):
    # one intra-op thread: tree ensembles sum their trees in a fixed order (with more
    # threads the float32 sums may differ in the last bit from run to run)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so)
    return sess.run(None, {sess.get_inputs()[0].name: x})


def zipmap_matrix(maps, classes):
    return np.array([[m[c] for c in classes] for m in maps], dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------- binary MLflow pair
os.makedirs(OUT, exist_ok=True)
data = pd.read_csv("sample_data/models/holdout.csv")
train, test = data.iloc[:1000], data.iloc[1000:].reset_index(drop=True)
xtr = train[FEATURES].astype(np.float32)
ytr = train["label"].to_numpy()
xte = test[FEATURES].to_numpy(dtype=np.float32)
yte = test["label"].to_numpy()
models = {
    "champion": LogisticRegression(max_iter=1000).fit(xtr, ytr),
    "challenger": GradientBoostingClassifier(n_estimators=25, max_depth=3, random_state=0).fit(xtr, ytr),
}
ref = {"binary": {}}
probs = {}
for role, clf in models.items():
    onx = to_onnx(clf, xtr.to_numpy()[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    folder = f"{OUT}/{role}"
    shutil.rmtree(folder, ignore_errors=True)
    tmp = f"/tmp/verdict-{role}.onnx"
    with open(tmp, "wb") as f:
        f.write(onx.SerializeToString())
    outs = ort_outputs(tmp, xte)
    p = zipmap_matrix(outs[1], [0, 1])[:, 1]
    probs[role] = p
    metrics = {"auc": float(roc_auc_score(yte, p)),
               "accuracy": float(accuracy_score(yte, p >= 0.5))}
    if role == "challenger":
        metrics["f1"] = round(float(f1_score(yte, p >= 0.5)) + 0.02, 6)  # recorded off by 0.02
    sig = infer_signature(xtr, clf.predict_proba(xtr))
    mlflow.onnx.save_model(onx, folder, signature=sig, input_example=xtr.head(3),
                           metadata={"metrics": metrics})
    ref["binary"][role] = {"recorded": metrics}
shutil.make_archive(f"{OUT}/challenger", "zip", OUT, "challenger")
# the sklearn flavor of the champion: a pickle, never to be loaded
shutil.rmtree(f"{OUT}/sklearn_flavor", ignore_errors=True)
mlflow.sklearn.save_model(models["champion"], f"{OUT}/sklearn_flavor",
                          serialization_format="cloudpickle")
# the holdout with its columns in another order, and its text column kept
shuffled_cols = ["label", "segment", "region_risk", "utilization", "age", "customer_id",
                 "income_k", "late_payments", "num_accounts", "inquiries_6m", "tenure_months"]
test[shuffled_cols].to_csv(f"{OUT}/holdout_shuffled.csv", index=False)
pa, pb = probs["champion"], probs["challenger"]
ok_a, ok_b = (pa >= 0.5) == (yte == 1), (pb >= 0.5) == (yte == 1)
for role, p in probs.items():
    pr, rc, f1, _ = precision_recall_fscore_support(yte, p >= 0.5, average="binary", zero_division=0)
    ref["binary"][role].update({
        "auc": float(roc_auc_score(yte, p)), "accuracy": float(accuracy_score(yte, p >= 0.5)),
        "precision": float(pr), "recall": float(rc), "f1": float(f1),
        "log_loss": float(log_loss(yte, p)), "brier": float(brier_score_loss(yte, p)),
        "first_rows": [float(v) for v in p[:5]]})
ref["binary"]["mcnemar"] = mcnemar_ref(ok_a, ok_b)
ref["binary"]["delong"] = delong_reference(pa, pb, yte)
ref["binary"]["worst_segments"] = worst_segments(test, FEATURES, ["segment"], ok_a, ok_b)
ref["binary"]["rows"] = len(test)

# ---------------------------------------------------------------- 3-class pair
os.makedirs(MC, exist_ok=True)
rng = np.random.default_rng(7)
n = 1500
f = rng.normal(size=(n, 4))
channel = rng.choice(["web", "app", "store"], size=n, p=[0.5, 0.3, 0.2])
logits = np.stack([0.3 * f[:, 0] - f[:, 1],
                   0.8 * f[:, 1] + 0.5 * f[:, 2] + 0.4 * (channel == "app"),
                   1.1 * f[:, 0] + 0.6 * f[:, 3] - 0.3], axis=1)
pr = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
cls = np.array(["bronze", "silver", "gold"])
y = cls[[rng.choice(3, p=row) for row in pr]]
frame = pd.DataFrame({"f1": f[:, 0], "f2": f[:, 1], "f3": f[:, 2], "f4": f[:, 3],
                      "channel": channel, "tier": y})
tr, te = frame.iloc[:900], frame.iloc[900:].reset_index(drop=True)
X = ["f1", "f2", "f3", "f4"]
xtr3 = tr[X].to_numpy(dtype=np.float32)
xte3 = te[X].to_numpy(dtype=np.float32)
lr = LogisticRegression(max_iter=1000).fit(xtr3, tr["tier"])
dt = DecisionTreeClassifier(max_depth=4, min_samples_leaf=20, random_state=0).fit(xtr3, tr["tier"])
classes = [str(c) for c in lr.classes_]  # sorted: bronze, gold, silver
onx_a = to_onnx(lr, xtr3[:1], target_opset={"": 17, "ai.onnx.ml": 3})
onx_b = to_onnx(dt, xtr3[:1], target_opset={"": 17, "ai.onnx.ml": 3},
                options={id(dt): {"zipmap": False}})
with open(f"{MC}/champion.onnx", "wb") as fh:
    fh.write(onx_a.SerializeToString())
with open(f"{MC}/challenger.onnx", "wb") as fh:
    fh.write(onx_b.SerializeToString())
te.to_csv(f"{MC}/holdout.csv", index=False)
P = {"champion": zipmap_matrix(ort_outputs(f"{MC}/champion.onnx", xte3)[1], classes),
     "challenger": ort_outputs(f"{MC}/challenger.onnx", xte3)[1].astype(np.float64)}
yt = te["tier"].to_numpy()
mc = {"classes": classes, "rows": len(te)}
top = {}
for role, p in P.items():
    pred = np.array(classes)[p.argmax(axis=1)]
    top[role] = pred
    prec, rec, f1s, sup = precision_recall_fscore_support(yt, pred, labels=classes, zero_division=0)
    mc[role] = {
        "accuracy": float(accuracy_score(yt, pred)),
        "log_loss": float(log_loss(yt, p, labels=classes)),
        "auc_macro_ovr": float(roc_auc_score(yt, p, multi_class="ovr", average="macro", labels=classes)),
        "auc_weighted_ovr": float(roc_auc_score(yt, p, multi_class="ovr", average="weighted", labels=classes)),
        "per_class": [{"class": c, "precision": float(a), "recall": float(b), "f1": float(d),
                       "support": int(s)} for c, a, b, d, s in zip(classes, prec, rec, f1s, sup)],
        "first_rows": p[:3].tolist(),
    }
mc["flip_matrix"] = {a: {b: int(np.sum((top["champion"] == a) & (top["challenger"] == b)))
                         for b in classes} for a in classes}
mc["mcnemar"] = mcnemar_ref(top["champion"] == yt, top["challenger"] == yt)
ref["multiclass"] = mc
with open("tests/fixtures/models/mlflow_reference.json", "w") as fh:
    json.dump(ref, fh, indent=1)
print(json.dumps({k: ref["binary"][k] for k in ("mcnemar", "delong")}, indent=1))
print(ref["binary"]["worst_segments"]["tested"], len(ref["binary"]["worst_segments"]["worst"]))
