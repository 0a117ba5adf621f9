//! sorted set commands (being written).

use super::CommandSpec;

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[];
