//! The primary metric's lift over time: at the end of every timeline bucket, the unit-level
//! test on the data so far (per stage, combined over the stages seen), with its interval
//! following the inference — always-valid by default, so the band can be read at every
//! bucket and a conclusion reached early stays valid later.
//!
//! One pass over the rows in time order: each row updates its unit's sums and the running
//! sums of its (stage, group) cell; each bucket end reads the cells.

use super::cuped::{self, Covariate};
use super::key_index::prefetch;
use super::unit_stats::{combine, two_sided_t, Estimate, RatioMoments, UnitStatistic};
use super::units::{Units, UserGroups, NO_TS};
use super::{UnitAnalysis, UnitColumn};
use crate::analysis::columns::NO_CODE;
use crate::analysis::inference::{sequential, Spread};
use crate::ingest::time::format_timestamp_us;
use crate::plan::Inference;
use crate::report::LiftOverTime;

/// Timeline buckets: the first bucket's index and the span in µs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buckets {
    /// Index of the first bucket (t.div_euclid(span)).
    pub first: i64,
    /// Bucket span (µs).
    pub span_us: i64,
}

/// How a unit's sums become the pair a cell's moments are of.
#[derive(Clone, Copy)]
enum Form<'a> {
    /// (Σm, d): a ratio.
    Ratio,
    /// (Σm / d, 1): one value per user.
    Mean,
    /// (Σm, the user's covariate): CUPED.
    Cuped(&'a Covariate),
    /// CUPED's test, the covariates already in the cells.
    CupedTest,
}

/// Running raw sums of a cell's (x, y) pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Running {
    /// Units.
    pub n: u64,
    /// Σx.
    pub x: f64,
    /// Σy.
    pub y: f64,
    /// Σx².
    pub xx: f64,
    /// Σy².
    pub yy: f64,
    /// Σxy.
    pub xy: f64,
}

impl Running {
    /// Adds another cell's (or a change's) sums.
    pub fn merge(&mut self, d: &Running) {
        self.n += d.n;
        self.x += d.x;
        self.y += d.y;
        self.xx += d.xx;
        self.yy += d.yy;
        self.xy += d.xy;
    }
}

/// The cells' running sums at the end of every bucket of `emit_at` from each bucket's
/// changes per cell (`deltas`: bucket start → (cell, change)), `cells` cells in all.
pub fn cumulate(
    deltas: &std::collections::BTreeMap<i64, Vec<(usize, Running)>>,
    emit_at: &[i64],
    cells: usize,
) -> Vec<(i64, Vec<Running>)> {
    let mut sums = vec![Running::default(); cells];
    let mut out = Vec::with_capacity(emit_at.len());
    for &at in emit_at {
        for (i, d) in deltas.get(&at).into_iter().flatten() {
            if let Some(c) = sums.get_mut(*i) {
                c.merge(d);
            }
        }
        out.push((at, sums.clone()));
    }
    out
}

/// How a unit's sums become the (x, y) pair a cell holds, for any back end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiftForm {
    /// (Σm, d): a ratio.
    Ratio,
    /// (Σm / d, 1): one value per user.
    Mean,
    /// (Σm, the user's covariate): CUPED.
    Cuped,
}

/// The lift of every treatment at each bucket end from the cells' running sums there
/// (`at`: the bucket's start, µs; `cells`: index `stage * k + group`). The same for every
/// back end.
pub fn lifts_from_cells(
    ua: &UnitAnalysis,
    at: &[(i64, Vec<Running>)],
    form: LiftForm,
    metric: &str,
) -> Vec<LiftOverTime> {
    let f = match form {
        LiftForm::Ratio => Form::Ratio,
        LiftForm::Mean => Form::Mean,
        LiftForm::Cuped => Form::CupedTest,
    };
    at.iter()
        .flat_map(|(start_us, cells)| evaluate(ua, cells, f, *start_us, metric))
        .collect()
}

impl Running {
    fn add(&mut self, x: f64, y: f64, sign: f64) {
        self.x += sign * x;
        self.y += sign * y;
        self.xx += sign * x * x;
        self.yy += sign * y * y;
        self.xy += sign * x * y;
    }

