#!/usr/bin/env bash
# Benchmark: `verdict shadow` on N paired requests (2N records, default 10M pairs) against
# `verdict analyze` on the same rows (the mode column as the group, requests as the unit).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
cargo build --release --quiet
venv=bench_out/venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet numpy pyarrow pandas scipy; }
dir=bench_out/shadow
mkdir -p "$dir"
log="$dir/shadow_${n}.parquet"
[ -f "$log" ] || (cd "$dir" && "../../$venv/bin/python" ../../benches/shadow.py "$n")
for i in 1 2 3; do
  /usr/bin/time -f "shadow, run $i: %e s, %M KB peak RSS" \
    target/release/verdict shadow "$log" --out "$dir/shadow.json"
  /usr/bin/time -f "analyze (same rows), run $i: %e s, %M KB peak RSS" \
    target/release/verdict analyze "$log" --column group=mode --unit request --out "$dir/analyze.json"
done
