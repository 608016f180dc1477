//! Background work: one slot per [`JobKind`] (load/analysis, drift, replay, export). Each
//! job runs on a named thread, reports progress over a channel with `request_repaint`, can
//! be cancelled, and carries the identity of the input it was started for ([`Input`]) so
//! that a result whose input has gone (a drift split of a log that was replaced) is
//! dropped instead of shown against new data.

pub mod clickhouse;
pub mod drift;
pub mod export;
pub mod load;
pub mod replay;

use super::command::JobKind;
use eframe::egui;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::Instant;

/// What a job's result depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Nothing the window holds (files read by the job itself, models, exports).
    Independent,
    /// The loaded log with this identity (its rows, whatever the roles).
    Log(u64),
    /// The analysis with this identity (the log with its roles and settings).
    Analysis(u64),
    /// The Models view's inputs with this identity (models, holdout, settings).
    Models(u64),
}

/// Messages from a job thread.
pub enum JobMsg {
    /// Progress: a line of text and a fraction when known.
    Progress(String, Option<f32>),
    /// A dataset was loaded or re-analysed.
    Analyzed(Box<load::Analyzed>),
    /// Rows were read but could not be analysed; kept for the Data view's roles.
    Unanalysed(Box<load::Unanalysed>),
    /// A new timeline was computed, with the bucket setting it was made for.
    Timeline(Box<crate::report::Timeline>, Option<String>),
    /// A drift report was computed.
    Drift(Box<crate::report::drift::DriftReport>),
    /// A log read for a drift time split (kept so the split can move without a re-read),
    /// with its time range (UTC µs). Not final: the report follows.
    DriftLog(Arc<crate::ingest::RawLoad>, (i64, i64)),
    /// A shadow run was analysed, with what it was made from (for a labels join).
    Shadow(Box<crate::report::shadow::ShadowReport>, load::ShadowSource),
    /// Champion and challenger were replayed and compared.
    Compared(Box<crate::models::Compared>),
    /// A file was written.
    Exported(std::path::PathBuf),
    /// The job failed; one line naming the file and the problem, plus details.
    Failed(String, Option<String>),
    /// The job stopped because it was cancelled.
    Cancelled,
    /// A ClickHouse server answered the connection test.
    RemoteServer(clickhouse::ServerInfo),
    /// A ClickHouse table's columns and inferred roles.
    RemoteTable(Box<clickhouse::TableInfo>),
}

impl JobMsg {
    /// The job ends with this message.
    fn is_final(&self) -> bool {
        !matches!(self, JobMsg::Progress(..) | JobMsg::DriftLog(..))
    }
}

/// A running job.
pub struct Job {
    /// Which slot it runs in.
    pub kind: JobKind,
    /// Unique id (for tests and logs).
    pub id: u64,
    /// What it does, for the status bar.
    pub label: String,
    /// What its result depends on.
    pub input: Input,
    /// Set to stop the job.
    cancel: Arc<AtomicBool>,
    /// Messages from the job thread.
    rx: Receiver<JobMsg>,
    /// Latest progress text.
    pub progress: String,
    /// Latest progress fraction.
    pub fraction: Option<f32>,
    /// When it started.
    pub started: Instant,
}

