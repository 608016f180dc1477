//! A synthetic champion/challenger experiment, written in every supported format.
//!
//! Group `A` (champion `ranker_v1`) against group `B` (challenger `ranker_v2`): B converts
//! better (a real lift), has a slower latency tail and more errors, a small share of B's
//! requests fall back to `fallback_legacy`, a few users leak across groups, and each text
//! format carries a few malformed lines.

use crate::ingest::time::format_timestamp_us;
use polars::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Small deterministic PRNG (SplitMix64).
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    /// Uniform integer in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// One generated event, held only while writing (columns are written as they are made).
struct Event {
    ts_us: i64,
    request_id: String,
    user: String,
    group: &'static str,
    model: &'static str,
    version: &'static str,
    latency_ms: f64,
    error: Option<&'static str>,
    score: f64,
    pred: &'static str,
    label: u8,
    converted: u8,
    revenue: f64,
    device: &'static str,
    country: &'static str,
}

fn round_to(x: f64, places: i32) -> f64 {
    let m = 10f64.powi(places);
    (x * m).round() / m
}

fn make_events(rows: usize, seed: u64) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let start_us: i64 = 1_765_584_000_000_000; // 2025-12-13T00:00:00Z
    let span_us: i64 = 3 * 86_400 * 1_000_000;
    let users = (rows / 4).max(10);
    let mut events: Vec<Event> = Vec::with_capacity(rows);
    let mut seen_users: std::collections::HashMap<u64, &'static str> =
        std::collections::HashMap::new();
    for i in 0..rows {
        let ts_us = start_us + (i as i64 * span_us) / rows as i64 + rng.below(1000) as i64 * 1000;
        let ts_us = ts_us - ts_us % 1000;
        let uid = rng.below(users as u64);
        // stable assignment by user; 0.5% of users leak into the other group
        let mut group = if uid.is_multiple_of(2) { "A" } else { "B" };
        if uid % 200 == 7 && rng.uniform() < 0.3 {
            group = if group == "A" { "B" } else { "A" };
        }
        let treat = group == "B";
        let (mut model, version) = if treat {
            ("ranker_v2", "2.0.0")
        } else {
            ("ranker_v1", "1.4.2")
        };
        if treat && rng.uniform() < 0.01 {
            model = "fallback_legacy";
        }
        let tail = if treat && rng.uniform() < 0.03 {
            2.5 + rng.uniform() * 2.0
        } else {
            1.0
        };
        let base = if treat { 48.0 } else { 45.0 };
        let latency_ms = round_to(base * (0.35 * rng.normal()).exp() * tail, 3);
        let label = (rng.uniform() < 0.3) as u8;
        let sep = if treat { 1.1 } else { 0.8 };
        let logit = (label as f64 * 2.0 - 1.0) * sep + rng.normal();
        let score = round_to(1.0 / (1.0 + (-logit).exp()), 4);
        let p_conv = if treat { 0.12 } else { 0.10 };
        let converted = (rng.uniform() < p_conv) as u8;
        let revenue = if converted == 1 {
            round_to(
                20.0 + 15.0 * rng.uniform() + if treat { 1.0 } else { 0.0 },
                2,
            )
        } else {
            0.0
        };
        let device = ["mobile", "desktop", "tablet"][(rng.below(10) as usize).min(9) / 4];
        let country = ["US", "DE", "IN", "BR"][rng.below(4) as usize];
        let err_p = if treat { 0.012 } else { 0.006 };
        let mut error = None;
        if rng.uniform() < err_p && uid % 200 != 7 && seen_users.get(&uid) == Some(&group) {
            error = Some(if rng.uniform() < 0.7 {
                "timeout"
            } else {
                "model_oom"
            });
        }
        seen_users.entry(uid).or_insert(group);
        events.push(Event {
            ts_us,
            request_id: format!("req-{i:07}"),
            user: format!("u{uid:06}"),
            group,
            model,
            version,
            latency_ms,
            error,
            score,
            pred: if score >= 0.5 { "positive" } else { "negative" },
            label,
            converted,
            revenue,
            device,
            country,
        });
    }
    events
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn write_jsonl(path: &Path, events: &[Event]) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for (i, e) in events.iter().enumerate() {
        let ts = format_timestamp_us(e.ts_us);
        if let Some(err) = e.error {
            writeln!(
                w,
                r#"{{"ts":{},"event":"prediction","request_id":{},"user_id":{},"group":{},"model_name":{},"model_version":{},"latency_ms":{},"error":{},"device":{},"country":{}}}"#,
                json_str(&ts),
                json_str(&e.request_id),
                json_str(&e.user),
                json_str(e.group),
                json_str(e.model),
                json_str(e.version),
                e.latency_ms,
                json_str(err),
                json_str(e.device),
                json_str(e.country)
            )?;
        } else {
            writeln!(
                w,
                r#"{{"ts":{},"event":"prediction","request_id":{},"user_id":{},"group":{},"model_name":{},"model_version":{},"latency_ms":{},"score":{},"pred":{},"label":{},"converted":{},"revenue":{},"device":{},"country":{},"error":null}}"#,
                json_str(&ts),
                json_str(&e.request_id),
                json_str(&e.user),
                json_str(e.group),
                json_str(e.model),
                json_str(e.version),
                e.latency_ms,
                e.score,
                json_str(e.pred),
                e.label,
                e.converted,
                e.revenue,
                json_str(e.device),
                json_str(e.country)
            )?;
        }
        // a few malformed lines, as real logs have
        if i == 10 {
            writeln!(
                w,
                r#"{{"ts":"2025-12-13T00:01:00Z","request_id":"req-bad-1","user_id":"u000001","group":"A","latency_ms":"abc"}}"#
            )?;
        }
        if i == 20 {
            writeln!(
                w,
                r#"{{"ts":"2025-12-13T00:02:00Z","request_id":"req-bad-2","user_id":"u0"#
            )?;
        }
        if i == 30 {
            writeln!(w, "Traceback (most recent call last):")?;
            writeln!(w)?;
        }
    }
    w.flush()
}

