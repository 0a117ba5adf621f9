//! Request parser. Stateless: each call rescans the buffered request from its
//! start, which only walks the length headers (bulk payloads are skipped by
//! length), so a large value arriving in many reads costs little.

use bytes::{Buf, Bytes, BytesMut};
use smallvec::SmallVec;
use std::fmt;

use crate::util::parse_i64;

/// Size limits, with Redis's defaults.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: the largest bulk argument accepted.
    pub max_bulk: usize,
    /// Largest argument count of a multibulk request.
    pub max_multibulk: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk: 512 * 1024 * 1024, max_multibulk: i32::MAX as usize }
    }
}

/// Longest inline request or length header line, as Redis's PROTO_INLINE_MAX_SIZE.
const MAX_LINE: usize = 64 * 1024;

/// A malformed request: the client gets `-ERR Protocol error: <msg>` and is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub std::borrow::Cow<'static, str>);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ERR Protocol error: {}", self.0)
    }
}

/// Parses one request from the front of `buf`.
///
/// Returns `Ok(Some(args))` and removes the request from `buf`; `Ok(None)` when
/// more bytes are needed (then `buf` may have been given capacity for the rest);
/// an empty `args` vector is an empty inline line or `*0`, which callers skip.
pub fn parse_request(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Vec<Bytes>>, ProtocolError> {
    let mut args = Vec::new();
    Ok(parse_request_into(buf, limits, b"", &mut args)?.then_some(args))
}

/// As `parse_request`, into `args` (which must be empty): true when a
/// request was taken from `buf`. A connection reuses one vector for all its
/// requests, so the common path allocates nothing per request.
///
/// `name` is the command name the caller expects, spelled as the client
/// spells it: a request whose name is exactly these bytes gets them as its
/// first argument, without a reference to `buf`. A pipeline mostly repeats
/// one command, and each reference is an atomic increment and decrement.
pub fn parse_request_into(
    buf: &mut BytesMut,
    limits: &Limits,
    name: &'static [u8],
    args: &mut Vec<Bytes>,
) -> Result<bool, ProtocolError> {
    debug_assert!(args.is_empty());
    if buf.is_empty() {
        return Ok(false);
    }
    if buf[0] == b'*' { parse_multibulk(buf, limits, name, args) } else { parse_inline(buf, args) }
}

/// A request the connection serves on borrowed arguments (see
/// `simple_request`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simple {
    Get,
    Set,
    Incr,
    Decr,
    Lpush,
    Rpush,
    Lpop,
    Rpop,
    Sadd,
    Hset,
    Zadd,
}

impl Simple {
    /// The command's name in lower case, as the recognizer matches it and
    /// INFO and CLIENT LIST show it.
    pub fn name(self) -> &'static str {
        match self {
            Simple::Get => "get",
            Simple::Set => "set",
            Simple::Incr => "incr",
            Simple::Decr => "decr",
            Simple::Lpush => "lpush",
            Simple::Rpush => "rpush",
            Simple::Lpop => "lpop",
            Simple::Rpop => "rpop",
            Simple::Sadd => "sadd",
            Simple::Hset => "hset",
            Simple::Zadd => "zadd",
        }
    }
}

/// A complete [`Simple`] request at the front of a buffer: where its name,
/// key, `val` (the third argument) and `val2` (the fourth) lie, as (start,
/// len; empty where the request has fewer), and its whole length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimpleRequest {
    pub op: Simple,
    pub name: (usize, usize),
    pub key: (usize, usize),
    pub val: (usize, usize),
    pub val2: (usize, usize),
    pub len: usize,
}

