"""Generates the drift benchmark's data: reference and current Parquet files with ROWS rows
and 50 features each (40 numeric, 10 categorical), some of them shifted in current.
usage: python3 benches/make_drift_data.py ROWS OUT_DIR"""
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

rows = int(sys.argv[1])
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)
CATS = [f"c{i}" for i in range(12)]


def table(shift):
    cols = {}
    for i in range(40):
        s = shift * (0.3 if i % 4 == 0 else 0.0)
        x = rng.normal(s, 1.0 + 0.1 * shift * (i % 3 == 0), rows)
        if i % 10 == 9:
            x[rng.random(rows) < 0.02] = np.nan
        cols[f"num_{i:02d}"] = x
    base = np.linspace(1, 2, len(CATS))
    for i in range(10):
        p = base / base.sum()
        if shift and i % 3 == 0:
            p = p[::-1]
        cols[f"cat_{i}"] = rng.choice(CATS, rows, p=p)
    return pa.table(cols)


pq.write_table(table(0.0), os.path.join(out, "reference.parquet"))
pq.write_table(table(1.0), os.path.join(out, "current.parquet"))
