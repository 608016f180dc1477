#!/usr/bin/env bash
# Benchmark: `verdict compare` replay throughput and permutation-importance cost on a ROWS-row
# holdout (default 100000) with the sample models, and the replay of a torch export (dynamo,
# external weights, one logit output), against Python onnxruntime running the same models
# batched (benches/replay_baseline.py), in one invocation.
# usage: bash benches/replay.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
cargo build --release --quiet
python3 -c "import onnxruntime, pandas, sklearn" 2>/dev/null || python3 -m pip install --quiet onnxruntime==1.31.1 pandas scikit-learn
dir=bench_out/replay_$n
mkdir -p "$dir"
[ -f "$dir/holdout.csv" ] || python3 - "$n" "$dir/holdout.csv" <<'PY'
import sys
import numpy as np, pandas as pd
n, out = int(sys.argv[1]), sys.argv[2]
src = pd.read_csv("sample_data/models/holdout.csv")
rng = np.random.default_rng(1)
df = src.sample(n, replace=True, random_state=1).reset_index(drop=True)
for c in ["income_k", "utilization", "region_risk"]:
    df[c] = df[c] * (1 + rng.normal(0, 0.05, n))
df.to_csv(out, index=False)
PY
features=income_k,age,tenure_months,num_accounts,utilization,late_payments,inquiries_6m,region_risk
best_v='' ; best_p=''
for i in 1 2 3; do
  v=$(target/release/verdict compare sample_data/models/champion.onnx sample_data/models/challenger \
      --holdout "$dir/holdout.csv" --repeats 5 --seed 0 |
      python3 -c "import json,sys; r=json.load(sys.stdin); print(r['champion']['replay_seconds'], r['challenger']['replay_seconds'], r['importance']['seconds'])")
  p=$(python3 benches/replay_baseline.py sample_data/models/champion.onnx sample_data/models/challenger/model.onnx "$dir/holdout.csv" "$features" 5 |
      python3 -c "import json,sys; r=json.load(sys.stdin); print(r['champion_s'], r['challenger_s'], r['importance_s'])")
  echo "run $i: verdict champion/challenger/importance s: $v | python: $p"
  best_v="$best_v
$v"; best_p="$best_p
$p"
done
python3 - "$n" <<PY
import sys
n = int(sys.argv[1])
v = [list(map(float, l.split())) for l in """$best_v""".strip().splitlines()]
p = [list(map(float, l.split())) for l in """$best_p""".strip().splitlines()]
vb = [min(r[i] for r in v) for i in range(3)]
pb = [min(r[i] for r in p) for i in range(3)]
print(f"rows {n}; best of 3 runs")
for i, who in enumerate(["champion (logistic regression, ZipMap)", "challenger (gradient-boosted trees)"]):
    print(f"  {who}: verdict {n/vb[i]:,.0f} rows/s ({vb[i]*1000:.1f} ms), python onnxruntime {n/pb[i]:,.0f} rows/s ({pb[i]*1000:.1f} ms), ratio {pb[i]/vb[i]:.2f}")
replays = 8 * 5
plain = replays * (vb[0] + vb[1])
print(f"  permutation importance 8 features x 5 repeats: verdict {vb[2]:.2f} s = {vb[2]/plain:.2f}x the {replays} plain replays of each model ({plain:.2f} s); python loop {pb[2]:.2f} s")
PY
# a torch export (tests/fixtures/models/torch/mlp.onnx + .data, [N, 1] logit): replay only
t_v=''; t_p=''
for i in 1 2 3; do
  v=$(target/release/verdict compare tests/fixtures/models/torch/mlp.onnx tests/fixtures/models/torch/mlp.onnx \
      --holdout "$dir/holdout.csv" --output champion=logit --output challenger=logit --repeats 0 --bootstrap 0 |
      python3 -c "import json,sys; r=json.load(sys.stdin); print(r['champion']['replay_seconds'])")
  p=$(python3 benches/replay_baseline.py tests/fixtures/models/torch/mlp.onnx tests/fixtures/models/torch/mlp.onnx "$dir/holdout.csv" "$features" 0 |
      python3 -c "import json,sys; r=json.load(sys.stdin); print(r['champion_s'])")
  t_v="$t_v $v"; t_p="$t_p $p"
done
python3 - "$n" "$t_v" "$t_p" <<'PY'
import sys
n = int(sys.argv[1]); v = min(map(float, sys.argv[2].split())); p = min(map(float, sys.argv[3].split()))
print(f"  torch MLP (dynamo export, external weights, logit): verdict {n/v:,.0f} rows/s ({v*1000:.1f} ms), python onnxruntime {n/p:,.0f} rows/s ({p*1000:.1f} ms), ratio {p/v:.2f}")
PY