/// Recognizes `GET key`, `SET key value` (no options), `INCR key`,
/// `DECR key`, `LPUSH`/`RPUSH key element`, `LPOP`/`RPOP key` (no count),
/// `SADD key member`, `HSET key field value` or `ZADD key score member`
/// (the name in any case) in RESP, complete at the front
/// of `buf`, with its lengths in the common form. None for anything else,
/// which `parse_request_into` then reads with every rule and error.
#[inline]
pub fn simple_request(buf: &[u8], max_bulk: usize) -> Option<SimpleRequest> {
    // The header gives the argument count and the name's length; the
    // commands of that shape are the candidates.
    let (argc, forms): (usize, &[Simple]) = match buf.get(..8)? {
        b"*2\r\n$3\r\n" => (2, &[Simple::Get]),
        b"*3\r\n$3\r\n" => (3, &[Simple::Set]),
        b"*2\r\n$4\r\n" => (2, &[Simple::Incr, Simple::Decr, Simple::Lpop, Simple::Rpop]),
        b"*3\r\n$4\r\n" => (3, &[Simple::Sadd]),
        b"*3\r\n$5\r\n" => (3, &[Simple::Lpush, Simple::Rpush]),
        b"*4\r\n$4\r\n" => (4, &[Simple::Hset, Simple::Zadd]),
        _ => return None,
    };
    let n = forms[0].name().len();
    let name = buf.get(8..8 + n + 2)?;
    if &name[n..] != b"\r\n" {
        return None;
    }
    // ASCII letters only: `c | 0x20` folds the upper case, and nothing else
    // onto a lower-case letter.
    let is = |op: &&Simple| name[..n].iter().zip(op.name().as_bytes()).all(|(c, l)| c | 0x20 == *l);
    let op = *forms.iter().find(is)?;
    let key = bulk_at(buf, 8 + n + 2, max_bulk)?;
    let after_key = key.0 + key.1 + 2;
    let mut end = after_key;
    let mut arg = |present: bool| -> Option<(usize, usize)> {
        if !present {
            return Some((end, 0));
        }
        let a = bulk_at(buf, end, max_bulk)?;
        end = a.0 + a.1 + 2;
        Some(a)
    };
    let val = arg(argc >= 3)?;
    let val2 = arg(argc == 4)?;
    Some(SimpleRequest { op, name: (8, n), key, val, val2, len: end })
}

/// A complete bulk string (`$len\r\n...\r\n`) at `pos`: (start, len).
#[inline]
fn bulk_at(buf: &[u8], pos: usize, max_bulk: usize) -> Option<(usize, usize)> {
    if *buf.get(pos)? != b'$' {
        return None;
    }
    let (len, start) = short_len_line(buf, pos + 1)?;
    (len <= max_bulk && buf.get(start + len..start + len + 2)? == b"\r\n").then_some((start, len))
}

/// The common length line at `pos`: up to 9 digits, no leading zero, then
/// "\r\n". Returns the value and the index after the line; None for
/// anything else, which `read_len_line` then reads with every rule and
/// error text.
#[inline(always)]
fn short_len_line(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let line = buf.get(pos..)?;
    let mut n = 0;
    let mut i = 0;
    while i < 10 && i < line.len() && line[i].is_ascii_digit() {
        n = n * 10 + (line[i] - b'0') as usize;
        i += 1;
    }
    let ok = (1..10).contains(&i) && (line[0] != b'0' || i == 1) && line.get(i..i + 2) == Some(b"\r\n");
    ok.then_some((n, pos + i + 2))
}

/// Reads a decimal line starting at `pos` (after the type byte). Returns the
/// value and the index after "\r\n", or None when the line is incomplete.
fn read_len_line(
    buf: &[u8],
    pos: usize,
    too_big: &'static str,
    invalid: &'static str,
) -> Result<Option<(i64, usize)>, ProtocolError> {
    let rest = &buf[pos..];
    let Some(nl) = memchr(b'\r', rest) else {
        if rest.len() > MAX_LINE {
            return Err(ProtocolError(too_big.into()));
        }
        return Ok(None);
    };
    if nl + 1 >= rest.len() {
        return Ok(None);
    }
    if rest[nl + 1] != b'\n' {
        return Err(ProtocolError(invalid.into()));
    }
    let n = parse_i64(&rest[..nl]).ok_or(ProtocolError(invalid.into()))?;
    Ok(Some((n, pos + nl + 2)))
}

