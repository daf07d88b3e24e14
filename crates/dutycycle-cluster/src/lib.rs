//! An Aeron Cluster client for [dutycycle] agents.
//!
//! - [`codec`]: the client protocol's SBE messages (schema 111), encoded and decoded without
//!   allocating, byte for byte as Aeron's own Java codecs.
#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod codec;
