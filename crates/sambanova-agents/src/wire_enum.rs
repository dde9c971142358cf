//! The one shape of every string-valued enum the servers send.
//!
//! A server's vocabulary grows faster than this SDK: a value it does not know must reach the
//! caller as sent, never fail a decode. So every such enum is `#[non_exhaustive]`, keeps an
//! unknown value in `Unknown(String)`, and reads and writes the wire string the same way
//! everywhere (`as_str`, `Display`, `From<&str>`, serde). Declaring them all through
//! [`wire_enum!`] keeps the three APIs' enums from drifting apart.

/// Declares a string enum of wire values, with `Unknown(String)` for the rest.
///
/// Each variant is `Variant = "wire"`. The enum gets `Debug`, `Clone`, `PartialEq`, `Eq`,
/// `Hash`, `#[non_exhaustive]`, `as_str()`, `Display` (the wire string), `From<&str>` (a
/// value no variant names is `Unknown`), and serde both ways as the wire string. Attributes
/// before the name go on the enum (`#[derive(Default)]` with a `#[default]` variant works).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this SDK does not know, as the server sent it.
            Unknown(String),
        }

        impl $name {
            /// The value as the server spells it (an `Unknown` one as it was sent).
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // A visitor rather than `String::deserialize`: only an unknown value is copied.
                struct Wire;
                impl ::serde::de::Visitor<'_> for Wire {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<$name, E> {
                        Ok($name::from(value))
                    }
                }
                deserializer.deserialize_str(Wire)
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    wire_enum! {
        /// A sample.
        #[derive(Default)]
        Sample {
            /// The first.
            #[default]
            First = "first",
            /// The second.
            SecondOne = "second_one",
        }
    }

    #[test]
    fn known_and_unknown_values_round_trip_through_every_conversion() {
        assert_eq!(Sample::default(), Sample::First);
        assert_eq!(Sample::from("second_one"), Sample::SecondOne);
        assert_eq!(Sample::SecondOne.as_str(), "second_one");
        assert_eq!(Sample::SecondOne.to_string(), "second_one");
        let unknown = Sample::from("third");
        assert_eq!(unknown, Sample::Unknown("third".into()));
        assert_eq!(
            (unknown.as_str(), unknown.to_string()),
            ("third", "third".into())
        );
        // The wire string is matched exactly: no case folding, no trimming.
        assert_eq!(Sample::from("First"), Sample::Unknown("First".into()));

        for (value, wire) in [
            (Sample::First, r#""first""#),
            (Sample::Unknown("third".into()), r#""third""#),
        ] {
            assert_eq!(serde_json::to_string(&value).unwrap(), wire);
            assert_eq!(serde_json::from_str::<Sample>(wire).unwrap(), value);
        }
        // An escaped string cannot be borrowed: it decodes all the same.
        assert_eq!(
            serde_json::from_str::<Sample>(r#""fir\u0073t""#).unwrap(),
            Sample::First
        );
        assert!(serde_json::from_str::<Sample>("5").is_err());
        assert_eq!(
            serde_json::from_value::<Sample>(serde_json::json!("second_one")).unwrap(),
            Sample::SecondOne
        );
    }
}
