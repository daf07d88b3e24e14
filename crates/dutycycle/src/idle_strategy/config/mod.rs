//! Idle strategies by name, as Aeron and Agrona configure them (`backoff:10,20,1us,1ms`).
//!
//! - [`IdleStrategyConfig`] (`idle_strategy_config.rs`): one strategy's configuration, always
//!   valid; its constructors, `build`, and the text forms (`Display` prints the shortest form
//!   that parses back, `FromStr` reads every form). The syntax is documented on the type.
//! - `names.rs`: the 27 names the parser accepts (Aeron's aliases, Aeron C's symbol names,
//!   Agrona's class names) and the strategy each stands for.
//! - `parser.rs`: text to configuration: the name, the arguments after `:`, and counts,
//!   durations with units and `controllable` modes.
//! - `suggest.rs`: the known name closest to a misspelt one, for the error message.
//! - [`IdleStrategyParseError`] (`error.rs`): why a text is not a configuration, naming the
//!   part of the input at fault.

mod error;
mod idle_strategy_config;
mod names;
mod parser;
mod suggest;

pub use error::{BadValue, IdleStrategyParseError};
pub use idle_strategy_config::IdleStrategyConfig;
