//! A minimal reader of the ONNX protobuf (`ModelProto`): enough to inspect a model without a
//! runtime (inputs, outputs, opsets, producer, graph name, metadata) and to tell a model from
//! a truncated or foreign file. Fields are read by number from the wire format; unknown
//! fields are skipped.

use std::collections::BTreeMap;

/// A wire-format problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    /// The bytes end inside a field.
    #[error("truncated (the file ends inside the model)")]
    Truncated,
    /// Bytes that are not protobuf / not a model.
    #[error("not an ONNX model ({0})")]
    NotOnnx(String),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or(ProtoError::Truncated)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ProtoError::NotOnnx("varint longer than 10 bytes".into()))
    }

    /// Next (field number, value), or None at the end.
    fn next(&mut self) -> Result<Option<(u32, Field<'a>)>, ProtoError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let (num, wire) = ((key >> 3) as u32, key & 7);
        if num == 0 {
            return Err(ProtoError::NotOnnx("field number 0".into()));
        }
        let f = match wire {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                Field::Fixed
            }
            2 => {
                let len = self.varint()? as usize;
                let end = self.pos.checked_add(len).ok_or(ProtoError::Truncated)?;
                if end > self.buf.len() {
                    return Err(ProtoError::Truncated);
                }
                let b = &self.buf[self.pos..end];
                self.pos = end;
                Field::Bytes(b)
            }
            5 => {
                self.skip(4)?;
                Field::Fixed
            }
            w => return Err(ProtoError::NotOnnx(format!("wire type {w}"))),
        };
        Ok(Some((num, f)))
    }

    fn skip(&mut self, n: usize) -> Result<(), ProtoError> {
        if self.pos + n > self.buf.len() {
            return Err(ProtoError::Truncated);
        }
        self.pos += n;
        Ok(())
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One dimension of a tensor shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A named (symbolic) size, e.g. `N` or `batch`.
    Named(String),
    /// Unknown.
    Unknown,
}

/// The type of an input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnnxType {
    /// A tensor of an element type with an optional shape.
    Tensor {
        /// ONNX element type code (1 float, 7 int64, 8 string, 11 double, ...).
        elem: i32,
        /// Dimensions (None when the shape is not given).
        shape: Option<Vec<Dim>>,
    },
    /// A sequence of values.
    Sequence(Box<OnnxType>),
    /// A map from a key element type to a value type.
    Map {
        /// Key element type code.
        key: i32,
        /// Value type.
        value: Box<OnnxType>,
    },
    /// An optional value.
    Optional(Box<OnnxType>),
    /// Anything else.
    Other,
}

/// Name of an ONNX element type code.
pub fn elem_name(code: i32) -> &'static str {
    match code {
        1 => "float",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "double",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        _ => "undefined",
    }
}

impl OnnxType {
    /// ONNX's own spelling, e.g. `tensor(float)` or `seq(map(int64,tensor(float)))`.
    pub fn describe(&self) -> String {
        match self {
            OnnxType::Tensor { elem, .. } => format!("tensor({})", elem_name(*elem)),
            OnnxType::Sequence(t) => format!("seq({})", t.describe()),
            OnnxType::Map { key, value } => {
                format!("map({},{})", elem_name(*key), value.describe())
            }
            OnnxType::Optional(t) => format!("optional({})", t.describe()),
            OnnxType::Other => "unknown".into(),
        }
    }
}

/// An input or output of the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueInfo {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: OnnxType,
}

