//! One side of a streamed drift comparison: which rows of a chunk belong to it, what its
//! read gathers (prediction rows, time range, each numeric feature's values in a file, each
//! categorical feature's counts, the labels), and a feature's values read back sorted.

use super::*;

/// Distinct values a categorical feature may have in a streamed comparison: a million, or
/// `VERDICT_STREAM_MAX_CATEGORIES`.
fn max_categories() -> usize {
    std::env::var("VERDICT_STREAM_MAX_CATEGORIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Distinct labels counted at most (a regression target would otherwise keep every value).
const MAX_LABELS: usize = 100_000;

/// What one side's read gathers.
pub(super) struct Acc {
    /// Prediction rows.
    pub(super) rows: u64,
    /// Event rows left out.
    pub(super) dropped: u64,
    /// Time range of the prediction rows.
    pub(super) lo: i64,
    pub(super) hi: i64,
    /// Per numeric feature: its values' file and missing count.
    pub(super) numeric: Vec<Option<(BufWriter<std::fs::File>, PathBuf, u64)>>,
    /// Per categorical feature: counts and missing count.
    pub(super) categorical: Vec<Option<(HashMap<String, u64>, u64)>>,
    /// Distinct trimmed labels (None without a label column).
    pub(super) labels: Option<std::collections::HashSet<String>>,
}

impl Acc {
    pub(super) fn new(
        features: &[(String, FeatureKind)],
        dir: &std::path::Path,
        side: &str,
        label: bool,
    ) -> std::io::Result<Acc> {
        let mut numeric = Vec::new();
        let mut categorical = Vec::new();
        for (i, (_, kind)) in features.iter().enumerate() {
            match kind {
                FeatureKind::Numeric => {
                    let path = dir.join(format!("{side}_{i}.f64"));
                    let file = BufWriter::with_capacity(1 << 16, std::fs::File::create(&path)?);
                    numeric.push(Some((file, path, 0)));
                    categorical.push(None);
                }
                FeatureKind::Categorical => {
                    numeric.push(None);
                    categorical.push(Some((HashMap::default(), 0)));
                }
            }
        }
        Ok(Acc {
            rows: 0,
            dropped: 0,
            lo: i64::MAX,
            hi: i64::MIN,
            numeric,
            categorical,
            labels: label.then(Default::default),
        })
    }

    /// Adds the rows `member` of chunk `t` (this side's rows), keeping prediction rows.
    pub(super) fn add(
        &mut self,
        t: &RawTable,
        member: Vec<u32>,
        roles: &Roles,
        ts: Option<&[Option<i64>]>,
        features: &[(String, FeatureKind)],
    ) -> std::io::Result<()> {
        let mask = select::prediction_rows(t, roles);
        let kept: Vec<u32> = match &mask {
            Some(m) => member
                .iter()
                .copied()
                .filter(|&r| m.get(r as usize).copied().unwrap_or(false))
                .collect(),
            None => member.clone(),
        };
        self.dropped += (member.len() - kept.len()) as u64;
        self.rows += kept.len() as u64;
        if let Some(ts) = ts {
            for &r in &kept {
                if let Some(x) = ts[r as usize] {
                    self.lo = self.lo.min(x);
                    self.hi = self.hi.max(x);
                }
            }
        }
        let side = Side {
            table: t,
            rows: Some(kept),
            files: vec![],
            ts: None,
        };
        for (i, (name, _)) in features.iter().enumerate() {
            let col = t.columns.iter().find(|c| &c.name == name);
            if let Some((file, _, missing)) = &mut self.numeric[i] {
                // a chunk whose text made the column text (a share of non-numbers the whole
                // column does not have) is read number by number, as the whole column is
                let (values, m) = match col.map(|c| &c.data) {
                    Some(crate::ingest::table::RawData::Str { values, .. }) => {
                        let mut out = Vec::new();
                        side.for_each_row(|r| {
                            if let Some(x) = values
                                .get(r)
                                .and_then(crate::ingest::table::parse_number)
                                .filter(|x| x.is_finite())
                            {
                                out.push(if x == 0.0 { 0.0 } else { x });
                            }
                        });
                        let missing = (side.len() - out.len()) as u64;
                        (out, missing)
                    }
                    _ => numeric_values(col, &side),
                };
                *missing += m;
                let mut buf = Vec::with_capacity(values.len() * 8);
                for v in values {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                file.write_all(&buf)?;
            }
            if let Some((counts, missing)) = &mut self.categorical[i] {
                let (c, m) = category_counts(col, &side);
                *missing += m;
                for (k, n) in c {
                    *counts.entry(k).or_insert(0) += n;
                }
                // free text is no category: stop before its values fill memory
                let most = max_categories();
                if counts.len() > most {
                    return Err(std::io::Error::other(format!(
                        "{name} has over {most} distinct values: free text, not a category (leave it out with --features)"
                    )));
                }
            }
        }
        if let (Some(labels), Some(name)) = (&mut self.labels, roles.get(Role::Label)) {
            if let Some(col) = t.columns.iter().find(|c| c.name == name) {
                let text = col.to_text(&col.name).rechunk().into_owned();
                // (a continuous label is counted up to a bound: the check fails either way)
                side.for_each_row(|r| {
                    if let Some(v) = text.get(r).filter(|_| labels.len() < MAX_LABELS) {
                        labels.insert(v.trim().to_string());
                    }
                });
            }
        }
        Ok(())
    }

    pub(super) fn range(&self) -> (Option<String>, Option<String>) {
        if self.lo > self.hi {
            (None, None)
        } else {
            (
                Some(format_timestamp_us(self.lo)),
                Some(format_timestamp_us(self.hi)),
            )
        }
    }
}

/// A numeric feature's values of one side, sorted as in memory (read straight into sort
/// keys: memory holds the values once).
pub(super) fn read_values(path: &std::path::Path) -> std::io::Result<Vec<f64>> {
    let len = std::fs::metadata(path)?.len() as usize / 8;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut keys: Vec<u64> = Vec::with_capacity(len);
    let mut buf = [0u8; 8];
    for _ in 0..len {
        reader.read_exact(&mut buf)?;
        keys.push(key(f64::from_le_bytes(buf)));
    }
    keys.sort_unstable();
    // the same allocation, as floats
    Ok(keys.into_iter().map(unkey).collect())
}

/// Which rows of a chunk belong to which side.
#[derive(Clone, Copy)]
pub(super) enum Member {
    /// Every row (two inputs: the side is the input).
    All,
    /// A time split: (lo, boundary, hi) as `split_by_time`.
    Split(TimeSplitSpec, i64, i64, i64),
}

/// The rows of a chunk of `rows` rows on each side (reference, current) and those excluded.
pub(super) fn split_rows(
    m: Member,
    ts: Option<&[Option<i64>]>,
    rows: usize,
) -> (Vec<u32>, Vec<u32>, u64) {
    let Member::Split(spec, lo, boundary, hi) = m else {
        return ((0..rows as u32).collect(), Vec::new(), 0);
    };
    let (mut r, mut c, mut ex) = (Vec::new(), Vec::new(), 0u64);
    for i in 0..rows {
        match (ts.and_then(|t| t[i]), spec) {
            (None, _) => ex += 1,
            (Some(t), TimeSplitSpec::At(_)) => {
                if t < boundary {
                    r.push(i as u32)
                } else {
                    c.push(i as u32)
                }
            }
            (Some(t), TimeSplitSpec::Window(_)) => {
                if t > boundary && t <= hi {
                    c.push(i as u32)
                } else if t > lo && t <= boundary {
                    r.push(i as u32)
                } else {
                    ex += 1
                }
            }
        }
    }
    (r, c, ex)
}