fn write_csv(path: &Path, events: &[Event]) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(w, "ts,request_id,user_id,group,model_name,model_version,latency_ms,score,pred,label,converted,revenue,device,country,error")?;
    for (i, e) in events.iter().enumerate() {
        let ts = format_timestamp_us(e.ts_us);
        match e.error {
            Some(err) => writeln!(
                w,
                "{ts},{},{},{},{},{},{},,,,,,{},{},{err}",
                e.request_id,
                e.user,
                e.group,
                e.model,
                e.version,
                e.latency_ms,
                e.device,
                e.country
            )?,
            None => writeln!(
                w,
                "{ts},{},{},{},{},{},{},{},{},{},{},{},{},{},",
                e.request_id,
                e.user,
                e.group,
                e.model,
                e.version,
                e.latency_ms,
                e.score,
                e.pred,
                e.label,
                e.converted,
                e.revenue,
                e.device,
                e.country
            )?,
        }
        if i == 10 {
            writeln!(w, "2025-12-13T00:01:00Z,req-bad-1,u000001,A,ranker_v1,1.4.2,abc,0.5,positive,1,0,0,mobile,US,")?;
        }
        if i == 20 {
            writeln!(w, "2025-12-13T00:02:00Z,req-bad-2,u000002,B")?;
        }
    }
    w.flush()
}

fn write_applog(path: &Path, events: &[Event]) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(w, " * Serving Flask app 'app'")?;
    writeln!(w, " * Running on http://127.0.0.1:5000")?;
    writeln!(
        w,
        "WARNING: This is a development server. Do not use it in a production deployment."
    )?;
    for (i, e) in events.iter().enumerate() {
        let ts = format_timestamp_us(e.ts_us);
        let stamp = format!(
            "{} {},{}",
            &ts[..10],
            &ts[11..19],
            if ts.len() > 20 { &ts[20..23] } else { "000" }
        );
        match e.error {
            Some(err) => writeln!(
                w,
                "[{stamp}] ERROR in app: model_error|request_id={}|user={}|model={}|version={}|latency_ms={}|error={err}|device={}|country={}",
                e.request_id, e.user, e.model, e.version, e.latency_ms, e.device, e.country
            )?,
            None => writeln!(
                w,
                "[{stamp}] INFO in app: ab_event|request_id={}|user={}|group={}|model={}|version={}|latency_ms={}|score={}|pred={}|label={}|converted={}|revenue={}|device={}|country={}",
                e.request_id, e.user, e.group, e.model, e.version, e.latency_ms, e.score, e.pred, e.label, e.converted, e.revenue, e.device, e.country
            )?,
        }
        if i % 500 == 0 {
            writeln!(
                w,
                "127.0.0.1 - - [{stamp}] \"POST /predict HTTP/1.1\" 200 -"
            )?;
        }
        if i == 10 {
            writeln!(w, "[{stamp}] WARNING in app: ab_event queue is slow")?;
            writeln!(
                w,
                "[{stamp}] INFO in app: ab_event|user=u000001|group=A|latency_ms=abc"
            )?;
        }
        if i == 20 {
            writeln!(w, "Traceback (most recent call last):")?;
            writeln!(w, "  File \"app.py\", line 42, in predict")?;
            writeln!(w, "ValueError: bad input")?;
            writeln!(
                w,
                "[{stamp}] INFO in app: ab_event|user=u000002|group=B|broken"
            )?;
        }
    }
    w.flush()
}

