"""Python baseline for `verdict compare`: onnxruntime replaying the same models batched (one
run over the whole holdout per model, default threads), and the equivalent permutation
importance loop. Prints JSON with wall times.
usage: python3 benches/replay_baseline.py CHAMPION.onnx CHALLENGER.onnx HOLDOUT.csv FEATURES REPEATS"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn.metrics import roc_auc_score

champion, challenger, holdout, features, repeats = sys.argv[1:6]
features = features.split(",")
repeats = int(repeats)
df = pd.read_csv(holdout)
X = df[features].to_numpy(np.float32)
y = df["label"].to_numpy()


def probs(sess, X):
    outs = sess.run(None, {sess.get_inputs()[0].name: X})
    if len(outs) == 1:  # one [N, 1] logit
        return 1.0 / (1.0 + np.exp(-outs[0][:, 0]))
    out = outs[1]
    if isinstance(out, list):  # ZipMap
        return np.array([d[1] for d in out])
    return out[:, 1]


t0 = time.perf_counter()
s1 = ort.InferenceSession(champion)
s2 = ort.InferenceSession(challenger)
t_load = time.perf_counter() - t0
t0 = time.perf_counter()
p1 = probs(s1, X)
t1 = time.perf_counter() - t0
t0 = time.perf_counter()
p2 = probs(s2, X)
t2 = time.perf_counter() - t0
rng = np.random.default_rng(0)
t0 = time.perf_counter()
base = (roc_auc_score(y, p1), roc_auc_score(y, p2)) if repeats else (0.0, 0.0)
imp = {}
for j, f in enumerate(features):
    for r in range(repeats):
        Xp = X.copy()
        Xp[:, j] = Xp[rng.permutation(len(Xp)), j]
        imp.setdefault(f, []).append((base[0] - roc_auc_score(y, probs(s1, Xp)), base[1] - roc_auc_score(y, probs(s2, Xp))))
t_imp = time.perf_counter() - t0
print(json.dumps({"rows": len(X), "load_s": t_load, "champion_s": t1, "challenger_s": t2,
                  "champion_rows_per_s": len(X) / t1, "challenger_rows_per_s": len(X) / t2,
                  "importance_s": t_imp}))
