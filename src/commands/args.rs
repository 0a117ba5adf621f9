//! `Args`: a cursor over a command's arguments with Redis's parsing rules.

use super::CmdError;
use crate::util::{parse_f64, parse_i64};
use bytes::Bytes;

pub struct Args<'a> {
    argv: &'a [Bytes],
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor positioned after the command name.
    pub fn new(argv: &'a [Bytes]) -> Self {
        Args { argv, pos: 1 }
    }

    /// The command name as sent.
    pub fn name(&self) -> &'a [u8] {
        &self.argv[0]
    }

    pub fn all(&self) -> &'a [Bytes] {
        self.argv
    }

    /// The arguments not consumed yet.
    pub fn rest(&self) -> &'a [Bytes] {
        &self.argv[self.pos..]
    }

    pub fn remaining(&self) -> usize {
        self.argv.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn peek(&self) -> Option<&'a Bytes> {
        self.argv.get(self.pos)
    }

    /// Next argument; a missing one is a syntax error (arity was checked).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<&'a Bytes, CmdError> {
        let a = self.argv.get(self.pos).ok_or(CmdError::Syntax)?;
        self.pos += 1;
        Ok(a)
    }

    pub fn key(&mut self) -> Result<&'a [u8], CmdError> {
        self.next().map(|b| &b[..])
    }

    pub fn bytes(&mut self) -> Result<Bytes, CmdError> {
        self.next().cloned()
    }

    pub fn i64(&mut self) -> Result<i64, CmdError> {
        parse_i64(self.next()?).ok_or(CmdError::NotInteger)
    }

    pub fn f64(&mut self) -> Result<f64, CmdError> {
        parse_f64(self.next()?).ok_or(CmdError::NotFloat)
    }

    /// Consumes the next argument if it equals `word` (case-insensitive).
    pub fn flag(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(a) if a.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Errors with `ERR syntax error` if arguments are left over.
    pub fn finish(&self) -> Result<(), CmdError> {
        if self.remaining() == 0 { Ok(()) } else { Err(CmdError::Syntax) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor() {
        let v: Vec<Bytes> = ["SET", "k", "10", "ex", "x"].iter().map(|s| Bytes::from(*s)).collect();
        let mut a = Args::new(&v);
        assert_eq!(a.key().unwrap(), b"k");
        assert_eq!(a.i64().unwrap(), 10);
        assert!(!a.flag("PX"));
        assert!(a.flag("EX"));
        assert_eq!(a.finish(), Err(CmdError::Syntax));
        assert_eq!(a.i64(), Err(CmdError::NotInteger));
        assert!(a.finish().is_ok());
    }
}
