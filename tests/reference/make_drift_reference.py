"""Reference values for Verdict's drift analysis (issue 4), from numpy/scipy.

Writes small datasets under tests/fixtures/drift/ and the expected statistics in
tests/fixtures/drift/expected.json. Conventions (as the issue states them):
  KS: scipy.stats.ks_2samp(method="asymp"); Wasserstein-1: scipy.stats.wasserstein_distance,
  normalised by numpy's std (ddof 0) of the reference; PSI: 10 bins whose inner edges are
  the reference deciles (np.quantile, linear) and outer edges +-inf, counted as
  np.histogram does, zero shares replaced by 1e-4, sum((cur-ref)*ln(cur/ref));
  categorical: scipy.stats.chi2_contingency(correction=False) on the 2xk table (categories
  new in current included), PSI over categories with the same floor.
Run: python3 tests/reference/make_drift_reference.py
"""
import json
import os

import numpy as np
import pandas as pd
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "drift")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261122)


def psi_from_counts(rc, cc):
    rs = rc / rc.sum()
    cs = cc / cc.sum()
    rs = np.where(rs == 0, 1e-4, rs)
    cs = np.where(cs == 0, 1e-4, cs)
    return float(np.sum((cs - rs) * np.log(cs / rs)))


def numeric(ref, cur):
    ref = ref[np.isfinite(ref)]
    cur = cur[np.isfinite(cur)]
    ks = stats.ks_2samp(ref, cur, method="asymp")
    edges = np.quantile(ref, np.arange(1, 10) / 10)
    bins = np.concatenate([[-np.inf], edges, [np.inf]])
    rc, _ = np.histogram(ref, bins)
    cc, _ = np.histogram(cur, bins)
    w = stats.wasserstein_distance(ref, cur)
    sd = np.std(ref)
    return {
        "kind": "numeric",
        "statistic": float(ks.statistic),
        "p_value": float(ks.pvalue),
        "psi": psi_from_counts(rc, cc),
        "wasserstein": float(w),
        "wasserstein_norm": float(w / sd) if sd > 0 else None,
        "bin_reference": (rc / rc.sum()).tolist(),
        "bin_current": (cc / cc.sum()).tolist(),
    }


def categorical(ref, cur):
    ref = [v for v in ref if v is not None and v == v]
    cur = [v for v in cur if v is not None and v == v]
    cats = sorted(set(ref) | set(cur))
    rc = np.array([ref.count(c) for c in cats], dtype=float)
    cc = np.array([cur.count(c) for c in cats], dtype=float)
    if len(cats) > 1:
        chi2, p, dof, _ = stats.chi2_contingency(np.vstack([rc, cc]), correction=False)
    else:
        chi2, p, dof = 0.0, 1.0, 0
    return {
        "kind": "categorical",
        "statistic": float(chi2),
        "p_value": float(p),
        "dof": int(dof),
        "psi": psi_from_counts(rc, cc),
        "shares": {c: [float(r / rc.sum()), float(k / cc.sum())] for c, r, k in zip(cats, rc, cc)},
    }


def describe(ref_df, cur_df, numeric_cols, cat_cols):
    out = {}
    for c in numeric_cols:
        e = numeric(ref_df[c].to_numpy(float), cur_df[c].to_numpy(float))
        e["null_rate_reference"] = float(ref_df[c].isna().mean())
        e["null_rate_current"] = float(cur_df[c].isna().mean())
        out[c] = e
    for c in cat_cols:
        e = categorical(list(ref_df[c]), list(cur_df[c]))
        e["null_rate_reference"] = float(ref_df[c].isna().mean())
        e["null_rate_current"] = float(cur_df[c].isna().mean())
        out[c] = e
    return out


def frame(n, shift, new_cat):
    df = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "age": np.round(rng.normal(40 + 3 * shift, 10, n), 1),
            "income": np.round(rng.lognormal(10 + 0.05 * shift, 0.6, n), 2),
            "clicks": rng.poisson(3 + shift, n).astype(float),
            "stable": rng.normal(0, 1, n),
            "tenure": np.where(rng.random(n) < 0.05 + 0.2 * shift, np.nan, rng.exponential(12, n)),
            "country": rng.choice(
                ["DE", "FR", "US", "UK"] + (["BR"] if new_cat else []),
                n,
                p=[0.4, 0.2, 0.3, 0.1] if not new_cat else [0.3, 0.2, 0.3, 0.1, 0.1],
            ),
            "device": rng.choice(["ios", "android", "web"], n, p=[0.3, 0.5, 0.2]),
        }
    )
    return df