/// A sample file that cannot be written.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct SampleError {
    /// The file or folder.
    pub file: String,
    /// Why.
    pub problem: String,
}

fn write_parquet(path: &Path, events: &[Event]) -> Result<(), PolarsError> {
    let ts: Int64Chunked = events.iter().map(|e| Some(e.ts_us / 1000)).collect();
    let ts = ts
        .into_series()
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?
        .with_name("ts".into());
    let ok = |e: &Event| e.error.is_none();
    let s = |name: &str, v: Vec<Option<String>>| Column::new(name.into(), v);
    let f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
    let cols = vec![
        ts.into_column(),
        s(
            "request_id",
            events.iter().map(|e| Some(e.request_id.clone())).collect(),
        ),
        s(
            "user_id",
            events.iter().map(|e| Some(e.user.clone())).collect(),
        ),
        s(
            "group",
            events.iter().map(|e| Some(e.group.to_string())).collect(),
        ),
        s(
            "model_name",
            events.iter().map(|e| Some(e.model.to_string())).collect(),
        ),
        s(
            "model_version",
            events.iter().map(|e| Some(e.version.to_string())).collect(),
        ),
        f(
            "latency_ms",
            events.iter().map(|e| Some(e.latency_ms)).collect(),
        ),
        f(
            "score",
            events.iter().map(|e| ok(e).then_some(e.score)).collect(),
        ),
        s(
            "pred",
            events
                .iter()
                .map(|e| ok(e).then(|| e.pred.to_string()))
                .collect(),
        ),
        Column::new(
            "label".into(),
            events
                .iter()
                .map(|e| ok(e).then_some(e.label as i64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "converted".into(),
            events
                .iter()
                .map(|e| ok(e).then_some(e.converted as i64))
                .collect::<Vec<_>>(),
        ),
        f(
            "revenue",
            events.iter().map(|e| ok(e).then_some(e.revenue)).collect(),
        ),
        s(
            "device",
            events.iter().map(|e| Some(e.device.to_string())).collect(),
        ),
        s(
            "country",
            events.iter().map(|e| Some(e.country.to_string())).collect(),
        ),
        s(
            "error",
            events.iter().map(|e| e.error.map(str::to_string)).collect(),
        ),
    ];
    let mut df = DataFrame::new(events.len(), cols)?;
    let file = File::create(path)?;
    ParquetWriter::new(file).finish(&mut df)?;
    Ok(())
}

/// The plan shipped with the sample experiment.
pub const SAMPLE_PLAN: &str = r#"# Analysis plan for the sample experiment, declared before looking at the data.
primary_metric = "converted"
direction = "increase"
alpha = 0.05
power = 0.8
minimum_detectable_effect = 0.02
control = "A"
correction = "holm"

[expected_split]
A = 50
B = 50

[guardrails]
latency_p99_ms = 200.0
latency_p99_max_increase = 0.10
error_rate_margin = 0.01

# revenue per request may not drop by more than 10 % (a non-inferiority test)
[[guardrails.metric]]
name = "revenue"
margin = 0.10
relative = true
direction = "increase"
"#;

/// Writes the experiment as `experiment.jsonl`, `.csv`, `.parquet` and `.log` (plus the
/// plan `verdict.toml`) into `dir`; returns the files written.
pub fn write_sample(dir: &Path, rows: usize, seed: u64) -> Result<Vec<PathBuf>, SampleError> {
    let err = |path: &Path, problem: String| SampleError {
        file: path.display().to_string(),
        problem,
    };
    std::fs::create_dir_all(dir).map_err(|e| err(dir, e.to_string()))?;
    let events = make_events(rows, seed);
    let p = |name: &str| dir.join(name);
    let io = |path: &Path, r: std::io::Result<()>| r.map_err(|e| err(path, e.to_string()));
    io(
        &p("experiment.jsonl"),
        write_jsonl(&p("experiment.jsonl"), &events),
    )?;
    io(
        &p("experiment.csv"),
        write_csv(&p("experiment.csv"), &events),
    )?;
    io(
        &p("experiment.log"),
        write_applog(&p("experiment.log"), &events),
    )?;
    write_parquet(&p("experiment.parquet"), &events)
        .map_err(|e| err(&p("experiment.parquet"), e.to_string()))?;
    io(
        &p("verdict.toml"),
        std::fs::write(p("verdict.toml"), SAMPLE_PLAN),
    )?;
    Ok([
        "experiment.jsonl",
        "experiment.csv",
        "experiment.parquet",
        "experiment.log",
        "verdict.toml",
    ]
    .iter()
    .map(|n| p(n))
    .collect())
}