fn parse_multibulk(
    buf: &mut BytesMut,
    limits: &Limits,
    name: &'static [u8],
    args: &mut Vec<Bytes>,
) -> Result<bool, ProtocolError> {
    const BAD_MB: &str = "invalid multibulk length";
    const BAD_BULK: &str = "invalid bulk length";
    let Some((count, mut pos)) = read_len_line(buf, 1, "too big mbulk count string", BAD_MB)? else {
        return Ok(false);
    };
    if count > limits.max_multibulk as i64 {
        return Err(ProtocolError(BAD_MB.into()));
    }
    if count <= 0 {
        buf.advance(pos);
        return Ok(true);
    }
    let count = count as usize;
    // First pass: the whole frame must be here and well formed before any
    // of it is taken (no state is kept between calls). It notes where each
    // argument starts and how long it is.
    let mut spans: SmallVec<[(usize, usize); 8]> = SmallVec::new();
    for _ in 0..count {
        if pos >= buf.len() {
            return Ok(false);
        }
        if buf[pos] != b'$' {
            return Err(ProtocolError(format!("expected '$', got '{}'", buf[pos] as char).into()));
        }
        let (len, start) = match short_len_line(buf, pos + 1) {
            Some(line) => line,
            None => match read_len_line(buf, pos + 1, "too big bulk count string", BAD_BULK)? {
                Some((len, _)) if len < 0 => return Err(ProtocolError(BAD_BULK.into())),
                Some((len, start)) => (len as usize, start),
                None => return Ok(false),
            },
        };
        if len > limits.max_bulk {
            return Err(ProtocolError(BAD_BULK.into()));
        }
        let end = start + len;
        if buf.len() < end + 2 {
            // Large argument still arriving: make room once for all of it.
            buf.reserve(end + 2 - buf.len());
            return Ok(false);
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Err(ProtocolError(BAD_BULK.into()));
        }
        spans.push((start, len));
        pos = end + 2;
    }
    // Second pass: each argument is split off the buffer on its own, one
    // reference count per argument and none for the frame around them.
    args.reserve(count);
    let mut at = 0;
    for (n, &(start, len)) in spans.iter().enumerate() {
        if n == 0 && buf[start..start + len] == *name {
            args.push(Bytes::from_static(name));
            continue;
        }
        buf.advance(start - at);
        args.push(buf.split_to(len).freeze());
        at = start + len;
    }
    buf.advance(pos - at);
    Ok(true)
}

fn parse_inline(buf: &mut BytesMut, args: &mut Vec<Bytes>) -> Result<bool, ProtocolError> {
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > MAX_LINE {
            return Err(ProtocolError("too big inline request".into()));
        }
        return Ok(false);
    };
    let line = buf.split_to(nl + 1).freeze();
    let mut end = nl;
    if end > 0 && line[end - 1] == b'\r' {
        end -= 1;
    }
    split_inline(&line.slice(..end), args).inspect_err(|_| args.clear())?;
    Ok(true)
}

/// Splits an inline command line like Redis's sdssplitargs: whitespace
/// separated, with "double" (C escapes) and 'single' quoted arguments.
fn split_inline(line: &Bytes, args: &mut Vec<Bytes>) -> Result<(), ProtocolError> {
    const UNBALANCED: &str = "unbalanced quotes in request";
    let s = &line[..];
    let mut i = 0;
    while i < s.len() {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        if s[i] != b'"' && s[i] != b'\'' {
            let start = i;
            while i < s.len() && !s[i].is_ascii_whitespace() {
                i += 1;
            }
            args.push(line.slice(start..i));
            continue;
        }
        let quote = s[i];
        i += 1;
        let mut cur = Vec::new();
        loop {
            if i >= s.len() {
                return Err(ProtocolError(UNBALANCED.into()));
            }
            let c = s[i];
            if quote == b'"' && c == b'\\' && i + 1 < s.len() {
                if s[i + 1] == b'x'
                    && i + 3 < s.len()
                    && s[i + 2].is_ascii_hexdigit()
                    && s[i + 3].is_ascii_hexdigit()
                {
                    cur.push(hex(s[i + 2]) * 16 + hex(s[i + 3]));
                    i += 4;
                    continue;
                }
                cur.push(match s[i + 1] {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 8,
                    b'a' => 7,
                    other => other,
                });
                i += 2;
            } else if quote == b'\'' && c == b'\\' && i + 1 < s.len() && s[i + 1] == b'\'' {
                cur.push(b'\'');
                i += 2;
            } else if c == quote {
                // A closing quote must be followed by a space or the end.
                if i + 1 < s.len() && !s[i + 1].is_ascii_whitespace() {
                    return Err(ProtocolError(UNBALANCED.into()));
                }
                i += 1;
                break;
            } else {
                cur.push(c);
                i += 1;
            }
        }
        args.push(Bytes::from(cur));
    }
    Ok(())
}

