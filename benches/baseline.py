"""Python baseline for `verdict analyze`: the same statistics with pandas (pyarrow readers),
numpy, scipy, statsmodels and sklearn. Used by benches/run.sh, timed side by side.

usage: python3 benches/baseline.py FILE
"""
import re
import sys

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.json as pajson
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

path = sys.argv[1]
if path.endswith(".parquet"):
    df = pd.read_parquet(path)
elif path.endswith(".jsonl"):
    # pyarrow's JSON reader cannot skip malformed lines; keep only lines that parse
    opts = pajson.ParseOptions(unexpected_field_behavior="infer")
    try:
        df = pajson.read_json(path, parse_options=opts).to_pandas()
    except Exception:
        import io
        import json
        good = []
        with open(path) as f:
            for line in f:
                try:
                    o = json.loads(line)
                    if isinstance(o, dict) and not isinstance(o.get("latency_ms"), str):
                        good.append(line)
                except Exception:
                    pass
        df = pajson.read_json(io.BytesIO("".join(good).encode()), parse_options=opts).to_pandas()
elif path.endswith(".csv"):
    df = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(invalid_row_handler=lambda r: "skip")).to_pandas()
    df["latency_ms"] = pd.to_numeric(df["latency_ms"], errors="coerce")
else:  # app log
    rows = []
    pat = re.compile(r"^\[([^\]]+)\].*?(ab_event|model_error)\|(.*)$")
    with open(path) as f:
        for line in f:
            m = pat.match(line)
            if not m:
                continue
            kv = dict(p.split("=", 1) for p in m.group(3).strip().split("|") if "=" in p)
            kv["ts"] = m.group(1).replace(",", ".")
            if m.group(2) == "model_error":
                kv.setdefault("error", "model_error")
            rows.append(kv)
    df = pd.DataFrame(rows).rename(columns={"user": "user_id"})
    for c in ["latency_ms", "score", "label", "converted", "revenue"]:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    first = df.dropna(subset=["group"]).groupby("user_id")["group"].first()
    df["group"] = df["group"].fillna(df["user_id"].map(first))

df = df.dropna(subset=["group"])
df["is_error"] = df["error"].notna()
A, B = "A", "B"
out = {}
for g, part in df.groupby("group"):
    lat = part.latency_ms.dropna().to_numpy()
    lab = part.dropna(subset=["score", "label"])
    out[g] = dict(
        requests=len(part), users=part.user_id.nunique(), error_rate=part.is_error.mean(),
        p=np.percentile(lat, [50, 95, 99]), mean=lat.mean(), conv=part.converted.mean(),
        rev=part.revenue.mean(), score=part.score.mean(), auc=roc_auc_score(lab.label, lab.score),
    )
leak = (df.groupby("user_id")["group"].nunique() > 1).sum()
obs = df.group.value_counts().sort_index()
srm = stats.chisquare(obs.to_numpy())


def tests(frame):
    a, b = frame[frame.group == A], frame[frame.group == B]
    ca, cb = a.converted.dropna(), b.converted.dropna()
    z = proportions_ztest([cb.sum(), ca.sum()], [len(cb), len(ca)])
    w1 = stats.ttest_ind(b.revenue.dropna(), a.revenue.dropna(), equal_var=False)
    w2 = stats.ttest_ind(b.latency_ms.dropna(), a.latency_ms.dropna(), equal_var=False)
    return [z[1], w1.pvalue, w2.pvalue]


main = tests(df)
for col in ["device", "country"]:
    ps = [tests(part) for _, part in df.groupby(col)]
    for k in range(3):
        multipletests([p[k] for p in ps], method="holm")
df["bucket"] = pd.to_datetime(df.ts, format="ISO8601").dt.floor("1h")
tl = df.groupby(["bucket", "group"]).agg(
    requests=("group", "size"), error_rate=("is_error", "mean"),
    p50=("latency_ms", lambda s: np.percentile(s.dropna(), 50)),
    p95=("latency_ms", lambda s: np.percentile(s.dropna(), 95)),
    p99=("latency_ms", lambda s: np.percentile(s.dropna(), 99)),
    conv=("converted", "mean"), rev=("revenue", "mean"))
print(f"rows={len(df)} groups={len(out)} leak={leak} srm_p={srm.pvalue:.4g} p={main} buckets={len(tl)}")
