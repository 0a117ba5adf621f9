//! Server runtime (stub while being written).
use crate::config::Config;
pub fn run(_config: Config) -> Result<(), String> { Ok(()) }
