#!/usr/bin/env bash
# Benchmark: `verdict drift` on ROWS rows x 50 features (40 numeric, 10 categorical) per side,
# against the Python/scipy loop (benches/drift_baseline.py), in one invocation.
# Best of 3 runs for Verdict and of 2 for Python, after reading the files once.
# usage: bash benches/drift.sh [ROWS]     (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
cargo build --release --quiet
python3 -c "import pandas, pyarrow, scipy" 2>/dev/null || python3 -m pip install --quiet pandas pyarrow scipy
dir=bench_out/drift_$n
[ -f "$dir/current.parquet" ] || python3 benches/make_drift_data.py "$n" "$dir"
measure() { # prints "seconds peak_rss_mb"
  local log; log=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$log" "$@" > /dev/null
  awk '{printf "%s %.0f\n", $1, $2/1024}' "$log"; rm -f "$log"
}
cat "$dir"/*.parquet > /dev/null   # both sides start from a warm page cache
vs=NA; ps=NA
for i in 1 2 3; do
  read -r t r < <(measure target/release/verdict drift "$dir/reference.parquet" "$dir/current.parquet")
  echo "verdict run $i: $t s, $r MB"
  if [ "$vs" = NA ] || python3 -c "import sys; sys.exit(0 if $t < $vs else 1)"; then vs=$t; vr=$r; fi
done
for i in 1 2; do
  read -r t r < <(measure python3 benches/drift_baseline.py "$dir/reference.parquet" "$dir/current.parquet")
  echo "python run $i: $t s, $r MB"
  if [ "$ps" = NA ] || python3 -c "import sys; sys.exit(0 if $t < $ps else 1)"; then ps=$t; pr=$r; fi
done
echo "best of each:"
printf "%-9s %-9s %9s %9s | %9s %9s | %s\n" rows features verdict_s rss_mb python_s py_rss_mb speedup
printf "%-9s %-9s %9s %9s | %9s %9s | %.1fx\n" "$n" 50 "$vs" "$vr" "$ps" "$pr" "$(python3 -c "print($ps/$vs)")"
