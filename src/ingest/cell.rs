//! One parsed value from a text log line, before it is written into a column.

use std::borrow::Cow;

/// A value as it appears in a source line.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// JSON `null`, an empty CSV field, or a missing key.
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Num(f64),
    /// A JSON string (typed: stays a string unless a role needs a number).
    Str(Cow<'a, str>),
    /// Untyped text from CSV or app logs; the column type is inferred later.
    Text(Cow<'a, str>),
}
