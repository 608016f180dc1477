#!/usr/bin/env bash
# Benchmark: files larger than memory. A rollout log of ROWS requests (default 100M, 2M
# users, a four-stage hash ramp over 14 days, Parquet in 1M-row groups, written in batches)
# analysed with `verdict analyze --stream on`: wall time and peak RSS (the bound: 4 GB).
# Then the 10M-row rollout log of benches/rollout.sh both ways — streamed and in memory —
# with their reports compared number by number.
# usage: bash benches/stream.sh [ROWS] [USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000000}
u=${2:-2000000}
cargo build --release --quiet
venv=bench_out/venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet numpy pyarrow pandas scipy; }
py="$venv/bin/python"
dir=bench_out/stream_${n}_${u}
mkdir -p "$dir"
[ -f "$dir/log.parquet" ] || "$py" benches/stream.py "$n" "$u" "$dir/log.parquet"
ls -l "$dir/log.parquet"
/usr/bin/time -f "streamed $n rows: %e s, %M KB peak RSS" \
  target/release/verdict analyze "$dir/log.parquet" --stream on --out "$dir/report.json"
"$py" - "$dir/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("rows:", r["input"]["rows_valid"], "users:", r["assignment"]["users"], "backend:", r["backend"])
print("stages:", [(s["start"], s["units"]) for s in r["stages"]])
for t in r["tests"]:
    print(f'{t["metric"]:12s} diff {t["diff"]:+.6f} [{t["ci_low"]:+.6f}, {t["ci_high"]:+.6f}] p {t["p_value"]:.3g}')
PY
ten=bench_out/rollout_10000000_1000000
mkdir -p "$ten"
[ -f "$ten/log.parquet" ] || "$py" benches/rollout.py 10000000 1000000 "$ten/log.parquet"
/usr/bin/time -f "10M rows streamed: %e s, %M KB peak RSS" \
  target/release/verdict analyze "$ten/log.parquet" --stream on --out "$ten/report_stream.json"
/usr/bin/time -f "10M rows in memory: %e s, %M KB peak RSS" \
  target/release/verdict analyze "$ten/log.parquet" --stream off --out "$ten/report.json"
"$py" - "$ten/report.json" "$ten/report_stream.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("backend", None); b.pop("backend", None)
worst, bad = 0.0, []
def walk(p, x, y):
    global worst
    if isinstance(x, dict):
        if set(x) != set(y): bad.append(p + ": fields"); return
        for k in x: walk(p + "." + k, x[k], y[k])
    elif isinstance(x, list):
        if len(x) != len(y): bad.append(p + ": length"); return
        for i, (u, v) in enumerate(zip(x, y)): walk(f"{p}[{i}]", u, v)
    elif isinstance(x, float) or isinstance(y, float):
        rel = abs(x - y) / max(abs(y), 1e-300)
        worst = max(worst, rel)
        if rel > (1e-6 if "p_value" in p else 1e-9): bad.append(f"{p}: {x} vs {y}")
    elif x != y: bad.append(f"{p}: {x} vs {y}")
walk("", a, b)
print(f"10M rows: streamed vs in-memory report: {len(bad)} differences, worst relative {worst:.1e}")
for d in bad[:10]: print("  ", d)
PY
