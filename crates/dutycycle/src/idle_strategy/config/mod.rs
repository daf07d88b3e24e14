//! Idle strategies by name, as Aeron and Agrona configure them (`backoff:10,20,1us,1ms`).
//!
//! - [`IdleStrategyConfig`] (`idle_strategy_config.rs`): one strategy's configuration, always
//!   valid; its constructors, `build`, and the text forms (`Display` prints the shortest form
//!   that parses back, `FromStr` reads every form). The syntax is documented on the type.
//! - `names.rs`: the 28 names the parser accepts (Aeron's aliases, Aeron C's symbol names,
//!   Agrona's class names, and the `backoff-woken` preset) and the strategy each stands for.
//! - `parser.rs`: text to configuration: the name, then the arguments after `:`.
//! - `arguments.rs`: one argument: a count, a duration with its unit, a `controllable` mode;
//!   its duration syntax is also the one of the crate's other text forms (a `Statistics`
//!   threshold, a configuration file's durations).
//! - `suggest.rs`: the known name closest to a misspelt one, for the error message.
//! - [`IdleStrategyParseError`] (`error.rs`): why a text is not a configuration, naming the
//!   part of the input at fault.
//!
//! The set of strategies is written down once, as the variants of
//! [`AnyIdleStrategy`](crate::AnyIdleStrategy): a configuration holds one, checked when it was
//! made, and `build` copies it; the names table maps each name to a variant with its default
//! arguments. A new strategy is a variant there, its names here, and an arm in each `match`
//! the compiler then points to.

mod arguments;
mod error;
mod idle_strategy_config;
mod names;
mod parser;
mod suggest;

pub(crate) use arguments::{parse_duration, DurationArg, Unit};
pub use error::{IdleStrategyArgError, IdleStrategyParseError};
pub use idle_strategy_config::IdleStrategyConfig;

/// Shorthands for the unit tests of this folder.
#[cfg(all(test, not(loom)))]
mod test_support {
    use std::time::Duration;

    use super::{IdleStrategyConfig, IdleStrategyParseError};

    pub(super) fn parse(s: &str) -> Result<IdleStrategyConfig, IdleStrategyParseError> {
        s.parse()
    }

    pub(super) fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    pub(super) fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// What the error's source says: the reason behind it.
    pub(super) fn source_text(err: &IdleStrategyParseError) -> Option<String> {
        std::error::Error::source(err).map(ToString::to_string)
    }
}
