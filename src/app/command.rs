//! Everything the user can ask for. Widgets only emit commands; `VerdictApp::handle` runs
//! them. This module depends on no other module of the window: every other module may
//! import it.

use crate::ingest::Role;
use crate::plan::Plan;
use crate::report::csv::Table;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The dashboard's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum View {
    /// Verdict card, checks, guardrails.
    #[default]
    Overview,
    /// Per-group series over time.
    Timeline,
    /// Tests table, forest plot, sample-size calculator.
    Significance,
    /// Per-segment lifts.
    Segments,
    /// Column roles, columns, rejected rows.
    Data,
    /// The analysis plan editor.
    Plan,
    /// Data drift between a reference and a current dataset, retraining triggers.
    Drift,
    /// Champion vs challenger ONNX models replayed on a holdout.
    Models,
    /// A shadow run: both models on the same requests, compared request by request.
    Shadow,
}

impl View {
    /// All views in tab order.
    pub const ALL: [View; 9] = [
        View::Overview,
        View::Timeline,
        View::Significance,
        View::Segments,
        View::Data,
        View::Plan,
        View::Drift,
        View::Models,
        View::Shadow,
    ];

    /// Parses a view name (case-insensitive).
    pub fn parse(name: &str) -> Option<View> {
        View::ALL
            .into_iter()
            .find(|v| v.title().eq_ignore_ascii_case(name.trim()))
    }

    /// Tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Timeline => "Timeline",
            View::Significance => "Significance",
            View::Segments => "Segments",
            View::Data => "Data",
            View::Plan => "Plan",
            View::Drift => "Drift",
            View::Models => "Models",
            View::Shadow => "Shadow",
        }
    }
}

/// Timeline bucket choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Bucket {
    /// Chosen from the time span.
    #[default]
    Auto,
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// One hour.
    H1,
    /// One day.
    D1,
}

impl Bucket {
    /// All choices.
    pub const ALL: [Bucket; 5] = [Bucket::Auto, Bucket::M1, Bucket::M5, Bucket::H1, Bucket::D1];

    /// Label and the engine's bucket text.
    pub fn label(self) -> &'static str {
        match self {
            Bucket::Auto => "auto",
            Bucket::M1 => "1m",
            Bucket::M5 => "5m",
            Bucket::H1 => "1h",
            Bucket::D1 => "1d",
        }
    }

    /// Bucket length in seconds (`None` for auto).
    pub fn seconds(self) -> Option<u64> {
        match self {
            Bucket::Auto => None,
            Bucket::M1 => Some(60),
            Bucket::M5 => Some(300),
            Bucket::H1 => Some(3600),
            Bucket::D1 => Some(86_400),
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The report as Markdown.
    Markdown,
    /// The report as self-contained HTML.
    Html,
    /// The report as JSON (same as the CLI).
    Json,
}

/// A Drift or Models report file to save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// The drift report as JSON (as `verdict drift`).
    DriftJson,
    /// The drift report as Markdown.
    DriftMarkdown,
    /// The drift feature table as CSV.
    DriftFeaturesCsv,
    /// The drift triggers as CSV.
    DriftTriggersCsv,
    /// Estimated and realized performance per period as CSV.
    DriftPerformanceCsv,
    /// The comparison as JSON (as `verdict compare`).
    CompareJson,
    /// The comparison as Markdown.
    CompareMarkdown,
    /// One row per holdout row with both predictions, as CSV.
    ComparePredictionsCsv,
    /// Permutation importance as CSV.
    CompareImportanceCsv,
    /// The comparison checks as CSV.
    CompareChecksCsv,
}

/// A user intent.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the file dialog for logs (multi-select).
    OpenDialog,
    /// Open these paths (logs, plan, models...), routed by kind.
    Open(Vec<PathBuf>),
    /// Reload the embedded sample experiment.
    LoadSample,
    /// Ask for a labels file to join to the shadow run on screen.
    ShadowLabelsDialog,
    /// Join this labels file (request id, label) to the shadow run on screen.
    ShadowLabels(PathBuf),
    /// Cancel the running job with this id.
    CancelJob(u64),
    /// Switch view.
    SetView(View),
    /// Change the timeline bucket.
    SetBucket(Bucket),
    /// Per-bucket vs cumulative timeline.
    SetCumulative(bool),
    /// Override a column role (`None` clears it).
    SetRole(Role, Option<String>),
    /// Choose the analysis unit (`request`, a user column, or None to detect) and re-analyse.
    SetUnit(Option<String>),
    /// Apply an edited plan and re-analyse.
    ApplyPlan(Box<Plan>),
    /// Declare the plan's primary (goal) metric, or none, and re-analyse.
    SetPrimaryMetric(Option<String>),
    /// The metrics to test (the plan's `columns.metrics`) and re-analyse.
    SetMetrics(Vec<String>),
    /// The segment columns (the plan's `segments`) and re-analyse.
    SetSegments(Vec<String>),
    /// Drop rows read but not analysed (the analysis on screen stays).
    DiscardUnanalysed,
    /// Save the current plan with a dialog.
    SavePlanDialog,
    /// Load a plan with a dialog.
    LoadPlanDialog,
    /// Export the report.
    Export(ExportKind),
    /// Save a table of the experiment report as CSV.
    ExportCsv(Table),
    /// Copy a table of the experiment report as tab-separated text.
    CopyTable(Table),
    /// Save the plot in this screen rectangle as PNG.
    ExportPlotPng(String, eframe::egui::Rect),
    /// Dismiss a notification.
    Dismiss(u64),
    /// Forget recent files.
    ClearRecent,
    /// Dark or light theme.
    SetDark(bool),
    /// A Drift view intent.
    Drift(DriftCommand),
    /// A Models view intent.
    Models(ModelsCommand),
    /// Save a Drift or Models report or table.
    Save(SaveKind),
    /// An Open-from-ClickHouse dialog intent.
    ClickHouse(ClickHouseCommand),
}