    fn moments(&self) -> RatioMoments {
        let n = self.n as f64;
        let (mx, my) = (self.x / n, self.y / n);
        RatioMoments {
            n: self.n,
            sum_m: self.x,
            sum_d: self.y,
            mean_m: mx,
            mean_d: my,
            css_m: (self.xx - n * mx * mx).max(0.0),
            css_d: (self.yy - n * my * my).max(0.0),
            csp_md: self.xy - n * mx * my,
        }
    }
}

/// The lift of the primary column (`values`) for every treatment at every bucket end.
#[allow(clippy::too_many_arguments)]
pub fn lift_over_time(
    ua: &UnitAnalysis,
    pairs: &UserGroups,
    units: &Units,
    values: &UnitColumn,
    constant: bool,
    covariate: Option<&Covariate>,
    buckets: Buckets,
    metric: &str,
) -> Vec<LiftOverTime> {
    let form = match (covariate, constant) {
        (Some(c), _) => Form::Cuped(c),
        (None, true) => Form::Mean,
        (None, false) => Form::Ratio,
    };
    let ts = pairs.ts();
    let values = row_values(values);
    // rows in bucket order (a counting sort unless the log is in time order)
    let bucket_of = |r: usize| -> Option<usize> {
        let t = ts[r];
        (t != NO_TS).then(|| (t.div_euclid(buckets.span_us) - buckets.first).max(0) as usize)
    };
    let sorted = ts.windows(2).all(|w| w[0] <= w[1]);
    let order: Vec<u32> = if sorted {
        Vec::new()
    } else {
        let nb = (0..ts.len())
            .filter_map(bucket_of)
            .max()
            .map_or(0, |b| b + 1);
        let mut start = vec![0u32; nb + 1];
        for r in 0..ts.len() {
            if let Some(b) = bucket_of(r) {
                start[b + 1] += 1;
            }
        }
        for b in 0..nb {
            start[b + 1] += start[b];
        }
        let mut out = vec![0u32; start[nb] as usize];
        for r in 0..ts.len() {
            if let Some(b) = bucket_of(r) {
                out[start[b] as usize] = r as u32;
                start[b] += 1;
            }
        }
        out
    };
    let k = ua.groups.names.len();
    // per unit in 24 bytes: its running sum, its covariate, its count and its cell
    let mut state: Vec<UnitState> = (0..units.len())
        .map(|u| {
            let p = units.pair[u] as usize;
            UnitState {
                m: 0.0,
                y: match form {
                    Form::Cuped(c) => c.value[p],
                    _ => 0.0,
                },
                d: 0,
                cell: units.stage[u] as u32 * k as u32 + pairs.group[p],
            }
        })
        .collect();
    let mut cells = vec![Running::default(); ua.boundaries.len() * k];
    let n_rows = if sorted { ts.len() } else { order.len() };
    let row_at = |i: usize| if sorted { i } else { order[i] as usize };
    let xy = |s: &UnitState| -> (f64, f64) {
        match form {
            Form::Ratio => (s.m, s.d as f64),
            Form::Mean => (s.m / s.d as f64, 1.0),
            Form::Cuped(_) | Form::CupedTest => (s.m, s.y),
        }
    };
    let mut out = Vec::new();
    let mut current: Option<usize> = None;
    let emit = |out: &mut Vec<LiftOverTime>, cells: &[Running], at: usize| {
        let start_us = (buckets.first + at as i64) * buckets.span_us;
        out.extend(evaluate(ua, cells, form, start_us, metric));
    };
    // the state of the unit 16 rows ahead is fetched while this row is added
    const AHEAD: usize = 16;
    for i in 0..n_rows {
        if i + AHEAD < n_rows {
            let u = units.unit_of_row[row_at(i + AHEAD)];
            if u != NO_CODE {
                prefetch(state.as_ptr().wrapping_add(u as usize));
            }
        }
        let r = row_at(i);
        let Some(b) = bucket_of(r) else { continue };
        if current.is_some_and(|c| c != b) {
            emit(&mut out, &cells, current.unwrap_or(0));
        }
        current = Some(b);
        let u = units.unit_of_row[r];
        let x = values[r];
        if u == NO_CODE || x.is_nan() {
            continue;
        }
        let st = &mut state[u as usize];
        let cell = &mut cells[st.cell as usize];
        if st.d > 0 {
            let (ox, oy) = xy(st);
            cell.add(ox, oy, -1.0);
        } else {
            cell.n += 1;
        }
        st.m += x;
        st.d += 1;
        let (nx, ny) = xy(st);
        cell.add(nx, ny, 1.0);
    }
    if let Some(at) = current {
        emit(&mut out, &cells, at);
    }
    out
}

