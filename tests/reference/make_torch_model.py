"""A PyTorch binary classifier exported the way torch exports by default: the dynamo
exporter (`torch.onnx.export(..., dynamo=True)`, torch's default) with its weights in an
external data file (`external_data=True`: mlp.onnx + mlp.onnx.data), and one [N, 1] logit
output (trained with BCEWithLogitsLoss, no sigmoid in the graph). Also the legacy
TorchScript exporter's file (`dynamo=False`, weights inside) of the same module.

Reference: onnxruntime's own logits for every holdout row through a sigmoid, their AUC
(scikit-learn) and torch's own sigmoid outputs.

Run from the repository root (throwaway venv with torch, onnxscript, onnxruntime==1.31.1,
scikit-learn, pandas):
    /tmp/mlv/bin/python tests/reference/make_torch_model.py
"""
import json
import os

import numpy as np
import onnxruntime as ort
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score

OUT = "tests/fixtures/models/torch"
FEATURES = ["income_k", "age", "tenure_months", "num_accounts", "utilization",
            "late_payments", "inquiries_6m", "region_risk"]
os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))
torch.manual_seed(0)
data = pd.read_csv("sample_data/models/holdout.csv")
x = torch.tensor(data[FEATURES].to_numpy(dtype=np.float32))
y = torch.tensor(data["label"].to_numpy(dtype=np.float32)).unsqueeze(1)
mean, std = x.mean(0), x.std(0)


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

    def forward(self, features):
        return self.net((features - self.mean) / self.std)


model = Mlp()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
loss = torch.nn.BCEWithLogitsLoss()
for _ in range(300):
    opt.zero_grad()
    l = loss(model(x[:1000]), y[:1000])
    l.backward()
    opt.step()
model.eval()
batch = torch.export.Dim("batch")
torch.onnx.export(model, (x[:4],), f"{OUT}/mlp.onnx", input_names=["features"],
                  output_names=["logit"], dynamo=True, external_data=True,
                  dynamic_shapes={"features": {0: batch}})
torch.onnx.export(model, (x[:4],), f"{OUT}/mlp_legacy.onnx", input_names=["features"],
                  output_names=["logit"], dynamo=False,
                  dynamic_axes={"features": {0: "batch"}, "logit": {0: "batch"}})
so = ort.SessionOptions()
so.intra_op_num_threads = 1
sess = ort.InferenceSession(f"{OUT}/mlp.onnx", so)
z = sess.run(None, {"features": x.numpy()})[0][:, 0].astype(np.float64)
p = 1.0 / (1.0 + np.exp(-z))
with torch.no_grad():
    pt = torch.sigmoid(model(x))[:, 0].numpy().astype(np.float64)
ref = {"files": sorted(os.listdir(OUT)), "first_rows": p[:5].tolist(),
       "auc": float(roc_auc_score(data["label"], p)),
       "max_abs_vs_torch": float(np.abs(p - pt).max()), "torch": torch.__version__}
with open(f"{OUT}/reference.json", "w") as f:
    json.dump(ref, f, indent=1)
print(ref)