expected = {}

# 1. two CSV files with a shift in age/income/clicks/tenure/country
ref = frame(3000, 0, False)
cur = frame(2500, 1, True)
ref.to_csv(os.path.join(OUT, "reference.csv"), index=False)
cur.to_csv(os.path.join(OUT, "current.csv"), index=False)
NUM = ["age", "income", "clicks", "stable", "tenure"]
CAT = ["country", "device"]
expected["files"] = {
    "reference_rows": len(ref),
    "current_rows": len(cur),
    "features": describe(ref, cur, NUM, CAT),
}

# 2. small samples: exercises the exact small-n KS paths (n <= 140)
small = {}
for i, (m, n, shift) in enumerate([(40, 35, 0.0), (30, 30, 0.8), (12, 9, 1.5), (200, 180, 0.25), (150, 290, 0.1), (8, 5, 3.0)]):
    a = np.round(rng.normal(0, 1, m), 3)
    b = np.round(rng.normal(shift, 1, n), 3)
    pd.DataFrame({"x": a}).to_csv(os.path.join(OUT, f"small_{i}_ref.csv"), index=False)
    pd.DataFrame({"x": b}).to_csv(os.path.join(OUT, f"small_{i}_cur.csv"), index=False)
    small[str(i)] = numeric(a, b)
expected["small"] = small

# 3. one JSON-lines log with nested features over 28 days; drift after day 14
rows = []
start = pd.Timestamp("2026-03-01T00:00:00Z")
for d in range(28):
    drift = 1.0 if d >= 14 else 0.0
    for k in range(120):
        ts = start + pd.Timedelta(days=d, minutes=int(k * 11))
        rows.append(
            {
                "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "request_id": f"r{d}-{k}",
                "model_version": "v1",
                "score": float(np.round(rng.random(), 4)),
                "features": {
                    "amount": float(np.round(rng.gamma(2 + drift, 20), 2)),
                    "hour": int(rng.integers(0, 24)),
                    "channel": str(rng.choice(["app", "web", "store"], p=[0.5, 0.3, 0.2] if not drift else [0.3, 0.3, 0.4])),
                },
            }
        )
with open(os.path.join(OUT, "log.jsonl"), "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
log = pd.json_normalize(rows)
log["t"] = pd.to_datetime(log["timestamp"])
split_at = pd.Timestamp("2026-03-15T00:00:00Z")
lref = log[log.t < split_at]
lcur = log[log.t >= split_at]
expected["split_at"] = {
    "at": "2026-03-15T00:00:00Z",
    "reference_rows": len(lref),
    "current_rows": len(lcur),
    "features": describe(lref, lcur, ["features.amount", "features.hour"], ["features.channel"]),
}
last = log.t.max()
wcur = log[(log.t > last - pd.Timedelta(days=7)) & (log.t <= last)]
wref = log[(log.t > last - pd.Timedelta(days=14)) & (log.t <= last - pd.Timedelta(days=7))]
expected["window_7d"] = {
    "reference_rows": len(wref),
    "current_rows": len(wcur),
    "features": describe(wref, wcur, ["features.amount", "features.hour"], ["features.channel"]),
}

# 4. the kstwo survival function itself over every method region
grid = []
for n in [1, 2, 3, 5, 10, 27, 50, 100, 140, 141, 500, 5000, 100000, 100001, 1000000]:
    xs = set()
    for c in [0.05, 0.3, 0.754, 0.8, 1.5, 2.19, 2.21, 3.9, 4.1, 10, 50, 300]:
        x = np.sqrt(c / n)
        if 0 < x < 1:
            xs.add(float(x))
    for t in [0.4, 0.6, 0.9]:
        if t / n < 1:
            xs.add(t / n)
    for x in [0.5, 0.7, 1 - 0.5 / n]:
        if 0 < x < 1:
            xs.add(float(x))
    for x in sorted(xs):
        grid.append([n, x, float(stats.kstwo.sf(x, n))])
expected["kstwo_sf"] = grid

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print("wrote", OUT)
