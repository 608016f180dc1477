//! The pushed-down aggregates against a ClickHouse table of the rollout benchmark log, timed,
//! with the bytes that came back, and the per-stage user-level tests computed from them next
//! to the local engine's (from its report.json). Run by `bash benches/clickhouse.sh`.
//! usage: cargo bench --bench clickhouse_aggregates -- PORT REPORT.json

use std::time::Instant;
use verdict::analysis::rollout::unit_stats::{two_sided_t, UnitStatistic};
use verdict::clickhouse::aggregates::{self, Roles, Source, TimeUnit};
use verdict::clickhouse::{Client, Credentials, TableUrl};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let port: u16 = args.first().and_then(|p| p.parse().ok()).expect("PORT");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&args[1]).expect("REPORT.json")).unwrap();
    let client = Client::new("127.0.0.1", port, Credentials::default());
    let url = TableUrl {
        host: "127.0.0.1".into(),
        port,
        database: "verdict_bench".into(),
        table: "rollout".into(),
        user: None,
    };
    let roles = Roles {
        group: "group".into(),
        user: Some("user_id".into()),
        timestamp: Some("ts".into()),
        time_unit: TimeUnit::Millis,
        latency: Some("latency_ms".into()),
        metrics: vec!["converted".into(), "score".into()],
        ..Default::default()
    };
    let src = Source {
        client: &client,
        url: &url,
        filter: None,
        from_s: None,
        to_s: None,
        since_us: None,
        spill: None,
    };
    let t0 = Instant::now();
    let groups = aggregates::groups(&src, &roles).unwrap();
    let t_groups = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let leaked = aggregates::leaked_users(&src, &roles).unwrap();
    let t_leak = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let buckets = aggregates::buckets(&src, &roles, 3600).unwrap();
    let t_buckets = t2.elapsed().as_secs_f64();
    let stages = report["stages"].as_array().unwrap();
    let local_starts: Vec<i64> = stages
        .iter()
        .map(|s| s["start_us"].as_i64().unwrap())
        .collect();
    // the server detects the stages itself
    let td = Instant::now();
    let detected = verdict::clickhouse::stages::detect_stages(&src, &roles, "A")
        .unwrap()
        .unwrap();
    let t_detect = td.elapsed().as_secs_f64();
    println!(
        "stage detection {t_detect:.2} s: {} starts, {} the local engine's",
        detected.starts.len(),
        if detected.starts == local_starts {
            "equal to"
        } else {
            "DIFFERENT FROM"
        }
    );
    let starts: Vec<i64> = detected.starts[1..].to_vec();
    let t3 = Instant::now();
    let cells = aggregates::unit_moments(&src, &roles, "converted", &starts).unwrap();
    let t_units = t3.elapsed().as_secs_f64();
    let total = t0.elapsed().as_secs_f64();
    println!(
        "groups {t_groups:.2} s, leakage {t_leak:.2} s ({leaked} users), timeline {t_buckets:.2} s ({} rows), per-unit moments {t_units:.2} s ({} cells); total {total:.2} s; {} bytes in {} queries",
        buckets.len(),
        cells.len(),
        client.bytes_received(),
        client.queries()
    );
    for g in &groups {
        println!(
            "  group {}: {} requests, {} users",
            g.name, g.requests, g.users
        );
    }
    let alpha = report["alpha"].as_f64().unwrap_or(0.05);
    let mut worst: f64 = 0.0;
    for (i, s) in stages.iter().enumerate() {
        let Some(t) = s["tests"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["metric"] == "converted"))
        else {
            continue;
        };
        let stat = |g: &str| {
            let m = cells[&(g.to_string(), i as u16)];
            UnitStatistic {
                n: m.n,
                mean: m.ratio(),
                variance: m.ratio_variance(),
                unadjusted_mean: m.ratio(),
            }
        };
        let (a, b) = (
            stat(t["control"].as_str().unwrap()),
            stat(t["treatment"].as_str().unwrap()),
        );
        let r = two_sided_t(&a, &b, alpha);
        let rel = |x: f64, y: f64| ((x - y) / y.abs().max(1e-300)).abs();
        let e = rel(r.diff, t["diff"].as_f64().unwrap())
            .max(rel(r.t, t["statistic"].as_f64().unwrap()))
            .max(rel(r.df, t["df"].as_f64().unwrap()));
        worst = worst.max(e);
        println!(
            "  stage {i}: units {}/{} (local {}/{}), diff {:.6e} (local {:.6e}), t {:.6} (local {:.6})",
            a.n,
            b.n,
            t["units_control"],
            t["units_treatment"],
            r.diff,
            t["diff"].as_f64().unwrap(),
            r.t,
            t["statistic"].as_f64().unwrap()
        );
    }
    println!("  largest relative difference from the local engine: {worst:.2e}");
}
