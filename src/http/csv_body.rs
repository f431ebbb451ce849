//! CSV batch bodies, as spreadsheets and CRM reports export them: a header
//! row names each column by the path of the field it fills (`name`,
//! `ref.system`, `attributes.tier`, `scores.value`), and each row after it
//! becomes the item a JSON body would carry, so one parser checks both.
//!
//! A column must name a field the item takes. A cell is text unless its
//! field is known to be otherwise (`original_arr` is a number) or its header
//! says so (`attributes.seats:number`, `attributes.vip:boolean`,
//! `segment:json` to send `null`). An empty cell leaves its field out, which
//! a merge leaves as it is.

use axum::http::StatusCode;
use csv_core::{ReadRecordResult, Reader};
use serde_json::{Map, Number, Value};

use super::problem::Problem;
use super::streamed::{Items, MAX_LINE};
use crate::domain::Invalid;

/// What a column's cells are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Boolean,
    /// Any JSON value, written as JSON (`null`, `[{"system": …}]`).
    Json,
}

impl Kind {
    fn named(name: &str) -> Option<Self> {
        match name {
            "string" | "text" => Some(Self::Text),
            "number" => Some(Self::Number),
            "boolean" => Some(Self::Boolean),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// A cell as JSON, or why it is not one of this kind.
    fn read(self, cell: &str) -> Result<Value, &'static str> {
        match self {
            Self::Text => Ok(Value::String(cell.to_owned())),
            Self::Number => serde_json::from_str::<Number>(cell.trim())
                .map(Value::Number)
                .map_err(|_| "is not a number"),
            Self::Boolean => match cell.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err("is not true or false"),
            },
            Self::Json => serde_json::from_str(cell).map_err(|_| "is not JSON"),
        }
    }
}

/// The fields an item takes, by path, with what their cells are; a path
/// ending in `.*` covers every field under it (`attributes.*`).
#[derive(Debug)]
pub struct Kinds(pub &'static [(&'static str, Kind)]);

impl Kinds {
    /// What a field is, when the item takes it.
    fn of(&self, path: &str) -> Option<Kind> {
        self.0
            .iter()
            .find(|(known, _)| match known.strip_suffix('*') {
                Some(prefix) => path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| !rest.is_empty()),
                None => path == *known,
            })
            .map(|(_, kind)| *kind)
    }
}

/// A column: the field it fills and what its cells are.
#[derive(Debug)]
struct Column {
    path: String,
    kind: Kind,
}

/// The most columns a header may name.
const MAX_COLUMNS: usize = 1000;

/// Reads a CSV body record by record, whatever its chunks.
pub struct CsvItems {
    reader: Reader,
    kinds: &'static Kinds,
    /// The record being read: its fields' bytes, and where each field ends.
    record: Vec<u8>,
    ends: Vec<usize>,
    filled: usize,
    fields: usize,
    /// Named by the header once it is read.
    columns: Option<Vec<Column>>,
}

impl CsvItems {
    pub fn new(kinds: &'static Kinds) -> Self {
        Self {
            reader: Reader::new(),
            kinds,
            record: vec![0; 4096],
            ends: vec![0; 64],
            filled: 0,
            fields: 0,
            columns: None,
        }
    }

    /// Reads what `input` holds; an empty `input` ends the body.
    fn read(
        &mut self,
        mut input: &[u8],
        items: &mut Vec<Result<Value, Invalid>>,
    ) -> Result<(), Problem> {
        loop {
            let (result, read, written, ended) = self.reader.read_record(
                input,
                &mut self.record[self.filled..],
                &mut self.ends[self.fields..],
            );
            input = &input[read..];
            self.filled += written;
            self.fields += ended;
            match result {
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return Ok(()),
                ReadRecordResult::OutputFull => grow(&mut self.record, MAX_LINE, "a record")?,
                ReadRecordResult::OutputEndsFull => grow(&mut self.ends, MAX_COLUMNS, "a row")?,
                ReadRecordResult::Record => {
                    self.take(items)?;
                    self.filled = 0;
                    self.fields = 0;
                }
            }
        }
    }