/// What the model file says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelProto {
    /// IR version.
    pub ir_version: i64,
    /// Opset version per domain (`""` is the default ONNX domain, shown as `ai.onnx`).
    pub opsets: BTreeMap<String, i64>,
    /// Producer name.
    pub producer_name: String,
    /// Producer version.
    pub producer_version: String,
    /// Model domain.
    pub domain: String,
    /// Model version.
    pub model_version: i64,
    /// Graph name.
    pub graph_name: String,
    /// Graph inputs that are not initializers.
    pub inputs: Vec<ValueInfo>,
    /// Graph outputs.
    pub outputs: Vec<ValueInfo>,
    /// `metadata_props` key → value.
    pub metadata: BTreeMap<String, String>,
    /// Operator types used by the graph's nodes (`domain:op`, sorted, unique).
    pub operators: Vec<String>,
    /// ZipMap nodes (scikit-learn's default probability output).
    pub zipmaps: Vec<ZipMapNode>,
    /// Class labels of the first classifier node that names them (`classlabels_strings` or
    /// `classlabels_int64s` of e.g. `TreeEnsembleClassifier`), in probability column order.
    pub class_labels: Vec<String>,
    /// Byte range of the graph field (key through value) in the model bytes.
    pub graph_field: (usize, usize),
}

/// A ZipMap node: which tensor it turns into maps, and the class labels in column order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ZipMapNode {
    /// The probability tensor it reads.
    pub input: String,
    /// The sequence of maps it writes.
    pub output: String,
    /// Class labels (`classlabels_int64s` or `classlabels_strings`) as text.
    pub labels: Vec<String>,
}

fn parse_type(b: &[u8]) -> Result<OnnxType, ProtoError> {
    let mut r = Reader::new(b);
    let mut out = OnnxType::Other;
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Bytes(t)) | (8, Field::Bytes(t)) => {
                let mut rt = Reader::new(t);
                let (mut elem, mut shape) = (0i32, None);
                while let Some((n, f)) = rt.next()? {
                    match (n, f) {
                        (1, Field::Varint(v)) => elem = v as i32,
                        (2, Field::Bytes(s)) => shape = Some(parse_shape(s)?),
                        _ => {}
                    }
                }
                out = OnnxType::Tensor { elem, shape };
            }
            (4, Field::Bytes(t)) => {
                let mut rt = Reader::new(t);
                while let Some((n, f)) = rt.next()? {
                    if let (1, Field::Bytes(e)) = (n, f) {
                        out = OnnxType::Sequence(Box::new(parse_type(e)?));
                    }
                }
            }
            (5, Field::Bytes(t)) => {
                let mut rt = Reader::new(t);
                let (mut key, mut value) = (0i32, OnnxType::Other);
                while let Some((n, f)) = rt.next()? {
                    match (n, f) {
                        (1, Field::Varint(v)) => key = v as i32,
                        (2, Field::Bytes(v)) => value = parse_type(v)?,
                        _ => {}
                    }
                }
                out = OnnxType::Map {
                    key,
                    value: Box::new(value),
                };
            }
            (9, Field::Bytes(t)) => {
                let mut rt = Reader::new(t);
                while let Some((n, f)) = rt.next()? {
                    if let (1, Field::Bytes(e)) = (n, f) {
                        out = OnnxType::Optional(Box::new(parse_type(e)?));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn parse_shape(b: &[u8]) -> Result<Vec<Dim>, ProtoError> {
    let mut r = Reader::new(b);
    let mut dims = Vec::new();
    while let Some((num, f)) = r.next()? {
        if let (1, Field::Bytes(d)) = (num, f) {
            let mut rd = Reader::new(d);
            let mut dim = Dim::Unknown;
            while let Some((n, f)) = rd.next()? {
                match (n, f) {
                    (1, Field::Varint(v)) => dim = Dim::Fixed(v as i64),
                    (2, Field::Bytes(s)) => dim = Dim::Named(text(s)),
                    _ => {}
                }
            }
            dims.push(dim);
        }
    }
    Ok(dims)
}

fn parse_value_info(b: &[u8]) -> Result<ValueInfo, ProtoError> {
    let mut r = Reader::new(b);
    let mut v = ValueInfo {
        name: String::new(),
        ty: OnnxType::Other,
    };
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Bytes(s)) => v.name = text(s),
            (2, Field::Bytes(t)) => v.ty = parse_type(t)?,
            _ => {}
        }
    }
    Ok(v)
}

