//! JSON-lines rows: one JSON object per line, nested objects flattened to `a.b` keys.

use super::cell::Cell;
use super::rejects::Reason;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The cells of one parsed line.
pub type Cells<'a> = Vec<(Cow<'a, str>, Cell<'a>)>;

/// Parses one JSON line into `out` (cleared first). Errors carry the reject reason.
pub fn parse_line<'a>(line: &'a str, out: &mut Cells<'a>) -> Result<(), (Reason, String)> {
    out.clear();
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Err((Reason::EmptyLine, "empty line".into()));
    }
    if !trimmed.starts_with('{') {
        return Err((Reason::NotJsonObject, "line is not a JSON object".into()));
    }
    let mut de = serde_json::Deserializer::from_str(trimmed);
    let seed = ObjectSeed { out, prefix: None };
    match seed.deserialize(&mut de).and_then(|_| de.end()) {
        Ok(()) => Ok(()),
        Err(e) if e.is_eof() => Err((Reason::Truncated, format!("truncated JSON: {e}"))),
        Err(e) => Err((Reason::InvalidJson, format!("invalid JSON: {e}"))),
    }
}

struct ObjectSeed<'o, 'a> {
    out: &'o mut Cells<'a>,
    prefix: Option<String>,
}

impl<'de, 'o> DeserializeSeed<'de> for ObjectSeed<'o, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'o> Visitor<'de> for ObjectSeed<'o, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let full: Cow<'de, str> = match &self.prefix {
                None => key,
                Some(p) => Cow::Owned(format!("{p}.{key}")),
            };
            map.next_value_seed(ValueSeed {
                out: self.out,
                key: full,
            })?;
        }
        Ok(())
    }
}

/// Map keys borrowed from the line when they have no escapes (serde's `Cow` always copies).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct ValueSeed<'o, 'a> {
    out: &'o mut Cells<'a>,
    key: Cow<'a, str>,
}

impl<'de, 'o> DeserializeSeed<'de> for ValueSeed<'o, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'o> ValueSeed<'o, 'de> {
    fn put(self, cell: Cell<'de>) {
        self.out.push((self.key, cell));
    }
}

impl<'de, 'o> Visitor<'de> for ValueSeed<'o, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.put(Cell::Bool(v));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.put(Cell::Num(v as f64));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.put(Cell::Num(v as f64));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.put(Cell::Num(v));
        Ok(())
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.put(Cell::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.put(Cell::Str(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.put(Cell::Str(Cow::Owned(v)));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.put(Cell::Null);
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.put(Cell::Null);
        Ok(())
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<(), M::Error> {
        let prefix = self.key.into_owned();
        ObjectSeed {
            out: self.out,
            prefix: Some(prefix),
        }
        .visit_map(map)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        // Arrays have no column form here; the key is kept as null.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.put(Cell::Null);
        Ok(())
    }
}

/// Reads a JSON array of objects (`[{...}, {...}]`, as `pandas.to_json(orient="records")`
/// writes) into `table`. Element `i` (1-based) stands in for the line number; elements that
/// are not objects are rejected. A syntax error stops the read and is rejected once.
pub fn read_array(
    reader: impl std::io::Read,
    file: u32,
    table: &mut super::table::TableBuilder,
    rejects: &mut super::rejects::Rejects,
) {
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 20, reader));
    let mut sink = ArraySink {
        file,
        table,
        rejects,
        index: 0,
    };
    if let Err(e) = de.deserialize_seq(&mut sink) {
        let reason = if e.is_eof() {
            Reason::Truncated
        } else {
            Reason::InvalidJson
        };
        let at = sink.index + 1;
        sink.rejects
            .add(file, at, reason, format!("JSON array element {at}: {e}"));
    }
}

struct ArraySink<'t> {
    file: u32,
    table: &'t mut super::table::TableBuilder,
    rejects: &'t mut super::rejects::Rejects,
    index: u64,
}

impl<'de> Visitor<'de> for &mut ArraySink<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let mut cells: Cells<'static> = Vec::new();
        loop {
            self.index += 1;
            cells.clear();
            match seq.next_element_seed(ElementSeed { out: &mut cells })? {
                None => return Ok(()),
                Some(true) => self.table.push_row(self.index, &cells),
                Some(false) => self.rejects.add(
                    self.file,
                    self.index,
                    Reason::NotJsonObject,
                    "array element is not a JSON object".into(),
                ),
            }
        }
    }
}

/// One array element: an object goes into `out` (owned strings); anything else is skipped.
struct ElementSeed<'o> {
    out: &'o mut Cells<'static>,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<bool, M::Error> {
        let mut local: Cells<'de> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            map.next_value_seed(ValueSeed {
                out: &mut local,
                key,
            })?;
        }
        self.out.extend(
            local
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), owned_cell(v))),
        );
        Ok(true)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<bool, S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

fn owned_cell(c: Cell<'_>) -> Cell<'static> {
    match c {
        Cell::Null => Cell::Null,
        Cell::Bool(b) => Cell::Bool(b),
        Cell::Num(v) => Cell::Num(v),
        Cell::Str(s) => Cell::Str(Cow::Owned(s.into_owned())),
        Cell::Text(s) => Cell::Text(Cow::Owned(s.into_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flat_and_nested() {
        let mut out = Vec::new();
        parse_line(
            r#"{"a":1,"b":"x","c":null,"d":true,"f":{"g":2.5,"h":"y"},"arr":[1,2]}"#,
            &mut out,
        )
        .unwrap();
        let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "f.g", "f.h", "arr"]);
        assert_eq!(out[4].1, Cell::Num(2.5));
    }

    #[test]
    fn reads_arrays_of_objects() {
        let mut t = crate::ingest::table::TableBuilder::new();
        let mut r = crate::ingest::rejects::Rejects::default();
        read_array(
            &br#"[{"group":"A","x":1},{"group":"B","x":2.5},7,{"group":"A"}]"#[..],
            0,
            &mut t,
            &mut r,
        );
        assert_eq!(t.rows(), 3);
        assert_eq!(r.total(), 1);
        let mut t = crate::ingest::table::TableBuilder::new();
        let mut r = crate::ingest::rejects::Rejects::default();
        read_array(&br#"[{"group":"A"},{"group":"#[..], 0, &mut t, &mut r);
        assert_eq!((t.rows(), r.total()), (1, 1));
    }

    #[test]
    fn classifies_errors() {
        let mut out = Vec::new();
        assert_eq!(parse_line("", &mut out).unwrap_err().0, Reason::EmptyLine);
        assert_eq!(
            parse_line("[1,2]", &mut out).unwrap_err().0,
            Reason::NotJsonObject
        );
        assert_eq!(
            parse_line(r#"{"a":1,"b":"#, &mut out).unwrap_err().0,
            Reason::Truncated
        );
        assert_eq!(
            parse_line(r#"{"a":1}}"#, &mut out).unwrap_err().0,
            Reason::InvalidJson
        );
    }
}
