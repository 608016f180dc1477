#!/usr/bin/env bash
# Benchmark: `verdict analyze` on one large two-group Parquet log (default 20M rows), with
# Welch intervals at millions of observations per group checked against scipy on the same
# rows. Before Verdict owned its distribution functions, this run never finished (statrs'
# Student-t inverse looped for df > 1.5e7).
# usage: bash benches/large.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000000}
cargo build --release --quiet
venv=bench_out/venv
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet numpy pyarrow pandas scipy; }
py="$venv/bin/python"
dir=bench_out/large_$n
mkdir -p "$dir"
[ -f "$dir/log.parquet" ] || "$py" benches/large.py write "$n" "$dir/log.parquet"
cat "$dir/log.parquet" > /dev/null
for i in 1 2 3; do
  /usr/bin/time -f "verdict analyze run $i: %e s, %M KB peak RSS" \
    target/release/verdict analyze "$dir/log.parquet" --out "$dir/report.json"
done
"$py" benches/large.py check "$dir/log.parquet" "$dir/report.json"