    /// Takes the record read: the header, or a row as an item.
    fn take(&mut self, items: &mut Vec<Result<Value, Invalid>>) -> Result<(), Problem> {
        let mut start = 0;
        let cells = self.ends[..self.fields].iter().map(|&end| {
            let cell = &self.record[start..end];
            start = end;
            std::str::from_utf8(cell)
        });
        match &self.columns {
            None => self.columns = Some(header(cells, self.kinds)?),
            Some(columns) => items.push(row(columns, cells)),
        }
        Ok(())
    }
}

impl Items for CsvItems {
    fn feed(
        &mut self,
        bytes: &[u8],
        items: &mut Vec<Result<Value, Invalid>>,
    ) -> Result<(), Problem> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.read(bytes, items)
    }

    fn end(&mut self, items: &mut Vec<Result<Value, Invalid>>) -> Result<(), Problem> {
        self.read(&[], items)?;
        if self.columns.is_none() {
            let why = Invalid::single("header", "is required: a first row naming the fields");
            return Err(why.into());
        }
        Ok(())
    }
}

/// Doubles a buffer, up to `most`.
fn grow<T: Default + Clone>(buffer: &mut Vec<T>, most: usize, what: &str) -> Result<(), Problem> {
    if buffer.len() >= most {
        let why = format!("{what} is longer than {most} (bytes or fields)");
        return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, why));
    }
    let len = (buffer.len() * 2).min(most);
    buffer.resize(len, T::default());
    Ok(())
}

/// The columns a header names, or every bad one (`header[i]`).
fn header<'a>(
    cells: impl Iterator<Item = Result<&'a str, std::str::Utf8Error>>,
    kinds: &Kinds,
) -> Result<Vec<Column>, Invalid> {
    let mut columns: Vec<Column> = Vec::new();
    let mut bad = Invalid::default();
    for (i, cell) in cells.enumerate() {
        let field = format!("header[{i}]");
        let Ok(cell) = cell else {
            bad.push(field, "is not UTF-8");
            continue;
        };
        let cell = cell.trim_start_matches('\u{feff}').trim();
        match column(cell, kinds) {
            Err(why) => bad.push(field, why),
            Ok(c) if columns.iter().any(|o| overlaps(&o.path, &c.path)) => {
                bad.push(
                    field,
                    format!("`{}` names a field another column fills", c.path),
                );
            }
            Ok(c) => columns.push(c),
        }
    }
    bad.into_result().map(|()| columns)
}

/// A column from its header: `path` or `path:kind`, naming a field the item
/// takes.
fn column(cell: &str, kinds: &Kinds) -> Result<Column, String> {
    let (path, named) = match cell.rsplit_once(':') {
        Some((path, kind)) => {
            let named = Kind::named(kind).ok_or_else(|| {
                format!("`{kind}` is not a kind: string, number, boolean or json")
            })?;
            (path, Some(named))
        }
        None => (cell, None),
    };
    let segment_ok = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if !path.split('.').all(segment_ok) {
        return Err(format!(
            "`{path}` is not a field path: names of letters, digits and `_` joined by `.`"
        ));
    }
    let known = kinds.of(path).ok_or_else(|| {
        let fields: Vec<&str> = kinds.0.iter().map(|(p, _)| *p).collect();
        format!("`{path}` is not a field of an item: {}", fields.join(", "))
    })?;
    Ok(Column {
        path: path.to_owned(),
        kind: named.unwrap_or(known),
    })
}

/// Whether two paths fill the same field or one holds the other.
fn overlaps(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long == short
        || long
            .strip_prefix(short)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// A row as the item a JSON body would carry, or every bad cell.
fn row<'a>(
    columns: &[Column],
    cells: impl ExactSizeIterator<Item = Result<&'a str, std::str::Utf8Error>>,
) -> Result<Value, Invalid> {
    if cells.len() != columns.len() {
        let why = format!(
            "has {} fields; the header names {}",
            cells.len(),
            columns.len()
        );
        return Err(Invalid::single("row", why));
    }
    let mut item = Map::new();
    let mut bad = Invalid::default();
    for (column, cell) in columns.iter().zip(cells) {
        match cell {
            Err(_) => bad.push(column.path.clone(), "is not UTF-8"),
            Ok("") => {}
            Ok(cell) => match column.kind.read(cell) {
                Ok(value) => put(&mut item, &column.path, value),
                Err(why) => bad.push(column.path.clone(), why),
            },
        }
    }
    bad.into_result().map(|()| Value::Object(item))
}

