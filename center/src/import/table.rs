//! A CSV file as a header and rows: columns recognised by name, line
//! numbers from the CSV reader, problems collected rather than returned
//! one at a time.

use csv::{ReaderBuilder, StringRecord};

use super::decode::decode_text;
use super::error::{ErrorKind, ImportError, ImportErrors};
use super::text::{fold_width, trim};

/// The columns of one kind of import file.
pub(super) trait Column: Copy + Eq + 'static {
    /// Every column.
    const ALL: &'static [Self];
    /// The Japanese name of every column, for the unknown-column message.
    const LABELS: &'static [&'static str];

    /// Header names that mean this column; the first is its Japanese name.
    /// Matched after [`header_key`].
    fn names(self) -> &'static [&'static str];

    /// The Japanese name, used when the column is missing from the file.
    fn label(self) -> &'static str {
        self.names()[0]
    }
}

/// How headers are compared: full-width folded, trimmed, ASCII lowercase,
/// spaces and hyphens as underscores (`Birth Date` = `birth_date`).
fn header_key(text: &str) -> String {
    fold_width(trim(text))
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The header row: which column each position holds.
pub(super) struct Header<C> {
    line: u64,
    /// Per position: the column, or `None` for an empty or unknown header.
    columns: Vec<Option<C>>,
    /// Per position: the header as written (trimmed).
    written: Vec<String>,
}

impl<C: Column> Header<C> {
    fn read(record: &StringRecord, line: u64, errors: &mut Vec<ImportError>) -> Self {
        let mut columns = Vec::with_capacity(record.len());
        let mut written: Vec<String> = Vec::with_capacity(record.len());
        for cell in record.iter() {
            let name = trim(cell).to_owned();
            let column = if name.is_empty() {
                None
            } else {
                let key = header_key(&name);
                let found = C::ALL
                    .iter()
                    .copied()
                    .find(|c| c.names().iter().any(|n| header_key(n) == key));
                match found {
                    None => {
                        errors.push(ImportError::at(
                            line,
                            Some(name.clone()),
                            ErrorKind::UnknownColumn {
                                accepted: C::LABELS,
                            },
                        ));
                        None
                    }
                    Some(column) => {
                        if let Some(i) = columns.iter().position(|c| *c == Some(column)) {
                            errors.push(ImportError::at(
                                line,
                                Some(name.clone()),
                                ErrorKind::DuplicateColumn {
                                    other: written[i].clone(),
                                },
                            ));
                            None
                        } else {
                            Some(column)
                        }
                    }
                }
            };
            columns.push(column);
            written.push(name);
        }
        Self {
            line,
            columns,
            written,
        }
    }

    /// Whether the file has this column.
    pub(super) fn has(&self, column: C) -> bool {
        self.position(column).is_some()
    }

    fn position(&self, column: C) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(column))
    }

    /// The column's header as written, or its Japanese name when absent.
    pub(super) fn name(&self, column: C) -> String {
        match self.position(column) {
            Some(i) => self.written[i].clone(),
            None => column.label().to_owned(),
        }
    }

    /// Reports each of `required` that the file lacks.
    pub(super) fn require(&self, required: &[C], errors: &mut Vec<ImportError>) {
        for &column in required {
            if !self.has(column) {
                errors.push(ImportError::at(
                    self.line,
                    Some(column.label().to_owned()),
                    ErrorKind::MissingColumn,
                ));
            }
        }
    }

    /// The header's line (1 unless the file starts with blank lines).
    pub(super) fn line(&self) -> u64 {
        self.line
    }
}

/// A data row whose cells line up with the header.
pub(super) struct Row {
    /// The line the row starts on.
    pub(super) line: u64,
    record: StringRecord,
}

impl Row {
    /// The trimmed cell of `column`; `None` when empty or the file lacks the
    /// column.
    pub(super) fn get<C: Column>(&self, header: &Header<C>, column: C) -> Option<&str> {
        let cell = trim(self.record.get(header.position(column)?)?);
        (!cell.is_empty()).then_some(cell)
    }
}

/// A whole file: its header and the rows worth validating. Problems with
/// the encoding, header, row shapes, or the absence of rows go to `errors`.
pub(super) struct Table<C> {
    pub(super) header: Header<C>,
    pub(super) rows: Vec<Row>,
}