/// A unit while the rows are read.
#[derive(Clone, Copy)]
struct UnitState {
    m: f64,
    y: f64,
    d: u32,
    cell: u32,
}

/// Every row's value of the column (NaN: missing).
fn row_values(values: &UnitColumn) -> Vec<f64> {
    match values {
        UnitColumn::Numbers(v) => {
            let mut out = Vec::with_capacity(v.len());
            for arr in v.downcast_iter() {
                match arr.validity() {
                    None => out.extend_from_slice(arr.values()),
                    Some(valid) => {
                        out.extend(arr.values().iter().zip(valid.iter()).map(|(x, ok)| {
                            if ok {
                                *x
                            } else {
                                f64::NAN
                            }
                        }))
                    }
                }
            }
            out
        }
        UnitColumn::Flag(b) => b
            .iter()
            .map(|e| if e == Some(true) { 1.0 } else { 0.0 })
            .collect(),
    }
}

fn statistic(m: &RatioMoments, form: Form) -> UnitStatistic {
    match form {
        Form::Ratio => UnitStatistic {
            n: m.n,
            mean: m.ratio(),
            variance: m.ratio_variance(),
            unadjusted_mean: m.ratio(),
        },
        Form::Mean | Form::Cuped(_) | Form::CupedTest => UnitStatistic {
            n: m.n,
            mean: m.mean_m,
            variance: m.mean_variance(),
            unadjusted_mean: m.mean_m,
        },
    }
}

/// The lift of every treatment from the cells' current sums.
fn evaluate(
    ua: &UnitAnalysis,
    cells: &[Running],
    form: Form,
    start_us: i64,
    metric: &str,
) -> Vec<LiftOverTime> {
    let k = ua.groups.names.len();
    let s = ua.inputs.settings();
    let mut out = Vec::new();
    for t in (0..k).filter(|&g| g != ua.control) {
        let mut est = Vec::new();
        let mut n = 0u64;
        let mut single_ci = None;
        for stage in 0..cells.len() / k {
            let (a, b) = (
                cells[stage * k + ua.control].moments(),
                cells[stage * k + t].moments(),
            );
            if a.n < 2 || b.n < 2 {
                continue;
            }
            let ut = match form {
                Form::Cuped(_) | Form::CupedTest => cuped::test(&a, &b, s.alpha).adjusted,
                _ => two_sided_t(&statistic(&a, form), &statistic(&b, form), s.alpha),
            };
            if !(ut.variance.is_finite() && ut.variance > 0.0) {
                continue;
            }
            est.push(Estimate {
                value: ut.diff,
                variance: ut.variance,
            });
            single_ci = Some(ut.ci);
            n += a.n + b.n;
        }
        let (diff, variance, fixed_ci) = match est.as_slice() {
            [] => continue,
            [e] => (
                e.value,
                e.variance,
                single_ci.unwrap_or((f64::NAN, f64::NAN)),
            ),
            _ => {
                let c = combine(&est, s.alpha);
                (c.value, c.variance, c.ci)
            }
        };
        let ci = match s.mode {
            Inference::Fixed => Some(fixed_ci),
            Inference::Sequential => sequential(
                diff,
                &Spread {
                    variance,
                    relative_variance: None,
                    n: n as f64,
                },
                &s,
            )
            .map(|q| q.ci),
        };
        out.push(LiftOverTime {
            start: format_timestamp_us(start_us),
            start_us,
            metric: metric.to_string(),
            treatment: ua.groups.names[t].clone(),
            diff,
            ci_low: ci.map(|c| c.0).filter(|x| x.is_finite()),
            ci_high: ci.map(|c| c.1).filter(|x| x.is_finite()),
        });
    }
    out
}
