#!/usr/bin/env bash
# Benchmark: `verdict analyze` against the Python baseline (benches/baseline.py) on generated
# logs, in one invocation. Reports wall time, rows/s and peak RSS for each format and size.
#
# usage: bash benches/run.sh [ROWS ...]      (default: 1000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000 10000000)
cargo build --release --quiet
python3 -c "import pandas, pyarrow, scipy, statsmodels, sklearn" 2>/dev/null || python3 -m pip install --quiet pandas pyarrow scipy statsmodels scikit-learn
bin=target/release/verdict
out=bench_out
mkdir -p "$out"
measure() { # prints "seconds peak_rss_mb"
  local log; log=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$log" "$@" > /dev/null
  awk '{printf "%s %.0f\n", $1, $2/1024}' "$log"; rm -f "$log"
}
printf "%-10s %-8s %10s %12s %10s | %10s %10s | %8s | %s\n" rows format verdict_s rows_per_s rss_mb python_s py_rss_mb speedup columnar_mb
for n in "${sizes[@]}"; do
  dir="$out/$n"
  if [ ! -f "$dir/experiment.parquet" ]; then
    "$bin" sample --out "$dir" --rows "$n" --seed 11 > /dev/null
  fi
  colmb=$(python3 -c "import pyarrow.parquet as pq; print(round(pq.read_table('$dir/experiment.parquet').nbytes/2**20))")
  for f in parquet jsonl csv log; do
    read -r vs vr < <(measure "$bin" analyze "$dir/experiment.$f" --plan "$dir/verdict.toml")
    if [ "$f" = log ] && [ "$n" -gt 2000000 ]; then
      # the line-by-line Python parser needs ~3 GB per million app-log lines: skip it past 2M
      ps=NA; pr=NA
    else
      read -r ps pr < <(measure python3 benches/baseline.py "$dir/experiment.$f")
    fi
    rps=$(python3 -c "print(f'{$n/$vs:,.0f}')")
    sp=$(python3 -c "print('NA' if '$ps'=='NA' else f'{$ps/$vs:.1f}x')")
    printf "%-10s %-8s %10s %12s %10s | %10s %10s | %8s | %s\n" "$n" "$f" "$vs" "$rps" "$vr" "$ps" "$pr" "$sp" "$colmb"
  done
done
echo
echo "dashboard (headless, CPU side of frames; first = smallest size, last = largest):"
cargo bench --quiet --bench dashboard -- "$out/${sizes[0]}/experiment.parquet" "$out/${sizes[${#sizes[@]}-1]}/experiment.parquet"
