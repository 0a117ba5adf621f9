//! List values (being written).

#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {}

impl List {
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
