"""A binary classifier exported without its sigmoid (one [N, 1] logit output, as models trained
with BCEWithLogitsLoss are exported), and its probabilities from onnxruntime.

Run from the repository root (needs `pip install onnx onnxruntime numpy`):
    python3 tests/reference/make_logit_model.py
Writes tests/fixtures/models/logit_n1.onnx (and logit_n1_renamed.onnx, its input renamed), a
bundle folder logit_bundle/ (model.onnx +
bundle.toml declaring `output = "logit"`) and logit_n1.json (sigmoid of the logit for every
holdout row, from onnxruntime's own output).
"""
import json
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
import csv
from onnx import TensorProto, helper, numpy_helper

F = "tests/fixtures/models"
FEATURES = ["income_k", "age", "tenure_months", "num_accounts", "utilization",
            "late_payments", "inquiries_6m", "region_risk"]
w = np.array([[0.01], [-0.02], [0.003], [0.1], [-1.5], [-0.6], [-0.3], [-2.0]], dtype=np.float32)
b = np.array([1.2], dtype=np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["X", "W"], ["z"]), helper.make_node("Add", ["z", "B"], ["logit"])],
    "logit_n1",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 8])],
    [helper.make_tensor_value_info("logit", TensorProto.FLOAT, [None, 1])],
    [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="verdict-fixture")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save_model(model, f"{F}/logit_n1.onnx")
bundle = f"{F}/logit_bundle"
shutil.rmtree(bundle, ignore_errors=True)
os.makedirs(bundle)
onnx.save_model(model, f"{bundle}/model.onnx")
with open(f"{bundle}/bundle.toml", "w") as f:
    f.write('name = "logit_n1"\noutput = "logit"\n')
with open("sample_data/models/holdout.csv") as f:
    rows = list(csv.DictReader(f))
x = np.array([[float(r[c]) for c in FEATURES] for r in rows], dtype=np.float32)
sess = ort.InferenceSession(f"{F}/logit_n1.onnx")
z = sess.run(None, {"X": x})[0][:, 0].astype(np.float64)
# the same model with its input named differently (the alignment check compares columns)
renamed = onnx.load(f"{F}/logit_n1.onnx")
renamed.graph.input[0].name = "features"
renamed.graph.node[0].input[0] = "features"
onnx.checker.check_model(renamed)
onnx.save_model(renamed, f"{F}/logit_n1_renamed.onnx")
with open(f"{F}/logit_n1.json", "w") as f:
    json.dump({"probability": list(1.0 / (1.0 + np.exp(-z)))}, f)
