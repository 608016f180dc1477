"""Makes Verdict's sample models and holdout (issue 5) with scikit-learn and skl2onnx, and the
reference values the tests compare against (Python onnxruntime probabilities, sklearn metrics).

Writes, next to this script:
  champion.onnx            logistic regression, skl2onnx defaults (label + ZipMap probabilities)
  challenger/              bundle folder: model.onnx (gradient-boosted trees, zipmap=False,
                           probabilities tensor [N, 2], feature_names in metadata_props) + bundle.toml
  holdout.csv              2,000 labelled rows: an id, the 8 features, a segment, the label
and tests/fixtures/models/: expected.json (probabilities from onnxruntime, metrics from sklearn),
per_feature.onnx (one [N, 1] input per feature, a [N, 1] probability output) and
regressor.onnx (linear regression, [N, 1] variable output).
Run: python3 sample_data/models/make_models.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import sklearn
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (accuracy_score, brier_score_loss, f1_score, log_loss,
                             mean_absolute_error, precision_score, recall_score, roc_auc_score,
                             root_mean_squared_error)
from sklearn.calibration import calibration_curve

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures", "models")
os.makedirs(FIX, exist_ok=True)
os.makedirs(os.path.join(HERE, "challenger"), exist_ok=True)

FEATURES = ["income_k", "age", "tenure_months", "num_accounts", "utilization", "late_payments",
            "inquiries_6m", "region_risk"]
rng = np.random.default_rng(42)


def make(n):
    X = np.column_stack([
        rng.lognormal(3.8, 0.5, n),          # income_k
        rng.integers(18, 80, n),              # age
        rng.integers(0, 240, n),              # tenure_months
        rng.poisson(3, n),                    # num_accounts
        rng.beta(2, 3, n),                    # utilization
        rng.poisson(0.4, n),                  # late_payments
        rng.poisson(1.0, n),                  # inquiries_6m
        rng.normal(0, 1, n),                  # region_risk
    ]).astype(np.float64)
    z = (-1.2 - 0.015 * (X[:, 0] - 45) - 0.01 * (X[:, 1] - 45) - 0.004 * X[:, 2]
         + 2.6 * X[:, 4] + 0.9 * X[:, 5] + 0.25 * X[:, 6] + 0.35 * X[:, 7]
         + 0.8 * (X[:, 4] > 0.6) * (X[:, 5] > 0))
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y


Xtr, ytr = make(6000)
Xho, yho = make(2000)

lr = LogisticRegression(max_iter=2000).fit(Xtr, ytr)
gb = GradientBoostingClassifier(n_estimators=120, max_depth=3, random_state=0).fit(Xtr, ytr)

champion = to_onnx(lr, Xtr[:1].astype(np.float32))                       # default options: ZipMap
challenger = to_onnx(gb, Xtr[:1].astype(np.float32), options={"zipmap": False})
meta = challenger.metadata_props.add()
meta.key = "feature_names"
meta.value = ",".join(FEATURES)
onnx.save(champion, os.path.join(HERE, "champion.onnx"))
onnx.save(challenger, os.path.join(HERE, "challenger", "model.onnx"))

ho = pd.DataFrame(Xho, columns=FEATURES)
ho["customer_id"] = [f"c{i:05d}" for i in range(len(ho))]
ho["segment"] = np.where(Xho[:, 1] < 35, "young", np.where(Xho[:, 1] < 60, "middle", "senior"))
ho["label"] = yho
# extra columns the models do not use around the features (the champion, a bare .onnx without
# feature names, reads the holdout's numeric columns in order; the challenger's manifest names them)
ho = ho[["customer_id"] + FEATURES + ["segment", "label"]]
for c in ["age", "tenure_months", "num_accounts", "late_payments", "inquiries_6m"]:
    ho[c] = ho[c].astype(int)
ho.to_csv(os.path.join(HERE, "holdout.csv"), index=False)


def auc_metrics(p, y, thr=0.5):
    pred = (p >= thr).astype(int)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    return {
        "auc": roc_auc_score(y, p), "accuracy": accuracy_score(y, pred),
        "precision": precision_score(y, pred, zero_division=0), "recall": recall_score(y, pred),
        "f1": f1_score(y, pred), "log_loss": log_loss(y, p), "brier": brier_score_loss(y, p),
        "calibration_true": prob_true.tolist(), "calibration_pred": prob_pred.tolist(),
    }


X32 = Xho.astype(np.float32)
s1 = ort.InferenceSession(os.path.join(HERE, "champion.onnx"))
s2 = ort.InferenceSession(os.path.join(HERE, "challenger", "model.onnx"))
out1 = s1.run(None, {s1.get_inputs()[0].name: X32})
out2 = s2.run(None, {s2.get_inputs()[0].name: X32})
p1 = np.array([d[1] for d in out1[1]], dtype=np.float64)     # ZipMap: list of {0: p0, 1: p1}
p2 = out2[1][:, 1].astype(np.float64)
expected = {
    "rows": len(yho),
    "champion": {"probability": p1.tolist(), "label": out1[0].tolist(), **auc_metrics(p1, yho)},
    "challenger": {"probability": p2.tolist(), "label": out2[0].tolist(), **auc_metrics(p2, yho)},
    "diff_rate": float(np.mean((p1 >= 0.5) != (p2 >= 0.5))),
    "mean_abs_delta": float(np.mean(np.abs(p1 - p2))),
    "max_abs_delta": float(np.max(np.abs(p1 - p2))),
    "neg_to_pos": int(np.sum((p1 < 0.5) & (p2 >= 0.5))),
    "pos_to_neg": int(np.sum((p1 >= 0.5) & (p2 < 0.5))),
}

# bundle manifest for the challenger
with open(os.path.join(HERE, "challenger", "bundle.toml"), "w") as f:
    f.write(f'''# Verdict model bundle manifest
name = "credit_risk_gbt"
version = "2.0.0"
features = {json.dumps(FEATURES)}
positive_class = 1
threshold = 0.5
holdout = "../holdout.csv"

[environment]
scikit_learn = "{sklearn.__version__}"
skl2onnx = "{__import__("skl2onnx").__version__}"
python = "3.11"

[metrics]
auc = {expected["challenger"]["auc"]:.6f}
''')

# a model with one [N, 1] input per feature and a [N, 1] probability output (hand-built graph)
w = np.array([[0.02], [-0.01], [0.5]], dtype=np.float32)
nodes = [
    helper.make_node("Concat", ["utilization", "late_payments", "region_risk"], ["x"], axis=1),
    helper.make_node("MatMul", ["x", "W"], ["z0"]),
    helper.make_node("Add", ["z0", "B"], ["z"]),
    helper.make_node("Sigmoid", ["z"], ["probability"]),
]
graph = helper.make_graph(
    nodes, "per_feature_logit",
    [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 1]) for n in ["utilization", "late_payments", "region_risk"]],
    [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N", 1])],
    [helper.make_tensor("W", TensorProto.FLOAT, [3, 1], w.flatten().tolist()),
     helper.make_tensor("B", TensorProto.FLOAT, [1], [-0.3])],
)
pf = helper.make_model(graph, producer_name="verdict-tests", opset_imports=[helper.make_opsetid("", 17)])
pf.ir_version = 8
onnx.checker.check_model(pf)
onnx.save(pf, os.path.join(FIX, "per_feature.onnx"))
s3 = ort.InferenceSession(os.path.join(FIX, "per_feature.onnx"))
feeds = {n: Xho[:, FEATURES.index(n)].astype(np.float32).reshape(-1, 1) for n in ["utilization", "late_payments", "region_risk"]}
expected["per_feature"] = {"probability": s3.run(None, feeds)[0][:, 0].astype(np.float64).tolist()}

# a regressor (linear regression on the same features, target = utilization * 100 + noise)
yreg = Xtr[:, 4] * 100 + rng.normal(0, 5, len(Xtr))
reg = LinearRegression().fit(np.delete(Xtr, 4, axis=1), yreg)
reg_onnx = to_onnx(reg, np.delete(Xtr, 4, axis=1)[:1].astype(np.float32))
meta = reg_onnx.metadata_props.add()
meta.key = "feature_names"
meta.value = ",".join(f for f in FEATURES if f != "utilization")
onnx.save(reg_onnx, os.path.join(FIX, "regressor.onnx"))
s4 = ort.InferenceSession(os.path.join(FIX, "regressor.onnx"))
yhat = s4.run(None, {s4.get_inputs()[0].name: np.delete(Xho, 4, axis=1).astype(np.float32)})[0][:, 0].astype(np.float64)
ytrue = Xho[:, 4] * 100
expected["regressor"] = {"prediction": yhat.tolist(), "rmse": float(root_mean_squared_error(ytrue, yhat)),
                         "mae": float(mean_absolute_error(ytrue, yhat))}
pd.DataFrame({"income_k": Xho[:, 0], "age": Xho[:, 1], "tenure_months": Xho[:, 2], "num_accounts": Xho[:, 3],
              "late_payments": Xho[:, 5], "inquiries_6m": Xho[:, 6], "region_risk": Xho[:, 7],
              "target": ytrue}).to_csv(os.path.join(FIX, "regression_holdout.csv"), index=False)

# a classifier trained on text labels: ZipMap with string keys ("bad" is the positive class)
ytxt = np.where(ytr == 1, "bad", "good")
lr_txt = LogisticRegression(max_iter=2000).fit(Xtr[:, :4], ytxt)
txt = to_onnx(lr_txt, Xtr[:1, :4].astype(np.float32))
onnx.save(txt, os.path.join(FIX, "string_labels.onnx"))
s5 = ort.InferenceSession(os.path.join(FIX, "string_labels.onnx"))
o5 = s5.run(None, {s5.get_inputs()[0].name: Xho[:, :4].astype(np.float32)})
expected["string_labels"] = {"probability_bad": [float(d["bad"]) for d in o5[1]]}
pd.DataFrame({"income_k": Xho[:, 0], "age": Xho[:, 1], "tenure_months": Xho[:, 2], "num_accounts": Xho[:, 3],
              "outcome": np.where(yho == 1, "bad", "good")}).to_csv(os.path.join(FIX, "string_labels_holdout.csv"), index=False)

# a three-class model: an output Verdict cannot read as a binary probability
nodes = [helper.make_node("MatMul", ["x", "W"], ["z"]), helper.make_node("Softmax", ["z"], ["probabilities"], axis=1)]
graph = helper.make_graph(
    nodes, "three_classes",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])],
    [helper.make_tensor("W", TensorProto.FLOAT, [8, 3], rng.normal(0, 0.1, 24).tolist())],
)
mc = helper.make_model(graph, producer_name="verdict-tests", opset_imports=[helper.make_opsetid("", 17)])
mc.ir_version = 8
onnx.save(mc, os.path.join(FIX, "three_classes.onnx"))

# typed per-feature inputs: a text segment (one-hot), a float and an int64 column
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
seg_tr = np.where(Xtr[:, 1] < 35, "young", np.where(Xtr[:, 1] < 60, "middle", "senior"))
typed_tr = pd.DataFrame({"segment": seg_tr, "income_k": Xtr[:, 0].astype(np.float32),
                         "late_payments": Xtr[:, 5].astype(np.int64)})
pipe = Pipeline([
    ("prep", ColumnTransformer([("seg", OneHotEncoder(), ["segment"]),
                                ("num", "passthrough", ["income_k", "late_payments"])])),
    ("lr", LogisticRegression(max_iter=2000)),
]).fit(typed_tr, ytr)
typed = to_onnx(pipe, initial_types=[("segment", StringTensorType([None, 1])),
                                     ("income_k", FloatTensorType([None, 1])),
                                     ("late_payments", Int64TensorType([None, 1]))],
                options={id(pipe.steps[-1][1]): {"zipmap": False}})
onnx.save(typed, os.path.join(FIX, "typed_inputs.onnx"))
s6 = ort.InferenceSession(os.path.join(FIX, "typed_inputs.onnx"))
feeds = {"segment": ho["segment"].to_numpy().reshape(-1, 1).astype(object),
         "income_k": ho["income_k"].to_numpy(np.float32).reshape(-1, 1),
         "late_payments": ho["late_payments"].to_numpy(np.int64).reshape(-1, 1)}
expected["typed_inputs"] = {"probability": s6.run(None, feeds)[1][:, 1].astype(np.float64).tolist()}

# a model that outputs raw logits [N, 2] (as many PyTorch exports do): Verdict softmaxes them
Wl = rng.normal(0, 0.05, (8, 2)).astype(np.float32)
g = helper.make_graph(
    [helper.make_node("MatMul", ["X", "W"], ["logits"])], "logits",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 8])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])],
    [helper.make_tensor("W", TensorProto.FLOAT, [8, 2], Wl.flatten().tolist())])
lm = helper.make_model(g, producer_name="verdict-tests", opset_imports=[helper.make_opsetid("", 17)])
lm.ir_version = 8
onnx.save(lm, os.path.join(FIX, "logits.onnx"))
s7 = ort.InferenceSession(os.path.join(FIX, "logits.onnx"))
lg = s7.run(None, {"X": X32})[0].astype(np.float64)
expected["logits"] = {"probability": (1 / (1 + np.exp(lg[:, 0] - lg[:, 1]))).tolist()}

with open(os.path.join(FIX, "expected.json"), "w") as f:
    json.dump(expected, f)
print("champion AUC", expected["champion"]["auc"], "challenger AUC", expected["challenger"]["auc"],
      "diff rate", expected["diff_rate"])
