//! RDB reading: versions 1 to 11, every opcode and value encoding a Redis
//! 2.x-7.2 master writes.
//!
//! Safety on malformed input: every read is bounds-checked ([`Reader`]),
//! element counts are checked against the bytes left before anything is
//! allocated (each element takes at least one byte), and LZF output is
//! bounded by its input. Errors are values, never panics.

use super::values::{Obj, into_value};
use super::{
    Crc64, Item, LoadedKey, MAX_VERSION, RdbError, RdbInfo, intset, len, listpack, lzf, opcode, parse_score,
    ty, ziplist, zipmap,
};
use crate::keyspace::{Encodings, Entry, NUM_DBS};
use bytes::Bytes;
use std::borrow::Cow;

/// A cursor over the file; running out of bytes is [`RdbError::UnexpectedEof`].
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A length field, or the marker of a specially encoded string.
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn u8(&mut self) -> Result<u8, RdbError> {
        let b = *self.data.get(self.pos).ok_or(RdbError::UnexpectedEof)?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], RdbError> {
        if n > self.remaining() as u64 {
            return Err(RdbError::UnexpectedEof);
        }
        let s = &self.data[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        Ok(self.take(N as u64)?.try_into().expect("N bytes"))
    }

    fn len_or_encoding(&mut self) -> Result<Len, RdbError> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            len::BITS6 => Len::Plain((b & 0x3F) as u64),
            len::BITS14 => Len::Plain((((b & 0x3F) as u64) << 8) | self.u8()? as u64),
            len::ENCVAL => Len::Encoded(b & 0x3F),
            _ => match b {
                len::BITS32 => Len::Plain(u32::from_be_bytes(self.array()?) as u64),
                len::BITS64 => Len::Plain(u64::from_be_bytes(self.array()?)),
                _ => return Err(RdbError::Corrupt(format!("unknown length encoding {b:#04x}"))),
            },
        })
    }

    /// A plain length (an encoded-string marker here is corruption).
    fn length(&mut self) -> Result<u64, RdbError> {
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(e) => Err(RdbError::Corrupt(format!("string encoding {e} where a length belongs"))),
        }
    }

    /// An element count, each element taking at least `min_size` bytes: a
    /// count the remaining bytes cannot hold fails here, so it can size an
    /// allocation safely.
    fn count(&mut self, min_size: usize) -> Result<usize, RdbError> {
        let n = self.length()?;
        if n.saturating_mul(min_size as u64) > self.remaining() as u64 {
            return Err(RdbError::UnexpectedEof);
        }
        Ok(n as usize)
    }

    /// A string in any encoding: raw, int8/16/32 (as decimal text) or LZF.
    fn string(&mut self) -> Result<Cow<'a, [u8]>, RdbError> {
        let int = |v: i64| Ok(Cow::Owned(itoa::Buffer::new().format(v).as_bytes().to_vec()));
        match self.len_or_encoding()? {
            Len::Plain(n) => Ok(Cow::Borrowed(self.take(n)?)),
            Len::Encoded(len::ENC_INT8) => int(self.u8()? as i8 as i64),
            Len::Encoded(len::ENC_INT16) => int(i16::from_le_bytes(self.array()?) as i64),
            Len::Encoded(len::ENC_INT32) => int(i32::from_le_bytes(self.array()?) as i64),
            Len::Encoded(len::ENC_LZF) => {
                let clen = self.length()?;
                let ulen = self.length()?;
                let packed = self.take(clen)?;
                let ulen = usize::try_from(ulen).map_err(|_| lzf_error())?;
                lzf::decompress(packed, ulen).map(Cow::Owned).ok_or_else(lzf_error)
            }
            Len::Encoded(e) => Err(RdbError::Corrupt(format!("unknown string encoding {e}"))),
        }
    }

    fn bytes(&mut self) -> Result<Bytes, RdbError> {
        Ok(match self.string()? {
            Cow::Borrowed(b) => Bytes::copy_from_slice(b),
            Cow::Owned(v) => Bytes::from(v),
        })
    }

    /// A score as text with a one-byte length (type 3): 253 NaN, 254 +inf,
    /// 255 -inf.
    fn text_double(&mut self) -> Result<f64, RdbError> {
        match self.u8()? {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Err(nan_score()),
            n => parse_score(self.take(n as u64)?),
        }
    }

    /// A score as 8 little-endian bytes (type 5).
    fn binary_double(&mut self) -> Result<f64, RdbError> {
        let v = f64::from_le_bytes(self.array()?);
        if v.is_nan() { Err(nan_score()) } else { Ok(v) }
    }
}

fn lzf_error() -> RdbError {
    RdbError::Corrupt("LZF string does not decompress to its stated length".into())
}

fn nan_score() -> RdbError {
    RdbError::Corrupt("sorted set score is NaN".into())
}

/// The name of a module type from its 64-bit id: nine characters of six
/// bits each in the top 54 bits (`moduleTypeNameByID`).
fn module_name(id: u64) -> String {
    const CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..9).map(|j| CHARSET[((id >> (58 - 6 * j)) & 63) as usize] as char).collect()
}

