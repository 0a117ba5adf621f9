//! The replication backlog: a ring buffer holding the last
//! `repl-backlog-size` bytes of the stream, so a replica that lost its link
//! can continue from its offset (`+CONTINUE`) instead of a full sync.

/// Ring buffer of the newest stream bytes.
pub struct Backlog {
    buf: Vec<u8>,
    /// Next write position in `buf`.
    head: usize,
    /// Bytes held (≤ buf.len()).
    len: usize,
    /// Stream offset of the last byte appended (master_repl_offset).
    end_offset: u64,
}

impl Backlog {
    pub fn new(size: usize, end_offset: u64) -> Backlog {
        Backlog { buf: vec![0; size.max(1)], head: 0, len: 0, end_offset }
    }

    pub fn size(&self) -> usize {
        self.buf.len()
    }

    pub fn histlen(&self) -> usize {
        self.len
    }

    /// Offset of the first byte held (Redis's repl_backlog_first_byte_offset).
    pub fn first_offset(&self) -> u64 {
        self.end_offset + 1 - self.len as u64
    }

    pub fn end_offset(&self) -> u64 {
        self.end_offset
    }

    pub fn append(&mut self, mut data: &[u8]) {
        self.end_offset += data.len() as u64;
        let cap = self.buf.len();
        if data.len() >= cap {
            data = &data[data.len() - cap..];
            self.buf.copy_from_slice(data);
            self.head = 0;
            self.len = cap;
            return;
        }
        let first = (cap - self.head).min(data.len());
        self.buf[self.head..self.head + first].copy_from_slice(&data[..first]);
        self.buf[..data.len() - first].copy_from_slice(&data[first..]);
        self.head = (self.head + data.len()) % cap;
        self.len = (self.len + data.len()).min(cap);
    }

    /// The bytes from stream offset `from` (inclusive) to the end, or None
    /// when the backlog no longer (or not yet) holds `from`.
    pub fn since(&self, from: u64) -> Option<Vec<u8>> {
        if from < self.first_offset() || from > self.end_offset + 1 {
            return None;
        }
        let n = (self.end_offset + 1 - from) as usize;
        let cap = self.buf.len();
        let start = (self.head + cap - n) % cap;
        let mut out = Vec::with_capacity(n);
        let first = (cap - start).min(n);
        out.extend_from_slice(&self.buf[start..start + first]);
        out.extend_from_slice(&self.buf[..n - first]);
        Some(out)
    }

    /// Changes the size, keeping the newest bytes.
    pub fn resize(&mut self, size: usize) {
        let keep = self.since(self.first_offset()).unwrap_or_default();
        let mut b = Backlog::new(size, self.end_offset - keep.len() as u64);
        b.append(&keep);
        *self = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_bytes() {
        let mut b = Backlog::new(8, 0);
        b.append(b"abc");
        assert_eq!(b.first_offset(), 1);
        assert_eq!(b.since(2).unwrap(), b"bc");
        b.append(b"defghij");
        assert_eq!(b.end_offset(), 10);
        assert_eq!(b.histlen(), 8);
        assert_eq!(b.first_offset(), 3);
        assert_eq!(b.since(3).unwrap(), b"cdefghij");
        assert_eq!(b.since(11).unwrap(), b"");
        assert!(b.since(2).is_none());
        assert!(b.since(12).is_none());
        b.append(b"0123456789");
        assert_eq!(b.since(13).unwrap(), b"23456789");
        b.resize(4);
        assert_eq!(b.since(17).unwrap(), b"6789");
    }
}