/// Class labels of a ZipMap attribute (`classlabels_int64s` / `classlabels_strings`).
fn class_labels(attr: &[u8]) -> Result<Vec<String>, ProtoError> {
    let mut r = Reader::new(attr);
    let mut name = String::new();
    let (mut ints, mut strings) = (Vec::new(), Vec::new());
    while let Some((n, f)) = r.next()? {
        match (n, f) {
            (1, Field::Bytes(s)) => name = text(s),
            (8, Field::Varint(v)) => ints.push(v as i64),
            (8, Field::Bytes(packed)) => {
                let mut rp = Reader::new(packed);
                while rp.pos < packed.len() {
                    ints.push(rp.varint()? as i64);
                }
            }
            (9, Field::Bytes(s)) => strings.push(text(s)),
            _ => {}
        }
    }
    Ok(match name.as_str() {
        "classlabels_int64s" => ints.iter().map(i64::to_string).collect(),
        "classlabels_strings" => strings,
        _ => vec![],
    })
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    put_varint(out, (u64::from(field) << 3) | 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// The model bytes with one more graph output: the float tensor `name` (used to read the
/// probabilities a ZipMap node would turn into one map per row).
pub fn with_extra_output(bytes: &[u8], m: &ModelProto, name: &str) -> Vec<u8> {
    let (start, end) = m.graph_field;
    // the graph field's value: skip its key and length
    let mut r = Reader::new(&bytes[start..end]);
    let graph: &[u8] = match r.next() {
        Ok(Some((7, Field::Bytes(g)))) => g,
        _ => return bytes.to_vec(),
    };
    // ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type: FLOAT } } }
    let mut tensor = Vec::new();
    put_varint(&mut tensor, 1 << 3);
    put_varint(&mut tensor, 1);
    let mut ty = Vec::new();
    put_bytes(&mut ty, 1, &tensor);
    let mut vi = Vec::new();
    put_bytes(&mut vi, 1, name.as_bytes());
    put_bytes(&mut vi, 2, &ty);
    let mut new_graph = graph.to_vec();
    put_bytes(&mut new_graph, 12, &vi);
    let mut out = Vec::with_capacity(bytes.len() + vi.len() + 16);
    out.extend_from_slice(&bytes[..start]);
    put_bytes(&mut out, 7, &new_graph);
    out.extend_from_slice(&bytes[end..]);
    out
}

fn parse_graph(b: &[u8], m: &mut ModelProto) -> Result<(), ProtoError> {
    let mut r = Reader::new(b);
    let mut initializers = Vec::new();
    let mut ops = std::collections::BTreeSet::new();
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Bytes(node)) => {
                let mut rn = Reader::new(node);
                let (mut op, mut domain) = (String::new(), String::new());
                let (mut inputs, mut outputs, mut labels) = (vec![], vec![], vec![]);
                while let Some((n, f)) = rn.next()? {
                    match (n, f) {
                        (1, Field::Bytes(s)) => inputs.push(text(s)),
                        (2, Field::Bytes(s)) => outputs.push(text(s)),
                        (4, Field::Bytes(s)) => op = text(s),
                        (7, Field::Bytes(s)) => domain = text(s),
                        (5, Field::Bytes(a)) => labels.extend(class_labels(a)?),
                        _ => {}
                    }
                }
                if op != "ZipMap" && m.class_labels.is_empty() && !labels.is_empty() {
                    m.class_labels = labels.clone();
                }
                if op == "ZipMap" && inputs.len() == 1 && outputs.len() == 1 {
                    m.zipmaps.push(ZipMapNode {
                        input: inputs.remove(0),
                        output: outputs.remove(0),
                        labels,
                    });
                }
                ops.insert(if domain.is_empty() {
                    op
                } else {
                    format!("{domain}:{op}")
                });
            }
            (2, Field::Bytes(s)) => m.graph_name = text(s),
            (5, Field::Bytes(t)) => {
                // TensorProto: name is field 8
                let mut rt = Reader::new(t);
                while let Some((n, f)) = rt.next()? {
                    if let (8, Field::Bytes(s)) = (n, f) {
                        initializers.push(text(s));
                    }
                }
            }
            (11, Field::Bytes(v)) => m.inputs.push(parse_value_info(v)?),
            (12, Field::Bytes(v)) => m.outputs.push(parse_value_info(v)?),
            _ => {}
        }
    }
    m.inputs.retain(|i| !initializers.contains(&i.name));
    m.operators = ops.into_iter().collect();
    Ok(())
}

