//! Hash values (being written).

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hash {}

impl Hash {
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
