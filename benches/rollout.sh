#!/usr/bin/env bash
# Benchmark: `verdict analyze` on a rollout log (default 10M rows, 1M users, a four-stage
# hash ramp), with the user as the unit (stages, per-user sums, combined tests) and with
# `--unit request` (the request-level analysis). Optionally against an older binary:
#   OLD=/path/to/verdict bash benches/rollout.sh [ROWS] [USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
u=${2:-1000000}
cargo build --release --quiet
venv=bench_out/venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet numpy pyarrow pandas scipy; }
dir=bench_out/rollout_${n}_${u}
mkdir -p "$dir"
[ -f "$dir/log.parquet" ] || "$venv/bin/python" benches/rollout.py "$n" "$u" "$dir/log.parquet"
cat "$dir/log.parquet" > /dev/null
for i in 1 2 3; do
  /usr/bin/time -f "user unit, run $i: %e s, %M KB peak RSS" \
    target/release/verdict analyze "$dir/log.parquet" --out "$dir/report.json"
  /usr/bin/time -f "request unit, run $i: %e s, %M KB peak RSS" \
    target/release/verdict analyze "$dir/log.parquet" --unit request --out "$dir/report_request.json"
  if [ -n "${OLD:-}" ]; then
    /usr/bin/time -f "previous binary ($OLD), run $i: %e s, %M KB peak RSS" \
      "$OLD" analyze "$dir/log.parquet" --out "$dir/report_old.json"
  fi
done
"$venv/bin/python" - "$dir/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("unit:", r["unit"], "stages:", [(s["start"], s["units"]) for s in r["stages"]])
PY