/// Walks the complete multibulk requests at the front of `buf`, at most
/// `max` of them and `4 * max` arguments in all, and calls `f` with each
/// one's name and second argument (absent for a one-word request). A look
/// ahead that changes nothing: it stops at an inline request, a frame not
/// fully read, anything malformed (which the real parser then handles),
/// or when the argument budget runs out, so that a huge request arriving
/// over many reads is not walked again from its start at each one.
pub fn scan_requests<'a>(buf: &'a [u8], max: usize, mut f: impl FnMut(&'a [u8], Option<&'a [u8]>)) {
    // A `<prefix><length>\r\n` line at `at`: the length and where the next
    // line starts; None for anything but a whole, well-formed line.
    let line = |at: usize, prefix: u8| -> Option<(usize, usize)> {
        if *buf.get(at)? != prefix {
            return None;
        }
        match read_len_line(buf, at + 1, "", "") {
            Ok(Some((n, next))) if n >= 0 => Some((n as usize, next)),
            _ => None,
        }
    };
    let mut at = 0;
    let mut budget = 4 * max;
    for _ in 0..max {
        let Some((argc, mut next)) = line(at, b'*') else { return };
        let (mut name, mut second) = (None, None);
        for i in 0..argc {
            if budget == 0 {
                return;
            }
            budget -= 1;
            let Some((len, start)) = line(next, b'$') else { return };
            let end = start + len;
            if buf.len() < end + 2 {
                return;
            }
            match i {
                0 => name = Some(&buf[start..end]),
                1 => second = Some(&buf[start..end]),
                _ => {}
            }
            next = end + 2;
        }
        if let Some(name) = name {
            f(name, second);
        }
        at = next;
    }
}

