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
        let mut order: Vec<usize> = (0..v).collect();
        order.sort_by(|a, b| {
            counts[*b]
                .cmp(&counts[*a])
                .then(seg.names[*a].cmp(&seg.names[*b]))
        });
        order.truncate(MAX_VALUES);
        let latency = moments_by(&keys, v * k, f64_col(&ds.frame, LATENCY_MS)?);
        let mut metrics = BTreeMap::new();
        for m in &ds.metrics {
            metrics.insert(
                m.name.clone(),
                moments_by(&keys, v * k, f64_col(&ds.frame, &metric_col(&m.name))?),
            );
        }
        let mut results: Vec<SegmentResult> = order
            .iter()
            .map(|&val| {
                let slice = |all: &Vec<super::stats::Moments>| all[val * k..(val + 1) * k].to_vec();
                let lat = slice(&latency);
                let mut tested: Vec<TestedMoments> = ds
                    .metrics
                    .iter()
                    .map(|m| TestedMoments {
                        name: m.name.clone(),
                        kind: m.kind,
                        lower_is_better: false,
                        moments: slice(&metrics[&m.name]),
                    })
                    .collect();
                if let Some(name) = &inputs.latency_name {
                    tested.push(TestedMoments {
                        name: name.clone(),
                        kind: crate::ingest::MetricKind::Mean,
                        lower_is_better: true,
                        moments: lat,
                    });
                }
                SegmentResult {
                    column: column.clone(),
                    value: seg.names[val].clone(),
                    requests: counts[val],
                    tests: build_tests(&groups.names, control, &tested, inputs),
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
        out.extend(results);
    }
    Ok(out)
}
