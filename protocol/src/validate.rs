//! Validation of decoded messages: ranges, lengths and consistency that the
//! type system alone does not express. Every error names the field.

use std::fmt;

/// Where in a message a value sits, e.g. `events[2].body.vitals.pulse_bpm`.
///
/// Built on the stack while validating and turned into a string only when
/// something is wrong, so validating a valid message allocates nothing.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// The message itself.
    Root,
    /// A named field of the value at the parent path.
    Field(&'a Path<'a>, &'static str),
    /// An element of the list at the parent path.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The field `name` below this path.
    pub fn field(&'a self, name: &'static str) -> Path<'a> {
        Path::Field(self, name)
    }

    /// The list element `index` below this path.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// A value that decoded but is not acceptable, and which field holds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {problem}")]
pub struct ValidationError {
    /// The field's path, e.g. `events[0].body.vitals.blood_pressure.systolic_mmhg`.
    pub field: String,
    /// What is wrong with it.
    pub problem: Problem,
}

impl ValidationError {
    /// An error about the field at `path`.
    pub fn new(path: &Path<'_>, problem: Problem) -> Self {
        Self {
            field: path.to_string(),
            problem,
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A number outside what is physically or physiologically possible.
    #[error("{value} is outside the possible range {min}..={max}")]
    OutOfRange {
        /// The value as sent, in the field's unit.
        value: String,
        /// Lowest accepted value.
        min: String,
        /// Highest accepted value.
        max: String,
    },
    /// Text longer than the field allows.
    #[error("text of {chars} characters is longer than the limit of {max}")]
    TooLong {
        /// Length as sent, in Unicode scalar values.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// More list elements than the field allows.
    #[error("{len} entries are more than the limit of {max}")]
    TooMany {
        /// Length as sent.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Text that must not be empty (or blank) is.
    #[error("must not be empty")]
    Empty,
    /// Text with a control character (other than a permitted line break).
    #[error("contains a control character (U+{0:04X})")]
    ControlCharacter(u32),
    /// The same value twice in a list that is a set.
    #[error("`{0}` appears more than once")]
    Duplicate(String),
    /// Fields that contradict each other.
    #[error("{0}")]
    Inconsistent(&'static str),
    /// A value that a later minor version introduced than the message
    /// declared.
    #[error("`{value}` needs protocol {needs}; the message declared {declared}")]
    TooNew {
        /// The value, e.g. `tap`.
        value: &'static str,
        /// The version that introduced it.
        needs: String,
        /// What the message declared.
        declared: String,
    },
}

/// A message that can check itself after decoding.
pub trait Validate {
    /// Checks the value found at `path`; returns the first problem found.
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError>;

    /// Checks the value as a whole message.
    fn validate(&self) -> Result<(), ValidationError> {
        self.validate_at(&Path::Root)
    }
}

impl<T: Validate> Validate for Option<T> {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError> {
        match self {
            Some(value) => value.validate_at(path),
            None => Ok(()),
        }
    }
}

/// Checks each element of a list of at most `max` elements.
pub(crate) fn list<T: Validate>(
    path: &Path<'_>,
    items: &[T],
    max: usize,
) -> Result<(), ValidationError> {
    if items.len() > max {
        return Err(ValidationError::new(
            path,
            Problem::TooMany {
                len: items.len(),
                max,
            },
        ));
    }
    for (i, item) in items.iter().enumerate() {
        item.validate_at(&path.index(i))?;
    }
    Ok(())
}

/// Rejects a list that holds the same value twice.
pub(crate) fn unique<T: PartialEq + fmt::Debug>(
    path: &Path<'_>,
    items: &[T],
    name: impl Fn(&T) -> String,
) -> Result<(), ValidationError> {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            return Err(ValidationError::new(path, Problem::Duplicate(name(item))));
        }
    }
    Ok(())
}

/// Rules for one text field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextRule {
    /// Maximum length in Unicode scalar values.
    pub(crate) max_chars: usize,
    /// Whether the text may be empty or blank.
    pub(crate) may_be_empty: bool,
    /// Whether `\n` (and `\r\n`) may appear, for multi-line bodies.
    pub(crate) multiline: bool,
}

impl TextRule {
    /// A single line of at most `max_chars`, not blank.
    pub(crate) const fn line(max_chars: usize) -> Self {
        Self {
            max_chars,
            may_be_empty: false,
            multiline: false,
        }
    }

    /// Several lines of at most `max_chars` in all, not blank.
    pub(crate) const fn paragraph(max_chars: usize) -> Self {
        Self {
            max_chars,
            may_be_empty: false,
            multiline: true,
        }
    }

    pub(crate) fn check(&self, path: &Path<'_>, text: &str) -> Result<(), ValidationError> {
        let chars = text.chars().count();
        if chars > self.max_chars {
            return Err(ValidationError::new(
                path,
                Problem::TooLong {
                    chars,
                    max: self.max_chars,
                },
            ));
        }
        if !self.may_be_empty && text.trim().is_empty() {
            return Err(ValidationError::new(path, Problem::Empty));
        }
        let permitted = |c: char| self.multiline && (c == '\n' || c == '\r');
        if let Some(c) = text.chars().find(|&c| c.is_control() && !permitted(c)) {
            return Err(ValidationError::new(
                path,
                Problem::ControlCharacter(u32::from(c)),
            ));
        }
        Ok(())
    }
}

/// Checks that `value` lies in `min..=max`.
pub(crate) fn range<T: PartialOrd + fmt::Display>(
    path: &Path<'_>,
    value: T,
    min: T,
    max: T,
) -> Result<(), ValidationError> {
    if value < min || value > max {
        return Err(ValidationError::new(
            path,
            Problem::OutOfRange {
                value: value.to_string(),
                min: min.to_string(),
                max: max.to_string(),
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_the_json_they_point_into() {
        let root = Path::Root;
        let events = root.field("events");
        let third = events.index(2);
        let body = third.field("body");
        let pulse = body.field("pulse_bpm");
        assert_eq!(pulse.to_string(), "events[2].body.pulse_bpm");
        assert_eq!(root.to_string(), "");
    }

    #[test]
    fn text_rule_rejects_control_characters_but_allows_newlines_in_paragraphs() {
        let root = Path::Root;
        let at = root.field("note");
        assert_eq!(
            TextRule::line(10)
                .check(&at, "a\u{7}b")
                .unwrap_err()
                .problem,
            Problem::ControlCharacter(7)
        );
        assert!(TextRule::line(10).check(&at, "a\nb").is_err());
        assert!(TextRule::paragraph(10).check(&at, "a\nb").is_ok());
        assert_eq!(
            TextRule::line(3)
                .check(&at, "せきが出る")
                .unwrap_err()
                .problem,
            Problem::TooLong { chars: 5, max: 3 }
        );
        assert_eq!(
            TextRule::line(3).check(&at, "  ").unwrap_err().problem,
            Problem::Empty
        );
    }
}