/// Pairs up consecutive compact-list items: (member/field, second).
fn pairs<T>(
    each: impl FnOnce(&mut dyn FnMut(Item<'_>) -> Result<(), RdbError>) -> Result<(), RdbError>,
    mut second: impl FnMut(Item<'_>) -> Result<T, RdbError>,
) -> Result<Vec<(Bytes, T)>, RdbError> {
    let mut out = Vec::new();
    let mut pending = None;
    each(&mut |it| {
        match pending.take() {
            None => pending = Some(it.to_bytes()),
            Some(first) => out.push((first, second(it)?)),
        }
        Ok(())
    })?;
    if pending.is_some() {
        return Err(RdbError::Corrupt("odd number of entries in a hash or sorted set".into()));
    }
    Ok(out)
}

fn items(
    each: impl FnOnce(&mut dyn FnMut(Item<'_>) -> Result<(), RdbError>) -> Result<(), RdbError>,
) -> Result<Vec<Bytes>, RdbError> {
    let mut out = Vec::new();
    each(&mut |it| {
        out.push(it.to_bytes());
        Ok(())
    })?;
    Ok(out)
}

/// Reads the value of type `t` (the key has been read).
fn load_object(r: &mut Reader<'_>, t: u8) -> Result<Obj, RdbError> {
    let unsupported = |name| Err(RdbError::UnsupportedType { type_id: t, name });
    Ok(match t {
        ty::STRING => Obj::Str(r.bytes()?),
        ty::LIST | ty::SET => {
            let n = r.count(1)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(r.bytes()?);
            }
            if t == ty::LIST { Obj::List(v) } else { Obj::Set(v) }
        }
        ty::HASH => {
            let n = r.count(2)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push((r.bytes()?, r.bytes()?));
            }
            Obj::Hash(v)
        }
        ty::ZSET | ty::ZSET_2 => {
            let n = r.count(if t == ty::ZSET { 2 } else { 9 })?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                let m = r.bytes()?;
                let score = if t == ty::ZSET { r.text_double()? } else { r.binary_double()? };
                v.push((m, score));
            }
            Obj::ZSet(v)
        }
        ty::HASH_ZIPMAP => {
            let blob = r.string()?;
            let mut v = Vec::new();
            zipmap::for_each(&blob, |f, x| {
                v.push((Bytes::copy_from_slice(f), Bytes::copy_from_slice(x)));
                Ok(())
            })?;
            Obj::Hash(v)
        }
        ty::LIST_ZIPLIST => {
            let blob = r.string()?;
            Obj::List(items(|f| ziplist::for_each(&blob, f))?)
        }
        ty::SET_INTSET => {
            let blob = r.string()?;
            let mut v = Vec::new();
            intset::for_each(&blob, |i| {
                v.push(Item::Int(i).to_bytes());
                Ok(())
            })?;
            Obj::Set(v)
        }
        ty::ZSET_ZIPLIST => {
            let blob = r.string()?;
            Obj::ZSet(pairs(|f| ziplist::for_each(&blob, f), |it| it.to_score())?)
        }
        ty::HASH_ZIPLIST => {
            let blob = r.string()?;
            Obj::Hash(pairs(|f| ziplist::for_each(&blob, f), |it| Ok(it.to_bytes()))?)
        }
        ty::LIST_QUICKLIST => {
            let nodes = r.count(1)?;
            let mut v = Vec::new();
            for _ in 0..nodes {
                let blob = r.string()?;
                ziplist::for_each(&blob, |it| {
                    v.push(it.to_bytes());
                    Ok(())
                })?;
            }
            Obj::List(v)
        }
        ty::HASH_LISTPACK => {
            let blob = r.string()?;
            Obj::Hash(pairs(|f| listpack::for_each(&blob, f), |it| Ok(it.to_bytes()))?)
        }
        ty::ZSET_LISTPACK => {
            let blob = r.string()?;
            Obj::ZSet(pairs(|f| listpack::for_each(&blob, f), |it| it.to_score())?)
        }
        ty::SET_LISTPACK => {
            let blob = r.string()?;
            Obj::Set(items(|f| listpack::for_each(&blob, f))?)
        }
        ty::LIST_QUICKLIST_2 => {
            const PLAIN: u64 = 1;
            const PACKED: u64 = 2;
            let nodes = r.count(2)?;
            let mut v = Vec::new();
            for _ in 0..nodes {
                match r.length()? {
                    PLAIN => v.push(r.bytes()?),
                    PACKED => {
                        let blob = r.string()?;
                        listpack::for_each(&blob, |it| {
                            v.push(it.to_bytes());
                            Ok(())
                        })?;
                    }
                    c => return Err(RdbError::Corrupt(format!("unknown quicklist node container {c}"))),
                }
            }
            Obj::List(v)
        }
        ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 | ty::STREAM_LISTPACKS_3 => {
            return unsupported("stream");
        }
        ty::MODULE_PRE_GA | ty::MODULE_2 => {
            return Err(RdbError::Module { name: module_name(r.length()?) });
        }
        _ => return Err(RdbError::UnknownType(t)),
    })
}

/// Adds the key to a corruption message, so a log line says where.
fn at_key(e: RdbError, key: &[u8]) -> RdbError {
    match e {
        RdbError::Corrupt(what) => {
            RdbError::Corrupt(format!("{what} (key {:?})", String::from_utf8_lossy(key)))
        }
        e => e,
    }
}

/// The `REDISnnnn` header: the version, checked.
fn read_header(r: &mut Reader<'_>) -> Result<u32, RdbError> {
    let head = &r.data[..r.data.len().min(9)];
    let bad = || RdbError::BadMagic(head.to_vec());
    if head.len() < 9 || &head[..5] != b"REDIS" || !head[5..].iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    r.pos = 9;
    let version = head[5..].iter().fold(0u32, |v, d| v * 10 + (d - b'0') as u32);
    if !(1..=MAX_VERSION).contains(&version) {
        return Err(RdbError::UnsupportedVersion(version));
    }
    Ok(version)
}

/// Decodes a whole RDB file held in memory, calling `sink` for every key in
/// file order, with its expiry even when already past (the caller decides).
///
/// The checksum after EOF is verified unless it is zero (Redis with
/// `rdbchecksum no`); no bytes may follow it. Empty collections are skipped,
/// as Redis does.
///
/// On `Err`, keys already passed to `sink` must be discarded: an unknown
/// type or a bad checksum can be found only after them. The error names
/// the version, type, opcode or module that stopped the load.
///
/// Collections take the compact or large forms of Redis's default
/// thresholds; [`load_with_encodings`] takes CONFIG's.
pub fn load(data: &[u8], sink: impl FnMut(LoadedKey)) -> Result<RdbInfo, RdbError> {
    load_with_encodings(data, &Encodings::default(), sink)
}

/// [`load`] with the encoding thresholds `enc` (CONFIG's
/// `*-max-listpack-*` settings).
pub fn load_with_encodings(
    data: &[u8],
    enc: &Encodings,
    mut sink: impl FnMut(LoadedKey),
) -> Result<RdbInfo, RdbError> {
    load_objects(data, |db, key, obj, expire_at| {
        if let Some(value) = into_value(obj, enc).map_err(|e| at_key(e, &key))? {
            sink(LoadedKey { db, key, entry: Entry { value, expire_at } });
        }
        Ok(())
    })
}

/// [`load`] up to the decoded objects, before they become keyspace values.
pub(super) fn load_objects(
    data: &[u8],
    mut sink: impl FnMut(usize, Bytes, Obj, Option<u64>) -> Result<(), RdbError>,
) -> Result<RdbInfo, RdbError> {
    let mut r = Reader { data, pos: 0 };
    let version = read_header(&mut r)?;
    let mut info = RdbInfo { version, aux: Vec::new() };
    let mut db = 0;
    let mut expire_at: Option<i64> = None;
    loop {
        match r.u8()? {
            opcode::EOF => break,
            opcode::EXPIRETIME_MS => expire_at = Some(i64::from_le_bytes(r.array()?)),
            opcode::EXPIRETIME => expire_at = Some(i32::from_le_bytes(r.array()?) as i64 * 1000),
            opcode::FREQ => {
                r.u8()?;
            }
            opcode::IDLE => {
                r.length()?;
            }
            opcode::SELECTDB => {
                let n = r.length()?;
                if n >= NUM_DBS as u64 {
                    return Err(RdbError::DbOutOfRange(n));
                }
                db = n as usize;
            }
            opcode::RESIZEDB => {
                r.length()?;
                r.length()?;
            }
            opcode::SLOT_INFO => {
                for _ in 0..3 {
                    r.length()?;
                }
            }
            opcode::AUX => {
                let name = String::from_utf8_lossy(&r.string()?).into_owned();
                let value = String::from_utf8_lossy(&r.string()?).into_owned();
                info.aux.push((name, value));
            }
            opcode::MODULE_AUX => return Err(RdbError::Module { name: module_name(r.length()?) }),
            opcode::FUNCTION2 => {
                if !r.string()?.is_empty() {
                    return Err(RdbError::FunctionsUnsupported);
                }
            }
            opcode::FUNCTION_PRE_GA => return Err(RdbError::FunctionsUnsupported),
            t => {
                let key = r.bytes()?;
                let obj = load_object(&mut r, t).map_err(|e| at_key(e, &key))?;
                let at = expire_at.take().map(|ms| ms.max(0) as u64);
                sink(db, key, obj, at)?;
            }
        }
    }
    if version >= 5 {
        let end = r.pos;
        let stored = u64::from_le_bytes(r.array()?);
        let computed = Crc64::checksum(&data[..end]);
        if stored != 0 && stored != computed {
            return Err(RdbError::ChecksumMismatch { stored, computed });
        }
    }
    if r.remaining() != 0 {
        return Err(RdbError::Corrupt(format!("{} bytes after the end of the file", r.remaining())));
    }
    Ok(info)
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
