//! Dashboard speed benchmark (headless, egui_kittest): time from dropping a Parquet log to
//! the first plot's data being on screen, frame times with a large log loaded, and how
//! long a bucket change and a role change take. Frame times are the CPU side of a frame
//! (layout and tessellation); GPU painting is not included.
//!
//! usage: cargo bench --bench dashboard -- [PATH_1M.parquet] [PATH_10M.parquet]
//! (defaults: bench_out/1000000/experiment.parquet and bench_out/10000000/experiment.parquet,
//! made by `bash benches/run.sh` or `verdict sample --rows N --out DIR`)

use egui_kittest::Harness;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use verdict::app::command::{Bucket, Command, View};
use verdict::app::state::State;
use verdict::app::{egui, VerdictApp};
use verdict::ingest::Role;

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn harness() -> Harness<'static, VerdictApp> {
    Harness::builder()
        .with_size([1440.0, 900.0])
        .build_ui_state(
            |ui, app: &mut VerdictApp| app.ui_root(ui),
            VerdictApp::new(State::default(), vec![]),
        )
}

fn settle(h: &mut Harness<'static, VerdictApp>) -> Duration {
    let t0 = Instant::now();
    loop {
        h.step();
        if !h.state().jobs.any() {
            h.step();
            return t0.elapsed();
        }
        std::thread::sleep(Duration::from_millis(2));
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "job did not finish"
        );
    }
}

fn drop_and_wait(h: &mut Harness<'static, VerdictApp>, path: &Path) -> Duration {
    h.state_mut().send(Command::SetView(View::Timeline));
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(path.to_path_buf())));
    settle(h)
}

fn p95(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * 0.95).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let small = PathBuf::from(
        args.first()
            .cloned()
            .unwrap_or("bench_out/1000000/experiment.parquet".into()),
    );
    let large = PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or("bench_out/10000000/experiment.parquet".into()),
    );
    for p in [&small, &large] {
        if !p.exists() {
            eprintln!("missing {}: run `bash benches/run.sh` first (or `verdict sample --rows N --out DIR`)", p.display());
            return;
        }
    }
    let mut h = harness();
    settle(&mut h);
    let first_plot = drop_and_wait(&mut h, &small);
    println!(
        "first plot after dropping {}: {:.2} s (target <= 1 s)",
        small.display(),
        first_plot.as_secs_f64()
    );

    let mut h = harness();
    settle(&mut h);
    let load = drop_and_wait(&mut h, &large);
    let rows = h
        .state()
        .current
        .as_ref()
        .map(|c| c.report.input.rows_valid)
        .unwrap_or(0);
    println!(
        "load of {} ({rows} rows): {:.2} s",
        large.display(),
        load.as_secs_f64()
    );
    for view in [
        View::Overview,
        View::Timeline,
        View::Significance,
        View::Segments,
    ] {
        h.state_mut().send(Command::SetView(view));
        h.step();
        let mut times = Vec::new();
        for _ in 0..120 {
            let t0 = Instant::now();
            h.step();
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "frame time p95, {view:?} view with {rows} rows: {:.2} ms (target <= 16 ms)",
            p95(times)
        );
    }
    h.state_mut().send(Command::SetView(View::Timeline));
    h.state_mut().send(Command::SetBucket(Bucket::M5));
    let bucket = settle(&mut h);
    println!(
        "bucket change to 5m on {rows} rows: {:.2} s (target <= 2 s)",
        bucket.as_secs_f64()
    );
    h.state_mut().send(Command::SetRole(Role::Score, None));
    let role = settle(&mut h);
    println!(
        "role change (score -> none) on {rows} rows: {:.2} s (target <= 2 s)",
        role.as_secs_f64()
    );
}
