"""Writes a large two-group experiment log as Parquet for `bash benches/large.sh`, and checks
Verdict's Welch results on it against scipy.

usage: python3 benches/large.py write ROWS FILE
       python3 benches/large.py check FILE REPORT.json
"""
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write(rows: int, path: str) -> None:
    rng = np.random.default_rng(20)
    group = np.where(rng.random(rows) < 0.5, "A", "B")
    treat = group == "B"
    # latency in ms (lognormal) and an order value (gamma), the treatment slightly slower
    latency = rng.lognormal(3.0, 0.5, rows) * np.where(treat, 1.002, 1.0)
    value = rng.gamma(2.0, 10.0, rows) + np.where(treat, 0.01, 0.0)
    converted = (rng.random(rows) < np.where(treat, 0.101, 0.1)).astype(np.int8)
    ts = (1_765_000_000_000 + np.arange(rows, dtype=np.int64) * 60_000 // 1000).astype("datetime64[ms]")
    table = pa.table(
        {
            "ts": pa.array(ts),
            "group": pa.array(group),
            "user_id": pa.array(np.char.add("u", (np.arange(rows) % 5_000_000).astype(str))),
            "latency_ms": pa.array(latency),
            "order_value": pa.array(value),
            "converted": pa.array(converted),
        }
    )
    pq.write_table(table, path, compression="zstd")


def check(path: str, report_path: str) -> None:
    from scipy import stats

    t = pq.read_table(path, columns=["group", "latency_ms", "order_value"]).to_pandas()
    report = json.load(open(report_path))
    a = t[t.group == "A"]
    b = t[t.group == "B"]
    worst = 0.0
    for col in ["latency_ms", "order_value"]:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        res = stats.ttest_ind(y, x, equal_var=False)
        ci = res.confidence_interval(0.95)
        row = next(r for r in report["tests"] if r["metric"] == col)
        for name, want, got in [
            ("t", res.statistic, row["statistic"]),
            ("df", res.df, row["df"]),
            ("ci_low", ci.low, row["ci_low"]),
            ("ci_high", ci.high, row["ci_high"]),
        ]:
            rel = abs(got - want) / abs(want)
            worst = max(worst, rel)
            print(f"{col:12s} {name:8s} scipy {want:.15g} verdict {got:.15g} rel {rel:.1e}")
        rel_p = abs(row["p_value"] - res.pvalue) / max(res.pvalue, 1e-300)
        print(f"{col:12s} p        scipy {res.pvalue:.15g} verdict {row['p_value']:.15g} rel {rel_p:.1e}")
    print(f"worst relative difference of t, df, CI bounds: {worst:.1e}")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(int(sys.argv[2]), sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3])
