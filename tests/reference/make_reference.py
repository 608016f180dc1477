"""Reference values for Verdict's statistics, computed with numpy/scipy/statsmodels/sklearn.

Run from the repository root:  python3 tests/reference/make_reference.py
Writes tests/fixtures/reference.json, which tests/reference_values.rs compares against
(relative tolerance 1e-9). The tests themselves need no Python.
"""
import json

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

ALPHA = 0.05
df = pd.read_parquet("sample_data/experiment.parquet")
df["is_error"] = df["error"].notna()
control, treatment = "A", "B"


def wald_ci(xc, nc, xt, nt):
    pc, pt = xc / nc, xt / nt
    se = np.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
    z = stats.norm.ppf(1 - ALPHA / 2)
    d = pt - pc
    return d - z * se, d + z * se


def prop_test(c, t):
    c, t = c.dropna(), t.dropna()
    xc, nc, xt, nt = c.sum(), len(c), t.sum(), len(t)
    z, p = proportions_ztest([xt, xc], [nt, nc])
    lo, hi = wald_ci(xc, nc, xt, nt)
    return dict(method="two_proportion_z", control_value=xc / nc, treatment_value=xt / nt,
                diff=xt / nt - xc / nc, ci_low=lo, ci_high=hi, statistic=z, p_value=p,
                relative_lift=(xt / nt - xc / nc) / (xc / nc))


def welch(c, t):
    c, t = c.dropna().to_numpy(), t.dropna().to_numpy()
    r = stats.ttest_ind(t, c, equal_var=False)
    ci = r.confidence_interval(1 - ALPHA)
    d = t.mean() - c.mean()
    return dict(method="welch_t", control_value=c.mean(), treatment_value=t.mean(), diff=d,
                ci_low=ci.low, ci_high=ci.high, statistic=r.statistic, df=r.df, p_value=r.pvalue,
                relative_lift=d / c.mean())


def tests_for(frame):
    a, b = frame[frame.group == control], frame[frame.group == treatment]
    return {
        "converted": prop_test(a.converted, b.converted),
        "revenue": welch(a.revenue, b.revenue),
        "latency_ms": welch(a.latency_ms, b.latency_ms),
    }


groups = {}
for g, part in df.groupby("group"):
    lat = part.latency_ms.to_numpy()
    lab = part.dropna(subset=["score", "label"])
    groups[g] = dict(
        requests=len(part), errors=int(part.is_error.sum()), error_rate=part.is_error.mean(),
        users=part.user_id.nunique(),
        latency_mean=lat.mean(), latency_p50=np.percentile(lat, 50), latency_p95=np.percentile(lat, 95),
        latency_p99=np.percentile(lat, 99),
        converted_n=int(part.converted.notna().sum()), converted_mean=part.converted.mean(),
        converted_sum=float(part.converted.sum()), revenue_mean=part.revenue.mean(),
        mean_score=part.score.mean(), auc=roc_auc_score(lab.label, lab.score),
    )

obs = df.group.value_counts().sort_index()
chi2, srm_p = stats.chisquare(obs.to_numpy(), [len(df) / 2] * 2)

# power for converted with the sample plan: MDE 0.02 absolute, alpha 0.05, power 0.8
p1 = groups["A"]["converted_mean"]
p2 = p1 + 0.02
pbar = (p1 + p2) / 2
za, zb = stats.norm.ppf(1 - ALPHA / 2), stats.norm.ppf(0.8)
n_req = (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / 0.02 ** 2

segments = {}
for method in ["holm", "fdr_bh"]:
    seg = {}
    for col in ["device", "country"]:
        values = sorted(df[col].dropna().unique())
        per_value = {v: tests_for(df[df[col] == v]) for v in values}
        for metric in ["converted", "revenue", "latency_ms"]:
            ps = [per_value[v][metric]["p_value"] for v in values]
            adj = multipletests(ps, method=method)[1]
            for v, a in zip(values, adj):
                per_value[v][metric]["p_value_adjusted"] = a
        seg[col] = per_value
    segments[method] = seg

# hourly timeline quantiles
ts = pd.to_datetime(df.ts)
df["bucket"] = ts.dt.floor("1h").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
timeline = []
for (bucket, g), part in df.groupby(["bucket", "group"]):
    timeline.append(dict(start=bucket, group=g, requests=len(part), error_rate=part.is_error.mean(),
                         latency_p50=np.percentile(part.latency_ms, 50),
                         latency_p95=np.percentile(part.latency_ms, 95),
                         latency_p99=np.percentile(part.latency_ms, 99),
                         converted=part.converted.mean()))

# small standalone cases
auc_ties = roc_auc_score([0, 0, 1, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9])
z_small, p_small = proportions_ztest([30, 45], [1000, 1000])
w = stats.ttest_ind([1.0, 2.0, 3.5, 4.0], [2.0, 2.5, 9.0, 7.0, 8.0], equal_var=False)

out = dict(
    groups=groups, tests=tests_for(df), srm=dict(chi2=chi2, p_value=srm_p), power=dict(required=n_req),
    segments=segments, timeline=timeline,
    standalone=dict(auc_ties=auc_ties, z_small=z_small, p_small=p_small, welch_t=w.statistic,
                    welch_df=w.df, welch_p=w.pvalue),
)


def clean(o):
    if isinstance(o, dict):
        return {str(k): clean(v) for k, v in o.items()}
    if isinstance(o, list):
        return [clean(v) for v in o]
    if isinstance(o, (np.floating, float)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    return o


with open("tests/fixtures/reference.json", "w") as f:
    json.dump(clean(out), f, indent=1)
print("wrote tests/fixtures/reference.json")
