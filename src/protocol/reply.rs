//! Replies and their encoding. A `Reply` is plain data (`Send`) so it can come
//! back from another shard; the connection encodes it for its protocol version.

use bytes::{BufMut, Bytes, BytesMut};

/// One reply value. RESP3-only shapes degrade to their RESP2 forms on encoding.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`
    Ok,
    /// A simple string (`+...`), e.g. `PONG` or `string` from TYPE.
    Simple(Bytes),
    /// An error line; the text carries its prefix (`ERR ...`, `WRONGTYPE ...`).
    Error(Bytes),
    Int(i64),
    Bulk(Bytes),
    /// A bulk string of up to [`SHORT`] bytes carried in the reply itself
    /// (`Reply::short`): a small value read from the keyspace is answered
    /// without allocating. `Reply` stays 40 bytes.
    Short(u8, [u8; SHORT]),
    /// Null bulk (`$-1`), RESP3 `_`.
    Nil,
    /// Null array (`*-1`), RESP3 `_`.
    NilArray,
    Array(Vec<Reply>),
    /// RESP3 map (`%`); a flat array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 set (`~`); an array in RESP2.
    Set(Vec<Reply>),
    /// Pairs such as WITHSCORES results: an array of 2-element arrays in
    /// RESP3, one flat array in RESP2 (as Redis 7 replies).
    Pairs(Vec<(Reply, Reply)>),
    /// RESP3 double (`,`); a bulk string in RESP2.
    Double(f64),
    /// RESP3 boolean (`#`); integer 1/0 in RESP2.
    Bool(bool),
    /// RESP3 verbatim string (`=`, format "txt"); a bulk string in RESP2.
    Verbatim(Bytes),
    /// A reply already in RESP form that reads the same in RESP2 and RESP3
    /// (an array of bulk strings): long replies built straight from a
    /// value's storage, with no `Reply` and no allocation per element.
    Encoded(Bytes),
}

/// Longest bulk string `Reply::Short` holds.
pub const SHORT: usize = 38;

impl Reply {
    /// A bulk reply with a copy of `b`: inline when short.
    pub fn short(b: &[u8]) -> Reply {
        match crate::util::inline_bytes(b) {
            Some((n, buf)) => Reply::Short(n, buf),
            None => Reply::Bulk(Bytes::copy_from_slice(b)),
        }
    }

    /// The bytes of a bulk reply (`Bulk` or `Short`).
    pub fn as_bulk(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::Short(n, buf) => Some(&buf[..*n as usize]),
            _ => None,
        }
    }

    pub fn simple(s: &'static str) -> Reply {
        Reply::Simple(Bytes::from_static(s.as_bytes()))
    }

    pub fn error(s: impl Into<String>) -> Reply {
        Reply::Error(Bytes::from(s.into()))
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}

impl From<i64> for Reply {
    fn from(v: i64) -> Self {
        Reply::Int(v)
    }
}

impl From<Option<Bytes>> for Reply {
    fn from(v: Option<Bytes>) -> Self {
        v.map_or(Reply::Nil, Reply::Bulk)
    }
}

fn put_len(out: &mut BytesMut, prefix: u8, n: usize) {
    let mut b = itoa::Buffer::new();
    out.put_u8(prefix);
    out.put_slice(b.format(n).as_bytes());
    out.put_slice(b"\r\n");
}

/// Appends `b` as a bulk string.
pub fn put_bulk(out: &mut BytesMut, b: &[u8]) {
    put_len(out, b'$', b.len());
    out.put_slice(b);
    out.put_slice(b"\r\n");
}

/// Formats a double as Redis does in replies (`%.17g`, `inf`, `-inf`, `nan`).
pub fn format_double(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v.is_nan() {
        return "nan".into();
    }
    // Shortest repr that round-trips: matches Redis 7's fpconv output.
    let mut b = ryu::Buffer::new();
    let s = b.format_finite(v);
    let s = s.strip_suffix(".0").unwrap_or(s);
    // ryu writes exponents as "1e21"; Redis writes "1e+21".
    match s.find('e') {
        Some(i) if s.as_bytes().get(i + 1) != Some(&b'-') => format!("{}e+{}", &s[..i], &s[i + 1..]),
        _ => s.to_string(),
    }
}