/// Sets the field a path names, making the objects on the way.
fn put(item: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            item.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = item
                .entry(head)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                put(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    static KINDS: Kinds = Kinds(&[
        ("ref.system", Kind::Text),
        ("ref.id", Kind::Text),
        ("name", Kind::Text),
        ("segment", Kind::Text),
        ("original_arr", Kind::Number),
        ("attributes.*", Kind::Text),
        ("scores.*", Kind::Number),
    ]);

    /// Feeds a body in pieces of `size` bytes, as a network might cut it.
    fn items_of(body: &str, size: usize) -> Result<Vec<Result<Value, Invalid>>, Problem> {
        let mut csv = CsvItems::new(&KINDS);
        let mut items = Vec::new();
        for piece in body.as_bytes().chunks(size) {
            csv.feed(piece, &mut items)?;
        }
        csv.end(&mut items)?;
        Ok(items)
    }

    #[test]
    fn rows_become_items_typed_by_field_whatever_the_pieces() {
        let body = "\u{feff}ref.system,ref.id,name,original_arr,attributes.seats:number,\
                    attributes.vip:boolean,attributes.note\r\n\
                    sf,001,\"Acme, Inc.\",1200.5,40,TRUE,\"said \"\"yes\"\"\nthen left\"\r\n\
                    sf,002,Globex,,,,\n";
        let expected = vec![
            json!({"ref": {"system": "sf", "id": "001"}, "name": "Acme, Inc.",
                   "original_arr": 1200.5,
                   "attributes": {"seats": 40, "vip": true, "note": "said \"yes\"\nthen left"}}),
            json!({"ref": {"system": "sf", "id": "002"}, "name": "Globex"}),
        ];
        for size in [1, 7, 4096] {
            let items: Vec<Value> = items_of(body, size)
                .unwrap()
                .into_iter()
                .map(Result::unwrap)
                .collect();
            assert_eq!(items, expected, "in pieces of {size}");
        }
    }

    #[test]
    fn a_bad_cell_or_row_fails_its_item_by_field() {
        let body = "name,scores.value,segment:json\nA,x,null\nB,3\nC,2,[1\n";
        let items = items_of(body, 5).unwrap();
        let fields = |i: usize| -> Vec<String> {
            items[i]
                .as_ref()
                .unwrap_err()
                .0
                .iter()
                .map(|e| e.field.clone())
                .collect()
        };
        assert_eq!(fields(0), ["scores.value"]);
        assert_eq!(fields(1), ["row"]);
        assert_eq!(fields(2), ["segment"]);
    }

    #[test]
    fn a_bad_header_names_every_bad_column() {
        let Err(problem) = items_of(
            "name,ref.id,ref,a b,x:float,nmae,attributes,name\nA,,,,,,,\n",
            64,
        ) else {
            panic!("a bad header is refused");
        };
        let body = serde_json::to_value(&problem).unwrap();
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        let each = [
            "header[2]",
            "header[3]",
            "header[4]",
            "header[5]",
            "header[6]",
            "header[7]",
        ];
        assert_eq!(fields, each);
    }

    #[test]
    fn a_body_without_a_header_is_refused() {
        assert!(items_of("", 8).is_err());
        assert_eq!(items_of("name\n", 8).unwrap().len(), 0);
    }

    #[test]
    fn paths_overlap_only_on_whole_segments() {
        assert!(overlaps("ref", "ref.id"));
        assert!(overlaps("name", "name"));
        assert!(!overlaps("ref", "refs.id"));
        assert!(!overlaps("ref.id", "ref.system"));
    }
}
