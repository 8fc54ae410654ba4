//! Objects that say what they are in a tag field, `{"type": "check_in", ...}`.
//!
//! serde's own `#[serde(tag = "...")]` buffers the whole object before it
//! looks at the tag, and errors inside then lose the name of the field they
//! are about. Our encoder writes the tag first, so the decoder reads it first
//! and hands the rest of the object straight to the variant: an error names
//! the exact field (`events[0].body.vitals.pulse_bpm`). Objects from other
//! producers with the tag elsewhere still decode, through a buffer.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

/// Every tag field name in the protocol.
pub(crate) const TAG_FIELDS: &[&str] = &["type", "method"];

/// An enum encoded as an object with a tag field naming the variant.
pub(crate) trait Tagged: Sized {
    /// The tag field's name, e.g. `"type"`.
    const TAG: &'static str;
    /// The tag values, e.g. `["check_in", "heartbeat", "sos"]`.
    const VARIANTS: &'static [&'static str];

    /// Decodes the variant named `tag` from the object's other fields.
    fn variant<'de, D: Deserializer<'de>>(tag: &str, rest: D) -> Result<Self, D::Error>;
}

/// `Deserialize::deserialize` for a [`Tagged`] enum.
pub(crate) fn deserialize<'de, T: Tagged, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(TaggedVisitor::<T>(PhantomData))
}

struct TaggedVisitor<T>(PhantomData<T>);

impl<'de, T: Tagged> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a `{}` field", T::TAG)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field(T::TAG));
        };
        if first == T::TAG {
            let tag = map.next_value_seed(TagSeed::<T>(PhantomData))?;
            return T::variant(&tag, MapAccessDeserializer::new(map));
        }
        // The tag is not first: keep the object and look for it.
        let mut rest = serde_json::Map::new();
        rest.insert(first, map.next_value()?);
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value()?;
            rest.insert(key, value);
        }
        let tag = match rest.remove(T::TAG) {
            Some(serde_json::Value::String(tag)) => tag,
            Some(other) => {
                return Err(de::Error::custom(format_args!(
                    "`{}` must be a string, not {other}",
                    T::TAG
                )));
            }
            None => return Err(de::Error::missing_field(T::TAG)),
        };
        check_tag::<T, A::Error>(&tag)?;
        T::variant(&tag, serde_json::Value::Object(rest)).map_err(de::Error::custom)
    }
}

fn check_tag<T: Tagged, E: de::Error>(tag: &str) -> Result<(), E> {
    if T::VARIANTS.contains(&tag) {
        Ok(())
    } else {
        Err(E::unknown_variant(tag, T::VARIANTS))
    }
}

/// Reads the tag's value and checks it, so that an unknown tag is reported at
/// the tag field itself.
struct TagSeed<T>(PhantomData<T>);

impl<'de, T: Tagged> DeserializeSeed<'de> for TagSeed<T> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        let tag = <String as serde::Deserialize>::deserialize(deserializer)?;
        check_tag::<T, D::Error>(&tag)?;
        Ok(tag)
    }
}

/// Implements `Deserialize` for a tagged enum whose variants are
/// `Variant(Struct)` or struct-like variants decoded through a helper struct.
macro_rules! tagged_enum {
    ($ty:ty, tag = $tag:literal, { $($name:literal => $variant:expr, $body:ty;)* }) => {
        impl $crate::tagged::Tagged for $ty {
            const TAG: &'static str = $tag;
            const VARIANTS: &'static [&'static str] = &[$($name),*];

            fn variant<'de, D: serde::Deserializer<'de>>(
                tag: &str,
                rest: D,
            ) -> Result<Self, D::Error> {
                match tag {
                    $($name => <$body as serde::Deserialize>::deserialize(rest).map($variant),)*
                    other => Err(<D::Error as serde::de::Error>::unknown_variant(
                        other,
                        <Self as $crate::tagged::Tagged>::VARIANTS,
                    )),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::tagged::deserialize(deserializer)
            }
        }
    };
}

pub(crate) use tagged_enum;