/// Open-from-ClickHouse dialog intents (its text fields are edited in place).
#[derive(Debug, Clone, PartialEq)]
pub enum ClickHouseCommand {
    /// Show the dialog.
    Show,
    /// Hide it.
    Close,
    /// Connect and list the database's tables.
    Test,
    /// Use this table: read its columns and infer roles.
    PickTable(String),
    /// Give a role to a column of the table (None: inferred).
    SetRole(Role, Option<String>),
    /// Analyse the table on the server.
    Analyze,
}

/// The kinds of background work; each has one slot, so a new job replaces only a job of
/// its own kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobKind {
    /// Reading logs, analysing them, re-analysing after a role or plan change, re-bucketing.
    Load,
    /// A drift comparison.
    Drift,
    /// Replaying the holdout through both models.
    Replay,
    /// Rendering and writing a report, table or plot.
    Export,
    /// Talking to a ClickHouse server for the Open dialog (connection test, columns).
    Remote,
}

impl JobKind {
    /// Every kind, in status-bar order.
    pub const ALL: [JobKind; 5] = [
        JobKind::Load,
        JobKind::Drift,
        JobKind::Replay,
        JobKind::Export,
        JobKind::Remote,
    ];

    /// What the kind does, for people.
    pub fn title(self) -> &'static str {
        match self {
            JobKind::Load => "Analysis",
            JobKind::Drift => "Drift",
            JobKind::Replay => "Replay",
            JobKind::Export => "Export",
            JobKind::Remote => "ClickHouse",
        }
    }
}

/// Where the Drift view's two sides come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftMode {
    /// The loaded log split at a time.
    #[default]
    SplitLoaded,
    /// Two dropped or picked files.
    Files,
}

/// Drift feature table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DriftSort {
    /// Largest PSI first.
    #[default]
    Psi,
    /// Smallest p first.
    P,
    /// Largest statistic first.
    Statistic,
    /// By name.
    Name,
}

/// Drift view intents.
#[derive(Debug, Clone, PartialEq)]
pub enum DriftCommand {
    /// Pick the reference file with a dialog.
    PickReference,
    /// Pick the current file with a dialog.
    PickCurrent,
    /// Pick a log to split by time with a dialog.
    PickLog,
    /// Read this log and split it by time (at its middle).
    SplitLog(PathBuf),
    /// Use these files as reference and current (either may be kept).
    SetFiles(Option<PathBuf>, Option<PathBuf>),
    /// Swap reference and current.
    Swap,
    /// Compare two files or split the loaded log.
    SetMode(DriftMode),
    /// Move the split point of the loaded log.
    SetSplit(i64),
    /// Run the comparison the controls describe.
    Run,
    /// Show this feature's distributions.
    Select(String),
    /// Sort the feature table.
    Sort(DriftSort),
    /// Show this metric in the estimated-vs-realized performance plot.
    PerformanceMetric(crate::analysis::cbpe::CbpeMetric),
}

/// Which model slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The model in production.
    Champion,
    /// The candidate.
    Challenger,
}

/// Models view intents.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelsCommand {
    /// Pick a model for a slot with the file dialog.
    Pick(Slot),
    /// Pick the holdout with the file dialog.
    PickHoldout,
    /// Load a model into a slot.
    Set(Slot, PathBuf),
    /// Models dropped or opened: the first free slot (champion first).
    Add(Vec<PathBuf>),
    /// Use this holdout.
    SetHoldout(PathBuf),
    /// Swap champion and challenger.
    Swap,
    /// Replay and compare.
    Replay,
    /// Permutation repeats.
    SetRepeats(u32),
    /// Permutation seed.
    SetSeed(u64),
    /// Decision threshold.
    SetThreshold(f64),
    /// Label column (empty: automatic).
    SetLabel(String),
    /// What a slot's output means (None: from the bundle, else by shape).
    SetOutput(Slot, Option<crate::report::compare::OutputKind>),
    /// Load the embedded sample models and replay them.
    LoadSample,
}