impl Job {
    /// Asks the job to stop; it answers with [`JobMsg::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// A job fed by `rx` (for tests that play a job's part).
    pub fn from_channel(kind: JobKind, input: Input, rx: Receiver<JobMsg>) -> Self {
        Job {
            kind,
            id: next_id(),
            label: kind.title().to_string(),
            input,
            cancel: Arc::new(AtomicBool::new(false)),
            rx,
            progress: String::new(),
            fraction: None,
            started: Instant::now(),
        }
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A message a job sent, for the window to apply.
pub struct JobEvent {
    /// The job's slot.
    pub kind: JobKind,
    /// What the result depends on.
    pub input: Input,
    /// The message.
    pub msg: JobMsg,
    /// Seconds since the job started.
    pub seconds: f64,
}

/// The running jobs: one slot per kind, except exports, which never replace each other
/// (every save is its own request and nothing makes it stale).
#[derive(Default)]
pub struct Jobs {
    running: Vec<Job>,
}

impl Jobs {
    /// Starts `job`, cancelling a running job of the same kind (exports run side by side).
    pub fn start(&mut self, job: Job) {
        if job.kind != JobKind::Export {
            self.running.retain(|j| {
                let same = j.kind == job.kind;
                if same {
                    j.cancel();
                }
                !same
            });
        }
        self.running.push(job);
        self.running.sort_by_key(|j| j.kind);
    }

    /// The running job of a kind (the oldest export for exports).
    pub fn get(&self, kind: JobKind) -> Option<&Job> {
        self.running.iter().find(|j| j.kind == kind)
    }

    /// A job of this kind is running.
    pub fn running(&self, kind: JobKind) -> bool {
        self.get(kind).is_some()
    }

    /// Any job is running.
    pub fn any(&self) -> bool {
        !self.running.is_empty()
    }

    /// The running jobs, in status-bar order.
    pub fn iter(&self) -> impl Iterator<Item = &Job> {
        self.running.iter()
    }

    /// Asks the job with this id to stop (it stays until it answers).
    pub fn cancel_id(&self, id: u64) {
        if let Some(j) = self.running.iter().find(|j| j.id == id) {
            j.cancel();
        }
    }

    /// Asks the jobs of this kind to stop (they stay until they answer).
    pub fn cancel(&self, kind: JobKind) {
        for j in self.running.iter().filter(|j| j.kind == kind) {
            j.cancel();
        }
    }

    /// Cancels and forgets the jobs whose input `keep` rejects; their results will never
    /// be shown. Returns their kinds.
    pub fn drop_stale(&mut self, keep: impl Fn(Input) -> bool) -> Vec<JobKind> {
        let mut stale = Vec::new();
        self.running.retain(|j| {
            let keep = keep(j.input);
            if !keep {
                j.cancel();
                stale.push(j.kind);
            }
            keep
        });
        stale
    }

    /// Collects the messages that arrived: progress is kept on the job, everything else is
    /// returned; a job that sent its final message (or whose thread vanished without one)
    /// leaves its slot.
    pub fn poll(&mut self) -> Vec<JobEvent> {
        let mut events = Vec::new();
        self.running.retain_mut(|job| loop {
            let msg = match job.rx.try_recv() {
                Ok(msg) => msg,
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => JobMsg::Failed(
                    format!(
                        "internal error: the {} job stopped without an answer",
                        job.kind.title().to_lowercase()
                    ),
                    None,
                ),
            };
            match msg {
                JobMsg::Progress(text, frac) => {
                    job.progress = text;
                    job.fraction = frac;
                }
                other => {
                    let last = other.is_final();
                    events.push(JobEvent {
                        kind: job.kind,
                        input: job.input,
                        msg: other,
                        seconds: job.started.elapsed().as_secs_f64(),
                    });
                    if last {
                        return false;
                    }
                }
            }
        });
        events
    }
}

/// Sends a job's messages and wakes the window.
pub type Emit<'a> = &'a (dyn Fn(JobMsg) + Sync);

/// Starts `work` on a named thread as a job of `kind`. A panic in the work becomes a
/// [`JobMsg::Failed`]; a thread that cannot start becomes one too.
pub fn spawn(
    kind: JobKind,
    input: Input,
    label: String,
    ctx: &egui::Context,
    work: impl FnOnce(Emit, &AtomicBool) + Send + 'static,
) -> Job {
    let (tx, rx) = channel::<JobMsg>();
    let cancel = Arc::new(AtomicBool::new(false));
    let cancel2 = Arc::clone(&cancel);
    let ctx = ctx.clone();
    let send = move |tx: &Sender<JobMsg>, m: JobMsg| {
        let _ = tx.send(m);
        ctx.request_repaint();
    };
    let tx_fail = tx.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("verdict-{}", kind.title().to_ascii_lowercase()))
        .spawn(move || {
            let emit = |m: JobMsg| send(&tx, m);
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&emit, &cancel2)));
            if result.is_err() {
                emit(JobMsg::Failed(
                    "internal error: the background job crashed (please report this)".into(),
                    None,
                ));
            }
        });
    if let Err(e) = spawned {
        let _ = tx_fail.send(JobMsg::Failed(
            format!("cannot start a background thread: {e}"),
            None,
        ));
    }
    Job {
        kind,
        id: next_id(),
        label,
        input,
        cancel,
        rx,
        progress: String::new(),
        fraction: None,
        started: Instant::now(),
    }
}

/// Formats an integer with thousands separators.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_job_replaces_only_its_own_kind() {
        let mut jobs = Jobs::default();
        let (_tx1, rx1) = channel();
        let (_tx2, rx2) = channel();
        let (_tx3, rx3) = channel();
        let load = Job::from_channel(JobKind::Load, Input::Independent, rx1);
        let load_cancel = Arc::clone(&load.cancel);
        jobs.start(load);
        jobs.start(Job::from_channel(JobKind::Replay, Input::Independent, rx2));
        assert!(jobs.running(JobKind::Load) && jobs.running(JobKind::Replay));
        assert!(!load_cancel.load(Ordering::Relaxed));
        jobs.start(Job::from_channel(JobKind::Load, Input::Independent, rx3));
        assert!(
            load_cancel.load(Ordering::Relaxed),
            "the old load is cancelled"
        );
        assert!(jobs.running(JobKind::Replay), "the replay keeps running");
    }

    #[test]
    fn final_messages_free_the_slot_and_stale_jobs_are_dropped() {
        let mut jobs = Jobs::default();
        let (tx, rx) = channel();
        jobs.start(Job::from_channel(JobKind::Export, Input::Independent, rx));
        tx.send(JobMsg::Progress("half".into(), Some(0.5))).unwrap();
        assert!(jobs.poll().is_empty());
        assert_eq!(jobs.get(JobKind::Export).unwrap().progress, "half");
        tx.send(JobMsg::Exported("x.md".into())).unwrap();
        let ev = jobs.poll();
        assert_eq!(ev.len(), 1);
        assert!(!jobs.running(JobKind::Export));

        let (_tx, rx) = channel();
        jobs.start(Job::from_channel(JobKind::Drift, Input::Log(1), rx));
        assert!(jobs.drop_stale(|i| i == Input::Log(1)).is_empty());
        assert_eq!(
            jobs.drop_stale(|i| i == Input::Log(2)),
            vec![JobKind::Drift]
        );
        assert!(!jobs.any());

        // a job whose thread ended without an answer does not stay stuck
        let (tx, rx) = channel::<JobMsg>();
        jobs.start(Job::from_channel(JobKind::Replay, Input::Independent, rx));
        drop(tx);
        let ev = jobs.poll();
        assert!(matches!(ev[0].msg, JobMsg::Failed(..)));
        assert!(!jobs.any());
    }

    #[test]
    fn exports_run_side_by_side() {
        let mut jobs = Jobs::default();
        let (_a, rx1) = channel();
        let (_b, rx2) = channel();
        let first = Job::from_channel(JobKind::Export, Input::Independent, rx1);
        let first_cancel = Arc::clone(&first.cancel);
        jobs.start(first);
        jobs.start(Job::from_channel(JobKind::Export, Input::Independent, rx2));
        assert_eq!(jobs.iter().count(), 2);
        assert!(!first_cancel.load(Ordering::Relaxed));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
