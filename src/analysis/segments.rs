//! The control-vs-treatment tests within each value of each segment column, corrected
//! across the values of a column (Holm or Benjamini–Hochberg).

use super::columns::{f64_col, moments_by, str_col, Codes, NO_CODE};
use super::corrections::{adjust, Correction};
use super::error::AnalysisError;
use super::hypothesis::{build_tests, TestInputs, TestedMoments};
use crate::ingest::normalize::{metric_col, segment_col, LATENCY_MS};
use crate::ingest::Dataset;
use crate::report::SegmentResult;
use std::collections::BTreeMap;

/// Most values of one segment column analysed (the most frequent ones).
pub const MAX_VALUES: usize = 50;

/// Runs the segment breakdown for `columns`.
pub fn segments(
    ds: &Dataset,
    groups: &Codes,
    control: usize,
    columns: &[String],
    inputs: &TestInputs,
    correction: Correction,
) -> Result<Vec<SegmentResult>, AnalysisError> {
    let k = groups.names.len();
    let mut out = Vec::new();
    for column in columns {
        let seg = Codes::of(str_col(&ds.frame, &segment_col(column))?);
        let v = seg.names.len();
        if v == 0 {
            continue;
        }
        // combined key: value * k + group
        let keys: Vec<u32> = seg
            .codes
            .iter()
            .zip(&groups.codes)
            .map(|(s, g)| {
                if *s == NO_CODE {
                    NO_CODE
                } else {
                    s * k as u32 + g
                }
            })
            .collect();
        let mut counts = vec![0u64; v];
        for s in seg.codes.iter().filter(|s| **s != NO_CODE) {
            counts[*s as usize] += 1;
        }
        let latency = moments_by(&keys, v * k, f64_col(&ds.frame, LATENCY_MS)?);
        let mut tested = Vec::new();
        for m in &ds.metrics {
            tested.push(SegmentColumn {
                name: m.name.clone(),
                kind: m.kind,
                lower_is_better: false,
                moments: moments_by(&keys, v * k, f64_col(&ds.frame, &metric_col(&m.name))?),
            });
        }
        if let Some(name) = &inputs.latency_name {
            tested.push(SegmentColumn {
                name: name.clone(),
                kind: crate::ingest::MetricKind::Mean,
                lower_is_better: true,
                moments: latency,
            });
        }
        out.extend(column_results(
            column,
            &seg.names,
            &counts,
            &tested,
            &groups.names,
            control,
            inputs,
            correction,
        ));
    }
    Ok(out)
}

/// One tested column of a segment breakdown: moments per (value, group), index
/// `value * k + group`.
pub struct SegmentColumn {
    /// Name reported.
    pub name: String,
    /// Proportion (z-test) or mean (Welch).
    pub kind: crate::ingest::MetricKind,
    /// Lower values are better.
    pub lower_is_better: bool,
    /// Moments per (value, group).
    pub moments: Vec<super::stats::Moments>,
}

/// The results of one segment column from its values, their request counts and the
/// moments per (value, group) of each tested column: the [`MAX_VALUES`] most frequent
/// values (ties by name), tests per value, corrected within each (metric, treatment)
/// family across the values. The same for every back end.
#[allow(clippy::too_many_arguments)]
pub fn column_results(
    column: &str,
    values: &[String],
    counts: &[u64],
    tested: &[SegmentColumn],
    groups: &[String],
    control: usize,
    inputs: &TestInputs,
    correction: Correction,
) -> Vec<SegmentResult> {
    let k = groups.len();
    let v = values.len();
    let mut order: Vec<usize> = (0..v).collect();
    order.sort_by(|a, b| {
        counts[*b]
            .cmp(&counts[*a])
            .then(values[*a].cmp(&values[*b]))
    });
    order.truncate(MAX_VALUES);
    let mut results: Vec<SegmentResult> = order
        .iter()
        .map(|&val| {
            let metrics: Vec<TestedMoments> = tested
                .iter()
                .map(|c| TestedMoments {
                    name: c.name.clone(),
                    kind: c.kind,
                    lower_is_better: c.lower_is_better,
                    moments: c.moments[val * k..(val + 1) * k].to_vec(),
                })
                .collect();
            SegmentResult {
                column: column.to_string(),
                value: values[val].clone(),
                requests: counts[val],
                tests: build_tests(groups, control, &metrics, inputs),
            }
        })
        .collect();
    // correct within each (metric, treatment) family across the values
    let mut families: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (ri, r) in results.iter().enumerate() {
        for (ti, t) in r.tests.iter().enumerate() {
            families
                .entry((t.metric.clone(), t.treatment.clone()))
                .or_default()
                .push((ri, ti));
        }
    }
    for members in families.values() {
        let p: Vec<f64> = members
            .iter()
            .map(|&(ri, ti)| results[ri].tests[ti].p_value.unwrap_or(f64::NAN))
            .collect();
        let adj = adjust(&p, correction);
        for (&(ri, ti), a) in members.iter().zip(adj) {
            let t = &mut results[ri].tests[ti];
            t.p_value_adjusted = a.is_finite().then_some(a);
            t.significant = a.is_finite() && a < inputs.alpha;
        }
    }
    results
}
