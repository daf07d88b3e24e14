//! The `serde` feature: configuration values through their text forms.
//!
//! [`IdleStrategyConfig`] and [`Statistics`] serialize as the strings their `Display` prints
//! (`"backoff:10,20,1us,1ms"`, `"timed:1ms"`) and deserialize through their `FromStr`, so a
//! file holds what a flag would, Aeron's and Agrona's names included. A bad string fails with
//! the parser's error: its message, then each cause along its `source()` chain, joined by
//! `": "` (a serde error carries one message and no `source()`, so the causes go into it, as a
//! reporter would print them). The durations of [`RunnerConfig`](crate::RunnerConfig) are
//! strings in the same syntax, with the unit required (`"5s"`, `"100ms"`).

use std::error::Error;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::idle_strategy::{parse_duration, DurationArg, Unit};
use crate::{IdleStrategyArgError, IdleStrategyConfig, Statistics};

impl Serialize for IdleStrategyConfig {
    /// The string `Display` prints: the shortest form that parses back to an equal value.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IdleStrategyConfig {
    /// Any string `FromStr` reads; a bad one fails with the parser's error and its causes.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor::new(r#"an idle strategy, such as "backoff:10,20,1us,1ms""#))
    }
}

impl Serialize for Statistics {
    /// The string `Display` prints: `off`, `counters` or `timed:<threshold>`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Statistics {
    /// Any string `FromStr` reads; a bad one fails with the parser's error and its causes.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_str(TextVisitor::new(r#"statistics: "off", "counters" or "timed:<threshold>""#))
    }
}

/// A [`Duration`] as a string with its unit, for `#[serde(with = "...")]`.
pub(crate) mod duration {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        TextDuration(*duration).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        TextDuration::deserialize(deserializer).map(|d| d.0)
    }
}

/// An optional [`Duration`] as a string with its unit, for `#[serde(with = "...")]`.
pub(crate) mod option_duration {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        duration.map(TextDuration).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<TextDuration>::deserialize(deserializer).map(|d| d.map(|d| d.0))
    }
}

/// A duration in text: a whole number and a unit, printed in the largest unit that keeps it
/// exact.
struct TextDuration(Duration);

impl FromStr for TextDuration {
    type Err = DurationParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let input = input.trim();
        parse_duration(input, Unit::Required)
            .map(TextDuration)
            .map_err(|reason| DurationParseError { value: input.to_owned(), reason })
    }
}

impl Serialize for TextDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&DurationArg(self.0))
    }
}

impl<'de> Deserialize<'de> for TextDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor::new(r#"a duration with a unit, such as "5s" or "100ms""#))
    }
}

/// A duration that could not be read; what is wrong with it is the `source()`.
#[derive(Debug, thiserror::Error)]
#[error("bad duration {value:?}")]
struct DurationParseError {
    value: String,
    #[source]
    reason: IdleStrategyArgError,
}

/// Reads a string through `T`'s [`FromStr`].
struct TextVisitor<T> {
    expecting: &'static str,
    parsed: PhantomData<fn() -> T>,
}

impl<T> TextVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        TextVisitor { expecting, parsed: PhantomData }
    }
}

impl<T> Visitor<'_> for TextVisitor<T>
where
    T: FromStr,
    T::Err: Error,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(|err: T::Err| E::custom(Causes(&err)))
    }
}

/// An error and each cause along its `source()` chain, joined by `": "`.
struct Causes<'a>(&'a dyn Error);

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use serde::de::value::{Error as ValueError, StrDeserializer};
    use serde::de::IntoDeserializer;

    use super::*;

    fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, ValueError> {
        let deserializer: StrDeserializer<'de, ValueError> = text.into_deserializer();
        T::deserialize(deserializer)
    }

    #[test]
    fn a_bad_duration_says_which_and_why() {
        let err = from_str::<TextDuration>("5").err().unwrap();
        assert_eq!(err.to_string(), r#"bad duration "5": a unit is required (ns, us, µs, ms or s)"#);
        let err = from_str::<TextDuration>(" 1.5s ").err().unwrap();
        assert_eq!(
            err.to_string(),
            r#"bad duration "1.5s": fractions are not supported: use a smaller unit (1500us, not 1.5ms)"#
        );
    }

    #[test]
    fn durations_read_with_their_unit_and_print_in_the_largest_exact_one() {
        for (text, duration, printed) in [
            ("5s", Duration::from_secs(5), "5s"),
            ("100ms", Duration::from_millis(100), "100ms"),
            ("1500ms", Duration::from_millis(1500), "1500ms"),
            ("2000 us", Duration::from_millis(2), "2ms"),
            ("7ns", Duration::from_nanos(7), "7ns"),
            ("0s", Duration::ZERO, "0s"),
        ] {
            let read = from_str::<TextDuration>(text).unwrap().0;
            assert_eq!(read, duration, "{text}");
            assert_eq!(DurationArg(read).to_string(), printed);
        }
    }
}
