#!/usr/bin/env bash
# Benchmark: the rollout log (default 10M rows, 1M users, four-stage ramp) loaded into a local
# clickhouse-server (Debian's 18.16, started here as a plain process), the pushed-down
# aggregates timed with the bytes that come back, against `verdict analyze` on the Parquet
# file; the per-stage user-level tests from ClickHouse's aggregates are printed next to the
# local engine's.
# usage: bash benches/clickhouse.sh [ROWS] [USERS]
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
server=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
[ -x "$server" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y clickhouse-server >/dev/null
ch=$(pwd)/bench_out/clickhouse
port=18124
mkdir -p "$ch"
cat > "$ch/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$ch/server.log</log><errorlog>$ch/error.log</errorlog><console>0</console></logger>
  <http_port>$port</http_port><tcp_port>19124</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>$ch/data/</path><tmp_path>$ch/tmp/</tmp_path><user_files_path>$ch/user_files/</user_files_path>
  <format_schema_path>$ch/format_schemas/</format_schema_path><users_config>$ch/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size><timezone>UTC</timezone>
</yandex>
XML
cat > "$ch/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>12000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
"$server" --config-file="$ch/config.xml" >"$ch/stdout.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$port/ping" | grep -q Ok && break; sleep 0.3; done
q() { curl -sf "http://127.0.0.1:$port/" --data-binary "$1"; }
q "CREATE DATABASE IF NOT EXISTS verdict_bench"
rows=$(q "SELECT count() FROM verdict_bench.rollout" 2>/dev/null || echo 0)
if [ "$rows" != "$n" ]; then
  q "DROP TABLE IF EXISTS verdict_bench.rollout"
  q "CREATE TABLE verdict_bench.rollout (ts Int64, user_id String, \`group\` String, latency_ms Float64, score Float64, converted Int8) ENGINE = MergeTree() ORDER BY (\`group\`, user_id)"
  start=$(date +%s)
  "$venv/bin/python" - "$dir/log.parquet" <<'PY' | curl -sf "http://127.0.0.1:$port/?query=INSERT%20INTO%20verdict_bench.rollout%20FORMAT%20TabSeparated" --data-binary @-
import sys, pyarrow.parquet as pq, pyarrow.compute as pc, pyarrow.csv as pcsv, pyarrow as pa
f = pq.ParquetFile(sys.argv[1])
out = sys.stdout.buffer
for b in f.iter_batches(batch_size=1_000_000):
    t = pa.table({"ts": pc.cast(b.column("ts"), pa.int64()), "user_id": b.column("user_id"), "group": b.column("group"),
                  "latency_ms": b.column("latency_ms"), "score": b.column("score"), "converted": b.column("converted")})
    pcsv.write_csv(t, out, pcsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
PY
  echo "loaded $n rows into ClickHouse in $(( $(date +%s) - start )) s"
fi
[ -f "$dir/report.json" ] || target/release/verdict analyze "$dir/log.parquet" --out "$dir/report.json"
for i in 1 2 3; do
  /usr/bin/time -f "local: verdict analyze (whole report) run $i: %e s, %M KB peak RSS" \
    target/release/verdict analyze "$dir/log.parquet" --out "$dir/report.json"
  /usr/bin/time -f "clickhouse: pushed-down aggregates run $i: %e s, %M KB peak RSS (client)" \
    cargo bench --quiet --bench clickhouse_aggregates -- "$port" "$dir/report.json"
  /usr/bin/time -f "clickhouse: verdict analyze clickhouse:// (whole report) run $i: %e s, %M KB peak RSS (client)" \
    target/release/verdict analyze "clickhouse://127.0.0.1:$port/verdict_bench.rollout" \
      --column timestamp=ts --column user=user_id --column group=group --column latency=latency_ms \
      --out "$dir/report_clickhouse.json"
done
# the two reports' statistics side by side
"$venv/bin/python" - "$dir/report.json" "$dir/report_clickhouse.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print("backend:", {k: b["backend"][k] for k in ("queries", "bytes_received")})
print("stages local", [s["start_us"] for s in a["stages"]], "clickhouse", [s["start_us"] for s in b["stages"]])
worst = 0.0
for t in a["tests"]:
    u = next((x for x in b["tests"] if x["metric"] == t["metric"] and x["treatment"] == t["treatment"]), None)
    if u is None:
        print("not pushed down:", t["metric"]); continue
    for k in ("diff", "ci_low", "ci_high", "statistic", "control_value", "treatment_value"):
        if t[k] is not None and u[k] is not None:
            worst = max(worst, abs(t[k] - u[k]) / max(abs(t[k]), 1e-300))
    assert t["control_n"] == u["control_n"] and t["units_control"] == u["units_control"], t["metric"]
print(f"largest relative difference of a test statistic: {worst:.2e}")
print("decision local", a["recommendation"]["action"], "clickhouse", b["recommendation"]["action"])
PY