/// Parses a model file's bytes.
pub fn parse_model(bytes: &[u8]) -> Result<ModelProto, ProtoError> {
    if bytes.is_empty() {
        return Err(ProtoError::NotOnnx("the file is empty".into()));
    }
    let mut r = Reader::new(bytes);
    let mut m = ModelProto::default();
    let mut has_graph = false;
    loop {
        let field_start = r.pos;
        let Some((num, f)) = r.next()? else { break };
        match (num, f) {
            (1, Field::Varint(v)) => m.ir_version = v as i64,
            (2, Field::Bytes(s)) => m.producer_name = text(s),
            (3, Field::Bytes(s)) => m.producer_version = text(s),
            (4, Field::Bytes(s)) => m.domain = text(s),
            (5, Field::Varint(v)) => m.model_version = v as i64,
            (7, Field::Bytes(g)) => {
                parse_graph(g, &mut m)?;
                m.graph_field = (field_start, r.pos);
                has_graph = true;
            }
            (8, Field::Bytes(o)) => {
                let mut ro = Reader::new(o);
                let (mut domain, mut version) = (String::new(), 0i64);
                while let Some((n, f)) = ro.next()? {
                    match (n, f) {
                        (1, Field::Bytes(s)) => domain = text(s),
                        (2, Field::Varint(v)) => version = v as i64,
                        _ => {}
                    }
                }
                let domain = if domain.is_empty() {
                    "ai.onnx".to_string()
                } else {
                    domain
                };
                m.opsets.insert(domain, version);
            }
            (14, Field::Bytes(p)) => {
                let mut rp = Reader::new(p);
                let (mut k, mut v) = (String::new(), String::new());
                while let Some((n, f)) = rp.next()? {
                    match (n, f) {
                        (1, Field::Bytes(s)) => k = text(s),
                        (2, Field::Bytes(s)) => v = text(s),
                        _ => {}
                    }
                }
                m.metadata.insert(k, v);
            }
            _ => {}
        }
    }
    if !has_graph || m.ir_version <= 0 {
        return Err(ProtoError::NotOnnx("no graph or IR version".into()));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sample_champion() {
        let bytes = std::fs::read("sample_data/models/champion.onnx").unwrap();
        let m = parse_model(&bytes).unwrap();
        assert_eq!(m.producer_name, "skl2onnx");
        assert_eq!(m.inputs.len(), 1);
        assert_eq!(m.inputs[0].ty.describe(), "tensor(float)");
        assert_eq!(m.outputs[1].ty.describe(), "seq(map(int64,tensor(float)))");
        assert!(m.opsets.contains_key("ai.onnx.ml"));
        assert!(m.operators.iter().any(|o| o.ends_with("ZipMap")));
        assert_eq!(m.zipmaps.len(), 1);
        assert_eq!(m.zipmaps[0].labels, vec!["0", "1"]);
        let more = with_extra_output(&bytes, &m, &m.zipmaps[0].input);
        let m2 = parse_model(&more).unwrap();
        assert_eq!(m2.outputs.len(), 3);
        assert_eq!(m2.outputs[2].name, m.zipmaps[0].input);
        assert_eq!(m2.inputs, m.inputs);
    }

    #[test]
    fn truncated_and_foreign_bytes_are_errors_not_panics() {
        let bytes = std::fs::read("sample_data/models/champion.onnx").unwrap();
        for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
            assert!(parse_model(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse_model(b"hello, this is text").is_err());
        assert!(parse_model(&[0xff; 64]).is_err());
        assert!(parse_model(b"").is_err());
    }
}
