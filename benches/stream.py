"""Writes a large rollout log as Parquet in batches for `bash benches/stream.sh` (memory
holds one batch): ROWS requests of USERS users (heavy users: lognormal activity), assigned
by a hash of the user id under a ramp 1 -> 5 -> 20 -> 50 % over four equal stages of two
weeks, with latency, score, a conversion flag and a country; row groups of 1M rows.

usage: python3 benches/stream.py ROWS USERS FILE
"""
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BATCH = 5_000_000


def main(rows: int, users: int, path: str) -> None:
    rng = np.random.default_rng(13)
    weight = rng.lognormal(0.0, 1.2, users)
    p = weight / weight.sum()
    span_ms = 14 * 86_400_000
    countries = np.array(["de", "fr", "us", "jp"])
    writer = None
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        user = rng.choice(users, size=n, p=p)
        bucket = (user * 2654435761 % 2**32) % 100
        # this batch's slice of the two weeks, in time order
        t = (start + np.sort(rng.random(n)) * n) / rows
        stage = np.minimum((t * 4).astype(np.int64), 3)
        pct = np.array([1, 5, 20, 50])[stage]
        treat = bucket < pct
        ts = (1_765_000_000_000 + (t * span_ms).astype(np.int64)).astype("datetime64[ms]")
        table = pa.table(
            {
                "ts": pa.array(ts),
                "user_id": pa.array(np.char.add("u", user.astype(str))),
                "group": pa.array(np.where(treat, "B", "A")),
                "latency_ms": pa.array(rng.lognormal(3.0, 0.5, n)),
                "score": pa.array(rng.random(n)),
                "converted": pa.array((rng.random(n) < np.where(treat, 0.102, 0.1)).astype(np.int8)),
                "country": pa.array(countries[user % 4]),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=1_000_000)
        print(f"{start + n:,} rows", file=sys.stderr)
    writer.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
