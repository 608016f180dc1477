"""Writes a rollout log for `bash benches/rollout.sh`: ROWS requests from USERS users
(heavy users: lognormal activity), assigned by a hash of the user id under a ramp
1 -> 5 -> 20 -> 50 % over four equal stages, with latency, score and a conversion flag.

usage: python3 benches/rollout.py ROWS USERS FILE
"""
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def main(rows: int, users: int, path: str) -> None:
    rng = np.random.default_rng(11)
    weight = rng.lognormal(0.0, 1.2, users)
    user = rng.choice(users, size=rows, p=weight / weight.sum())
    bucket = (user * 2654435761 % 2**32) % 100
    t = np.sort(rng.random(rows))
    stage = np.minimum((t * 4).astype(np.int64), 3)
    pct = np.array([1, 5, 20, 50])[stage]
    treat = bucket < pct
    span_ms = 14 * 86_400_000
    ts = (1_765_000_000_000 + (t * span_ms).astype(np.int64)).astype("datetime64[ms]")
    table = pa.table(
        {
            "ts": pa.array(ts),
            "user_id": pa.array(np.char.add("u", user.astype(str))),
            "group": pa.array(np.where(treat, "B", "A")),
            "latency_ms": pa.array(rng.lognormal(3.0, 0.5, rows)),
            "score": pa.array(rng.random(rows)),
            "converted": pa.array((rng.random(rows) < 0.1).astype(np.int8)),
        }
    )
    pq.write_table(table, path)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