/// Appends `reply` to `out` in RESP2 (`resp3 == false`) or RESP3.
pub fn encode(out: &mut BytesMut, reply: &Reply, resp3: bool) {
    match reply {
        Reply::Ok => out.put_slice(b"+OK\r\n"),
        Reply::Simple(s) => {
            out.put_u8(b'+');
            out.put_slice(s);
            out.put_slice(b"\r\n");
        }
        Reply::Error(e) => {
            out.put_u8(b'-');
            out.put_slice(e);
            out.put_slice(b"\r\n");
        }
        Reply::Int(i) => {
            let mut b = itoa::Buffer::new();
            out.put_u8(b':');
            out.put_slice(b.format(*i).as_bytes());
            out.put_slice(b"\r\n");
        }
        Reply::Bulk(b) => put_bulk(out, b),
        Reply::Short(n, buf) => put_bulk(out, &buf[..*n as usize]),
        Reply::Nil if resp3 => out.put_slice(b"_\r\n"),
        Reply::Nil => out.put_slice(b"$-1\r\n"),
        Reply::NilArray if resp3 => out.put_slice(b"_\r\n"),
        Reply::NilArray => out.put_slice(b"*-1\r\n"),
        Reply::Array(items) => {
            put_len(out, b'*', items.len());
            for r in items {
                encode(out, r, resp3);
            }
        }
        Reply::Map(pairs) => {
            if resp3 {
                put_len(out, b'%', pairs.len());
            } else {
                put_len(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                encode(out, k, resp3);
                encode(out, v, resp3);
            }
        }
        Reply::Pairs(pairs) => {
            if resp3 {
                put_len(out, b'*', pairs.len());
                for (a, b) in pairs {
                    out.put_slice(b"*2\r\n");
                    encode(out, a, resp3);
                    encode(out, b, resp3);
                }
            } else {
                put_len(out, b'*', pairs.len() * 2);
                for (a, b) in pairs {
                    encode(out, a, resp3);
                    encode(out, b, resp3);
                }
            }
        }
        Reply::Set(items) => {
            put_len(out, if resp3 { b'~' } else { b'*' }, items.len());
            for r in items {
                encode(out, r, resp3);
            }
        }
        Reply::Double(d) => {
            let s = format_double(*d);
            if resp3 {
                out.put_u8(b',');
                out.put_slice(s.as_bytes());
                out.put_slice(b"\r\n");
            } else {
                put_bulk(out, s.as_bytes());
            }
        }
        Reply::Bool(v) if resp3 => out.put_slice(if *v { b"#t\r\n" } else { b"#f\r\n" }),
        Reply::Bool(v) => out.put_slice(if *v { b":1\r\n" } else { b":0\r\n" }),
        Reply::Verbatim(b) if resp3 => {
            put_len(out, b'=', b.len() + 4);
            out.put_slice(b"txt:");
            out.put_slice(b);
            out.put_slice(b"\r\n");
        }
        Reply::Verbatim(b) => put_bulk(out, b),
        Reply::Encoded(b) => out.put_slice(b),
    }
}

/// An array of bulk strings, encoded once: `*n` then each element. Used
/// for long range replies (LRANGE), where a `Reply` per element would
/// cost an allocation and a copy each.
/// `items` must yield exactly `n` elements.
pub fn bulk_array<E: AsRef<[u8]>>(n: usize, items: impl Iterator<Item = E>) -> Reply {
    let mut out = BytesMut::with_capacity(16 + n * 16);
    put_len(&mut out, b'*', n);
    let mut count = 0;
    for e in items {
        put_bulk(&mut out, e.as_ref());
        count += 1;
    }
    debug_assert_eq!(count, n, "bulk_array: element count");
    Reply::Encoded(out.freeze())
}

/// Encodes a command as a RESP array of bulk strings (what a client or a
/// master sends).
pub fn encode_command(out: &mut BytesMut, argv: &[Bytes]) {
    let mut b = itoa::Buffer::new();
    out.put_u8(b'*');
    out.put_slice(b.format(argv.len()).as_bytes());
    out.put_slice(b"\r\n");
    for a in argv {
        out.put_u8(b'$');
        out.put_slice(b.format(a.len()).as_bytes());
        out.put_slice(b"\r\n");
        out.put_slice(a);
        out.put_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, resp3: bool) -> String {
        let mut out = BytesMut::new();
        encode(&mut out, r, resp3);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn resp2_shapes() {
        assert_eq!(enc(&Reply::Ok, false), "+OK\r\n");
        assert_eq!(enc(&Reply::Int(-3), false), ":-3\r\n");
        assert_eq!(enc(&Reply::bulk("hi"), false), "$2\r\nhi\r\n");
        assert_eq!(enc(&Reply::Nil, false), "$-1\r\n");
        assert_eq!(enc(&Reply::NilArray, false), "*-1\r\n");
        assert_eq!(enc(&Reply::error("ERR x"), false), "-ERR x\r\n");
        let m = Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]);
        assert_eq!(enc(&m, false), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Double(1.5), false), "$3\r\n1.5\r\n");
        let p = Reply::Pairs(vec![(Reply::bulk("m"), Reply::Double(1.0))]);
        assert_eq!(enc(&p, false), "*2\r\n$1\r\nm\r\n$1\r\n1\r\n");
        assert_eq!(enc(&p, true), "*1\r\n*2\r\n$1\r\nm\r\n,1\r\n");
    }

    #[test]
    fn resp3_shapes() {
        assert_eq!(enc(&Reply::Nil, true), "_\r\n");
        let m = Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]);
        assert_eq!(enc(&m, true), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Double(2.0), true), ",2\r\n");
        assert_eq!(enc(&Reply::Bool(true), true), "#t\r\n");
        assert_eq!(enc(&Reply::Verbatim(Bytes::from("x")), true), "=5\r\ntxt:x\r\n");
    }

    #[test]
    fn doubles_like_redis() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(10.5), "10.5");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(1e21), "1e+21");
        assert_eq!(format_double(0.1 + 0.2), "0.30000000000000004");
    }
}