/// Decodes and splits a file. `Err` when nothing more can be checked
/// (undecodable, empty, unreadable CSV); otherwise problems found so far are
/// in `errors` and the rows that line up with the header are returned.
pub(super) fn read_table<C: Column>(
    bytes: &[u8],
    errors: &mut Vec<ImportError>,
) -> Result<Table<C>, ImportErrors> {
    let (text, _) = decode_text(bytes)?;
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let malformed = |e: csv::Error| {
        let line = e.position().map(csv::Position::line);
        let kind = ErrorKind::Malformed {
            detail: e.to_string(),
        };
        ImportErrors::from(match line {
            Some(line) => ImportError::at(line, None, kind),
            None => ImportError::file(kind),
        })
    };
    let header = loop {
        match records.next() {
            None => return Err(ImportError::file(ErrorKind::Empty).into()),
            Some(record) => {
                let record = record.map_err(malformed)?;
                if is_blank(&record) {
                    continue;
                }
                break Header::read(&record, line_of(&record), errors);
            }
        }
    };
    let mut rows = Vec::new();
    let mut any_data = false;
    for record in records {
        let record = record.map_err(malformed)?;
        if is_blank(&record) {
            continue;
        }
        any_data = true;
        let line = line_of(&record);
        if let Some(kind) = shape_problem(&header, &record) {
            errors.push(ImportError::at(line, None, kind));
            continue;
        }
        for (i, cell) in record.iter().enumerate() {
            let unnamed = header.written.get(i).is_none_or(String::is_empty);
            if unnamed && !trim(cell).is_empty() {
                errors.push(ImportError::at(
                    line,
                    None,
                    ErrorKind::ValueWithoutHeader { position: i + 1 },
                ));
            }
        }
        rows.push(Row { line, record });
    }
    if !any_data {
        errors.push(ImportError::file(ErrorKind::NoData));
    }
    Ok(Table { header, rows })
}

fn line_of(record: &StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

/// Rows of nothing but empty cells, as Excel writes below a table.
fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|cell| trim(cell).is_empty())
}

/// Fewer cells than the header, or values beyond its end. Extra empty
/// cells (trailing commas) are fine, and so are missing cells under empty
/// header cells at the end.
fn shape_problem<C>(header: &Header<C>, record: &StringRecord) -> Option<ErrorKind> {
    let width = header.written.len();
    let named_width = header
        .written
        .iter()
        .rposition(|name| !name.is_empty())
        .map_or(0, |i| i + 1);
    let last_value = record
        .iter()
        .enumerate()
        .filter(|(_, cell)| !trim(cell).is_empty())
        .last()
        .map_or(0, |(i, _)| i + 1);
    if last_value > width {
        Some(ErrorKind::FieldCount {
            expected: width,
            found: last_value,
        })
    } else if record.len() < named_width {
        Some(ErrorKind::FieldCount {
            expected: named_width,
            found: record.len(),
        })
    } else {
        None
    }
}

/// The cells of one row, read column by column; every problem is recorded
/// and counted, so that a row is built only when it has none.
pub(super) struct Cells<'a, C> {
    header: &'a Header<C>,
    row: &'a Row,
    errors: &'a mut Vec<ImportError>,
    failures: usize,
}

impl<'a, C: Column> Cells<'a, C> {
    pub(super) fn new(
        header: &'a Header<C>,
        row: &'a Row,
        errors: &'a mut Vec<ImportError>,
    ) -> Self {
        Self {
            header,
            row,
            errors,
            failures: 0,
        }
    }

    /// Problems found in this row so far.
    pub(super) fn failures(&self) -> usize {
        self.failures
    }

    /// The trimmed cell, `None` when empty or the column is absent.
    pub(super) fn text(&self, column: C) -> Option<&'a str> {
        self.row.get(self.header, column)
    }

    /// An optional cell, parsed; `None` when empty (or on a problem,
    /// recorded).
    pub(super) fn optional<T>(
        &mut self,
        column: C,
        parse: impl FnOnce(&str) -> Result<T, ErrorKind>,
    ) -> Option<T> {
        let text = self.text(column)?;
        match parse(text) {
            Ok(value) => Some(value),
            Err(kind) => {
                self.fail(column, kind);
                None
            }
        }
    }

    /// A required cell, parsed. An empty cell is a problem; a missing
    /// column is one too, but reported once, for the header.
    pub(super) fn required<T>(
        &mut self,
        column: C,
        parse: impl FnOnce(&str) -> Result<T, ErrorKind>,
    ) -> Option<T> {
        if self.text(column).is_none() {
            if self.header.has(column) {
                self.fail(column, ErrorKind::Required);
            } else {
                self.failures += 1;
            }
            return None;
        }
        self.optional(column, parse)
    }

    /// Records a problem in `column` of this row.
    pub(super) fn fail(&mut self, column: C, kind: ErrorKind) {
        self.failures += 1;
        self.errors.push(ImportError::at(
            self.row.line,
            Some(self.header.name(column)),
            kind,
        ));
    }
}
