//! Text columns as dictionary codes: a shadow log's decisions, model names and segments
//! compared and counted as integers, one lookup per distinct value run.

use crate::analysis::columns::NO_CODE;
use crate::ingest::table::RawColumn;
use std::collections::HashMap;

/// Text values as codes into a dictionary shared by every column encoded with it.
#[derive(Debug, Clone, Default)]
pub struct Dict {
    index: HashMap<String, u32>,
    /// The texts, by code.
    pub texts: Vec<String>,
}

impl Dict {
    /// The code of `t`.
    pub fn code(&mut self, t: &str) -> u32 {
        if let Some(&c) = self.index.get(t) {
            return c;
        }
        let c = self.texts.len() as u32;
        self.index.insert(t.to_string(), c);
        self.texts.push(t.to_string());
        c
    }

    /// The text of a code.
    pub fn text(&self, c: u32) -> Option<&str> {
        self.texts.get(c as usize).map(String::as_str)
    }

    /// Encodes a column (`NO_CODE` where missing).
    pub fn encode(&mut self, c: Option<&RawColumn>, rows: usize) -> Vec<u32> {
        let Some(c) = c else {
            return vec![NO_CODE; rows];
        };
        let ca = c.to_text(&c.name);
        let mut out = Vec::with_capacity(rows);
        // a handful of distinct values is the rule: compare with the ones seen before
        // hashing (no allocation per row)
        let mut seen: Vec<(&str, u32)> = Vec::new();
        for v in ca.iter() {
            out.push(match v {
                None => NO_CODE,
                Some(t) => match seen.iter().find(|(s, _)| *s == t) {
                    Some((_, code)) => *code,
                    None => {
                        let code = self.code(t);
                        if seen.len() < 16 {
                            seen.push((t, code));
                        }
                        code
                    }
                },
            });
        }
        out
    }
}
