"""Python baseline for `verdict drift`: the same per-feature statistics with pandas, numpy and
scipy in a loop (KS asymptotic, Wasserstein, PSI on reference deciles, chi-square).
usage: python3 benches/drift_baseline.py REFERENCE.parquet CURRENT.parquet"""
import json
import sys

import numpy as np
import pandas as pd
from scipy import stats


def psi(rc, cc):
    rs = rc / rc.sum()
    cs = cc / cc.sum()
    rs = np.where(rs == 0, 1e-4, rs)
    cs = np.where(cs == 0, 1e-4, cs)
    return float(np.sum((cs - rs) * np.log(cs / rs)))


ref = pd.read_parquet(sys.argv[1])
cur = pd.read_parquet(sys.argv[2])
out = []
for c in ref.columns:
    if pd.api.types.is_numeric_dtype(ref[c]):
        a = ref[c].dropna().to_numpy()
        b = cur[c].dropna().to_numpy()
        ks = stats.ks_2samp(a, b, method="asymp")
        edges = np.concatenate([[-np.inf], np.quantile(a, np.arange(1, 10) / 10), [np.inf]])
        p = psi(np.histogram(a, edges)[0], np.histogram(b, edges)[0])
        w = stats.wasserstein_distance(a, b)
        out.append([c, ks.statistic, ks.pvalue, p, w, w / np.std(a)])
    else:
        rc = ref[c].value_counts()
        cc = cur[c].value_counts()
        cats = sorted(set(rc.index) | set(cc.index))
        r = np.array([rc.get(k, 0) for k in cats], float)
        k = np.array([cc.get(k, 0) for k in cats], float)
        chi2, pv, dof, _ = stats.chi2_contingency(np.vstack([r, k]), correction=False)
        out.append([c, chi2, pv, psi(r, k)])
print(json.dumps(out)[:200])
