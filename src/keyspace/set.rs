//! Set values (being written).

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set {}

impl Set {
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