fn hex(c: u8) -> u8 {
    (c as char).to_digit(16).unwrap_or(0) as u8
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_requests_are_the_plain_forms_of_a_few_commands_only() {
        let req = |b: &[u8]| simple_request(b, 512);
        let get = req(b"*2\r\n$3\r\ngEt\r\n$3\r\nkey\r\n*1\r\n").expect("a GET");
        assert_eq!((get.op, get.key, get.len), (Simple::Get, (17, 3), 22));
        let set = req(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n").expect("a SET");
        assert_eq!((set.op, set.key, set.val, set.len), (Simple::Set, (17, 1), (25, 10), 37));
        let empty = req(b"*3\r\n$3\r\nset\r\n$0\r\n\r\n$0\r\n\r\n").expect("empty key and value");
        assert_eq!((empty.key, empty.val, empty.len), ((17, 0), (23, 0), 25));
        let incr = req(b"*2\r\n$4\r\nIncr\r\n$2\r\nab\r\n").expect("an INCR");
        assert_eq!((incr.op, incr.name, incr.key, incr.len), (Simple::Incr, (8, 4), (18, 2), 22));
        let decr = req(b"*2\r\n$4\r\ndecr\r\n$1\r\nk\r\n").expect("a DECR");
        assert_eq!((decr.op, decr.key, decr.len), (Simple::Decr, (18, 1), 21));
        let push = req(b"*3\r\n$5\r\nrPush\r\n$1\r\nl\r\n$2\r\nxy\r\n").expect("an RPUSH");
        assert_eq!(
            (push.op, push.name, push.key, push.val, push.len),
            (Simple::Rpush, (8, 5), (19, 1), (26, 2), 30)
        );
        assert_eq!(req(b"*3\r\n$5\r\nLPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n").map(|r| r.op), Some(Simple::Lpush));
        assert_eq!(req(b"*2\r\n$4\r\nLPOP\r\n$1\r\nl\r\n").map(|r| r.op), Some(Simple::Lpop));
        assert_eq!(req(b"*2\r\n$4\r\nrpop\r\n$1\r\nl\r\n").map(|r| r.op), Some(Simple::Rpop));
        assert_eq!(req(b"*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\nm\r\n").map(|r| r.op), Some(Simple::Sadd));
        let hset = req(b"*4\r\n$4\r\nhset\r\n$1\r\nh\r\n$2\r\nfi\r\n$3\r\nval\r\n").expect("an HSET");
        assert_eq!(
            (hset.op, hset.key, hset.val, hset.val2, hset.len),
            (Simple::Hset, (18, 1), (25, 2), (33, 3), 38)
        );
        assert_eq!(
            req(b"*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\nm\r\n").map(|r| r.op),
            Some(Simple::Zadd)
        );
        for other in [
            &b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n$1\r\nx\r\n"[..], // GET's arity error
            b"*2\r\n$3\r\nSET\r\n$1\r\nk\r\n",                 // SET's arity error
            b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nNX\r\n",
            b"*2\r\n$3\r\nGEX\r\n$1\r\nk\r\n",
            b"*3\r\n$4\r\nINCR\r\n$1\r\nk\r\n$1\r\n1\r\n", // INCR's arity error
            b"*2\r\n$4\r\nINCRBY\r\n$1\r\nk\r\n",
            b"*2\r\n$4\r\nSETX\r\n$1\r\nk\r\n",
            b"*2\r\n$4\r\nINC\x12\r\n$1\r\nk\r\n",
            b"*3\r\n$4\r\nLPOP\r\n$1\r\nl\r\n$1\r\n2\r\n", // LPOP with a count
            b"*4\r\n$5\r\nLPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n$1\r\ny\r\n", // two elements
            b"*2\r\n$5\r\nLPUSH\r\n$1\r\nl\r\n",           // LPUSH's arity error
            b"*2\r\n$4\r\nSADD\r\n$1\r\ns\r\n",            // SADD's arity error
            b"*3\r\n$5\r\nLPUSX\r\n$1\r\nl\r\n$1\r\nx\r\n",
            b"*3\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n", // HSET's arity error
            b"*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$2\r\nNX\r\n$1\r\n1\r\n$1\r\nm\r\n",
            b"*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\nm\r", // incomplete
            b"*2\r\n$3\r\nG\x05T\r\n$1\r\nk\r\n",
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r",    // incomplete
            b"*2\r\n$3\r\nGET\r\n$01\r\nk\r\n", // a length Redis reads its own way
            b"*2\r\n$3\r\nGET\r\n$1\r\nkx\r\n", // length and data disagree
            b"*2\r\n$3\r\nGET\r\n$513\r\n",     // beyond the bulk limit
            b"GET k\r\n",
        ] {
            assert_eq!(req(other), None, "{:?}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn a_simple_request_is_what_the_full_parser_reads() {
        // Mutated GET/SET/INCR/DECR frames: wherever `simple_request` takes
        // one, the full parser must read the same arguments, consuming as much.
        let bases: [&[u8]; 10] = [
            b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING\r\n",
            b"*3\r\n$3\r\nset\r\n$1\r\nk\r\n$12\r\nhello\r\nworld\r\n",
            b"*3\r\n$3\r\nSeT\r\n$0\r\n\r\n$2\r\n10\r\n",
            b"*2\r\n$4\r\nINCR\r\n$3\r\nkey\r\n*2\r\n$4\r\ndecr\r\n$1\r\nk\r\n",
            b"*2\r\n$4\r\ndEcR\r\n$10\r\n0123456789\r\n",
            b"*3\r\n$5\r\nLPUSH\r\n$1\r\nl\r\n$3\r\nabc\r\n*2\r\n$4\r\nrpop\r\n$1\r\nl\r\n",
            b"*3\r\n$4\r\nsAdD\r\n$2\r\nst\r\n$0\r\n\r\n",
            b"*2\r\n$4\r\nLpOp\r\n$5\r\nlist1\r\n",
            b"*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$2\r\nfi\r\n$3\r\nval\r\n",
            b"*4\r\n$4\r\nzadd\r\n$2\r\nzz\r\n$3\r\n1.5\r\n$0\r\n\r\n*1\r\n",
        ];
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        let (mut taken, mut declined) = (0, 0);
        for round in 0..20_000 {
            let mut frame = bases[round % bases.len()].to_vec();
            for _ in 0..next(3) {
                if frame.is_empty() {
                    break;
                }
                let at = next(frame.len());
                match next(4) {
                    0 => frame[at] = b"0123456789$*\r\nxGgEeTtSsIiNnCcRrDdLlPpUuHhOoAaZz"[next(47)],
                    1 => frame.truncate(at),
                    2 => frame.insert(at, b"0123456789\r\n$"[next(13)]),
                    _ => {
                        frame.remove(at);
                    }
                }
            }
            let limits = Limits { max_bulk: 11, ..Limits::default() };
            let Some(req) = simple_request(&frame, limits.max_bulk) else {
                declined += 1;
                continue;
            };
            taken += 1;
            let mut buf = BytesMut::from(&frame[..]);
            let mut args = Vec::new();
            let parsed = parse_request_into(&mut buf, &limits, b"", &mut args);
            assert_eq!(parsed, Ok(true), "{:?}", String::from_utf8_lossy(&frame));
            let span = |(start, len): (usize, usize)| &frame[start..start + len];
            let mut want = vec![span(req.name), span(req.key)];
            if matches!(req.op, Simple::Set | Simple::Lpush | Simple::Rpush | Simple::Sadd) {
                want.push(span(req.val));
            }
            if matches!(req.op, Simple::Hset | Simple::Zadd) {
                want.extend([span(req.val), span(req.val2)]);
            }
            assert_eq!(args.iter().map(|a| &a[..]).collect::<Vec<_>>(), want);
            assert_eq!(frame.len() - buf.len(), req.len, "{:?}", String::from_utf8_lossy(&frame));
        }
        assert!(taken > 1000 && declined > 1000, "taken {taken}, declined {declined}");
    }

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(args) = parse_request(&mut buf, &Limits::default())? {
            out.push(args);
        }
        Ok(out)
    }

    fn encode_args(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend(format!("${}\r\n", a.len()).as_bytes());
            out.extend(*a);
            out.extend(b"\r\n");
        }
        out
    }

    #[test]
    fn scan_requests_sees_complete_frames_only() {
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$2\r\nab\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$5\r\nunfin";
        let mut seen = Vec::new();
        scan_requests(buf, 64, |name, key| seen.push((name.to_vec(), key.map(<[u8]>::to_vec))));
        let want: Vec<(Vec<u8>, Option<Vec<u8>>)> = vec![
            (b"GET".to_vec(), Some(b"k".to_vec())),
            (b"PING".to_vec(), None),
            (b"SET".to_vec(), Some(b"ab".to_vec())),
        ];
        assert_eq!(seen, want);
        // At most `max`; an inline request or garbage ends the walk.
        let mut n = 0;
        scan_requests(buf, 1, |_, _| n += 1);
        assert_eq!(n, 1);
        // A request longer than the budget ends the walk, complete or not.
        let mut wide = encode_args(&[&b"MSET"[..]; 301]);
        wide.extend(encode_args(&[b"GET", b"k"]));
        scan_requests(&wide, 64, |name, _| assert_ne!(name, b"GET", "walked past 256 arguments"));
        let mut n = 0;
        scan_requests(&wide, 100, |_, _| n += 1);
        assert_eq!(n, 2, "within a budget of 400");
        for bad in
            [&b"PING\r\n*1\r\n$4\r\nPING\r\n"[..], b"*1\r\n$x\r\n", b"*\r\n", b"*1\r\n$99999999999\r\n"]
        {
            scan_requests(bad, 64, |_, _| panic!("nothing to see in {bad:?}"));
        }
    }

    #[test]
    fn multibulk_and_pipeline() {
        let got = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n").unwrap();
        assert_eq!(got, vec![vec![Bytes::from("GET"), Bytes::from("k")], vec![Bytes::from("PING")]]);
    }

    #[test]
    fn an_expected_name_is_taken_without_the_buffer() {
        let mut buf = BytesMut::from(
            &b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nget\r\n$1\r\nj\r\n*1\r\n$0\r\n\r\n"[..],
        );
        let start = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
        let in_buf = |b: &Bytes| start.contains(&(b.as_ptr() as usize));
        let mut args = Vec::new();
        let mut next = |args: &mut Vec<Bytes>| {
            args.clear();
            parse_request_into(&mut buf, &Limits::default(), b"GET", args).unwrap()
        };
        assert!(next(&mut args));
        assert_eq!(args, [&b"GET"[..], b"k"]);
        assert!(!in_buf(&args[0]) && in_buf(&args[1]));
        // Another spelling is taken from the buffer as usual.
        assert!(next(&mut args));
        assert_eq!(args, [&b"get"[..], b"j"]);
        assert!(in_buf(&args[0]));
        assert!(next(&mut args));
        assert_eq!(args, [&b""[..]]);
        assert!(!next(&mut args));
    }

    #[test]
    fn incomplete_waits_for_more() {
        for cut in 1..20 {
            let full = b"*2\r\n$3\r\nSET\r\n$2\r\nab\r\n";
            let mut buf = BytesMut::from(&full[..cut.min(full.len() - 1)]);
            assert_eq!(parse_request(&mut buf, &Limits::default()).unwrap(), None, "cut {cut}");
        }
    }

    #[test]
    fn binary_safe_values() {
        let got = parse_all(b"*1\r\n$4\r\na\r\nb\r\n").unwrap();
        assert_eq!(got[0][0], Bytes::from_static(b"a\r\nb"));
    }

    #[test]
    fn inline_with_quotes() {
        let got = parse_all(b"SET \"a b\" 'c d'\r\nPING\n\r\n").unwrap();
        assert_eq!(got[0], vec![Bytes::from("SET"), Bytes::from("a b"), Bytes::from("c d")]);
        assert_eq!(got[1], vec![Bytes::from("PING")]);
        assert!(got[2].is_empty());
        assert_eq!(parse_all(b"SET \"a\n").unwrap_err().0, "unbalanced quotes in request");
        assert_eq!(parse_all(b"ECHO \"\\x41\\n\"\n").unwrap()[0][1], Bytes::from("A\n"));
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(parse_all(b"*x\r\n").unwrap_err().0, "invalid multibulk length");
        assert_eq!(parse_all(b"*1\r\n$-5\r\n").unwrap_err().0, "invalid bulk length");
        assert_eq!(parse_all(b"*1\r\n+OK\r\n").unwrap_err().0, "expected '$', got '+'");
        let limits = Limits { max_bulk: 10, ..Limits::default() };
        let mut buf = BytesMut::from(&b"*1\r\n$11\r\n"[..]);
        assert_eq!(parse_request(&mut buf, &limits).unwrap_err().0, "invalid bulk length");
        let long = vec![b'a'; MAX_LINE + 1];
        assert_eq!(parse_all(&long).unwrap_err().0, "too big inline request");
        assert_eq!(
            parse_all(format!("*1\r\n${}", "1".repeat(MAX_LINE + 1)).as_bytes()).unwrap_err().0,
            "too big bulk count string"
        );
    }

    #[test]
    fn length_lines_follow_redis_rules_on_both_paths() {
        // Leading zeros, signs and spaces are invalid, as in Redis's string2ll.
        for bad in ["$03", "$+3", "$ 3", "$3 ", "$00", "$0000000003"] {
            let frame = format!("*1\r\n{bad}\r\nabc\r\n");
            assert_eq!(parse_all(frame.as_bytes()).unwrap_err().0, "invalid bulk length", "{bad}");
        }
        // Nine digits take the short path, ten the full one: both check the limit.
        let limits = Limits { max_bulk: 100, ..Limits::default() };
        for len in ["999999999", "1000000000"] {
            let mut buf = BytesMut::from(format!("*1\r\n${len}\r\n").as_bytes());
            assert_eq!(parse_request(&mut buf, &limits).unwrap_err().0, "invalid bulk length", "{len}");
        }
        let got = parse_all(b"*3\r\n$0\r\n\r\n$10\r\n0123456789\r\n$1\r\nx\r\n").unwrap();
        assert_eq!(got, vec![vec![Bytes::new(), Bytes::from("0123456789"), Bytes::from("x")]]);
    }
}
