//! ZSet values (being written).

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZSet {}

impl ZSet {
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
