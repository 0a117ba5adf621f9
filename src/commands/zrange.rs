//! The selections of the ZRANGE family: score intervals (`(1.5 +inf`), member
//! intervals (`[a (z - +`), index ranges, and the parsing of ZRANGE's options
//! (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), with Redis's rules and texts.
//!
//! A selection resolves to a window of ascending ranks over a `ZSet`: two
//! O(log n) searches for the ends, then LIMIT as rank arithmetic, so even a
//! large offset costs nothing to skip.

use super::{Args, CmdError};
use crate::keyspace::ZSet;
use crate::util::{parse_f64, parse_i64};
use std::cmp::Ordering;

/// A score interval, each end inclusive or exclusive (`(`).
#[derive(Clone, Copy, Debug)]
pub(super) struct ScoreRange {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

/// One end of a score range, as Redis's strtod-based zslParseRange: `(`
/// makes it exclusive; leading blanks are skipped and an empty number is 0.
fn score_bound(b: &[u8]) -> Option<(f64, bool)> {
    let (ex, num) = match b.first() {
        Some(b'(') => (true, &b[1..]),
        _ => (false, b),
    };
    if num.is_empty() {
        return Some((0.0, ex));
    }
    let start = num.iter().position(|c| !c.is_ascii_whitespace())?;
    parse_f64(&num[start..]).map(|v| (v, ex))
}

impl ScoreRange {
    pub(super) fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
        let bad = || CmdError::other("ERR min or max is not a float");
        let (min, minex) = score_bound(min).ok_or_else(bad)?;
        let (max, maxex) = score_bound(max).ok_or_else(bad)?;
        Ok(ScoreRange { min, minex, max, maxex })
    }

    fn gte_min(&self, s: f64) -> bool {
        if self.minex { s > self.min } else { s >= self.min }
    }

    fn lte_max(&self, s: f64) -> bool {
        if self.maxex { s < self.max } else { s <= self.max }
    }

    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }

    /// The ascending ranks `lo..hi` of the members in range.
    pub(super) fn span(&self, z: &ZSet) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        let lo = z.count_before(|_, s| !self.gte_min(s));
        (lo, z.count_before(|_, s| self.lte_max(s)).max(lo))
    }
}

/// One end of a member range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Copy, Debug)]
pub(super) enum Lex<'a> {
    Min,
    Max,
    In(&'a [u8]),
    Ex(&'a [u8]),
}

impl<'a> Lex<'a> {
    fn parse(b: &'a [u8]) -> Option<Lex<'a>> {
        match b {
            b"-" => Some(Lex::Min),
            b"+" => Some(Lex::Max),
            [b'[', rest @ ..] => Some(Lex::In(rest)),
            [b'(', rest @ ..] => Some(Lex::Ex(rest)),
            _ => None,
        }
    }

    /// Redis counts `-` and `+` as exclusive.
    fn exclusive(&self) -> bool {
        !matches!(self, Lex::In(_))
    }

    /// Order of two bounds, `-` below and `+` above every member.
    fn cmp(&self, other: &Lex) -> Ordering {
        use Lex::*;
        match (self, other) {
            (Min, Min) | (Max, Max) => Ordering::Equal,
            (Min, _) | (_, Max) => Ordering::Less,
            (Max, _) | (_, Min) => Ordering::Greater,
            (In(a) | Ex(a), In(b) | Ex(b)) => a.cmp(b),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct LexRange<'a> {
    min: Lex<'a>,
    max: Lex<'a>,
}

impl<'a> LexRange<'a> {
    pub(super) fn parse(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
        let bad = || CmdError::other("ERR min or max not valid string range item");
        Ok(LexRange { min: Lex::parse(min).ok_or_else(bad)?, max: Lex::parse(max).ok_or_else(bad)? })
    }

    fn gte_min(&self, m: &[u8]) -> bool {
        match self.min {
            Lex::Min => true,
            Lex::Max => false,
            Lex::In(b) => m >= b,
            Lex::Ex(b) => m > b,
        }
    }

    fn lte_max(&self, m: &[u8]) -> bool {
        match self.max {
            Lex::Min => false,
            Lex::Max => true,
            Lex::In(b) => m <= b,
            Lex::Ex(b) => m < b,
        }
    }

    fn is_empty(&self) -> bool {
        match self.min.cmp(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min.exclusive() || self.max.exclusive(),
            Ordering::Less => false,
        }
    }

    /// The ascending ranks `lo..hi` of the members in range (members are
    /// ordered by bytes only among equal scores, as Redis assumes).
    pub(super) fn span(&self, z: &ZSet) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        let lo = z.count_before(|m, _| !self.gte_min(m));
        (lo, z.count_before(|m, _| self.lte_max(m)).max(lo))
    }
}

/// What a ZRANGE-style command selects.
#[derive(Clone, Copy, Debug)]
pub(super) enum Sel<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// Normalizes `start..=stop` (negative = from the end) over `len` items:
/// the first index and the count, as Redis's rank ranges.
fn rank_window(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let l = len as i64;
    let start = if start < 0 { (start + l).max(0) } else { start };
    let stop = if stop < 0 { stop + l } else { stop };
    if start > stop || start >= l {
        return None;
    }
    let stop = stop.min(l - 1);
    Some((start as usize, (stop - start + 1) as usize))
}

impl Sel<'_> {
    /// Ascending ranks `lo..hi` of the whole selection in direction `rev`.
    pub(super) fn span(&self, z: &ZSet, rev: bool) -> (usize, usize) {
        match *self {
            Sel::Rank(start, stop) => match rank_window(start, stop, z.len()) {
                None => (0, 0),
                Some((first, n)) if rev => (z.len() - first - n, z.len() - first),
                Some((first, n)) => (first, first + n),
            },
            Sel::Score(r) => r.span(z),
            Sel::Lex(r) => r.span(z),
        }
    }

    /// The first ascending rank to yield and how many, after LIMIT: a
    /// negative offset selects nothing, a negative count means all.
    pub(super) fn window(&self, z: &ZSet, rev: bool, offset: i64, limit: i64) -> (usize, usize) {
        let (lo, hi) = self.span(z, rev);
        let Ok(offset) = usize::try_from(offset) else { return (0, 0) };
        if offset >= hi - lo {
            return (0, 0);
        }
        let n = hi - lo - offset;
        let n = usize::try_from(limit).map_or(n, |l| n.min(l));
        (if rev { hi - 1 - offset } else { lo + offset }, n)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum By {
    Rank,
    Score,
    Lex,
}

/// A parsed ZRANGE-style request.
pub(super) struct RangeReq<'a> {
    pub sel: Sel<'a>,
    pub rev: bool,
    pub offset: i64,
    pub limit: i64,
    pub withscores: bool,
}

/// Parses `min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
/// [WITHSCORES]` as Redis's zrangeGenericCommand; the older commands fix
/// `by` and `rev`, which makes those words syntax errors.
pub(super) fn parse_range<'a>(
    args: &mut Args<'a>,
    by: Option<By>,
    rev: Option<bool>,
    store: bool,
) -> Result<RangeReq<'a>, CmdError> {
    let (a, b) = (args.next()?, args.next()?);
    let (mut by, mut rev) = (by, rev);
    let (mut withscores, mut offset, mut limit) = (false, 0, -1);
    while !args.is_empty() {
        let left = args.remaining() - 1;
        if !store && args.flag("WITHSCORES") {
            withscores = true;
        } else if left >= 2 && args.flag("LIMIT") {
            offset = args.i64()?;
            limit = args.i64()?;
        } else if rev.is_none() && args.flag("REV") {
            rev = Some(true);
        } else if by.is_none() && args.flag("BYLEX") {
            by = Some(By::Lex);
        } else if by.is_none() && args.flag("BYSCORE") {
            by = Some(By::Score);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let (by, rev) = (by.unwrap_or(By::Rank), rev.unwrap_or(false));
    if limit != -1 && by == By::Rank {
        return Err(CmdError::other(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == By::Lex {
        return Err(CmdError::other("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    // Reverse score and member ranges are written max first.
    let (min, max) = if rev && by != By::Rank { (b, a) } else { (a, b) };
    let sel = match by {
        By::Rank => Sel::Rank(
            parse_i64(min).ok_or(CmdError::NotInteger)?,
            parse_i64(max).ok_or(CmdError::NotInteger)?,
        ),
        By::Score => Sel::Score(ScoreRange::parse(min, max)?),
        By::Lex => Sel::Lex(LexRange::parse(min, max)?),
    };
    Ok(RangeReq { sel, rev, offset, limit, withscores })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bounds_like_strtod() {
        assert_eq!(score_bound(b" 1"), Some((1.0, false)));
        assert_eq!(score_bound(b"(\t-2.5"), Some((-2.5, true)));
        assert_eq!(score_bound(b""), Some((0.0, false)));
        assert_eq!(score_bound(b"("), Some((0.0, true)));
        assert_eq!(score_bound(b"-inf"), Some((f64::NEG_INFINITY, false)));
        for bad in [&b"1 "[..], b" ", b"nan", b"((1", b"x"] {
            assert_eq!(score_bound(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rank_windows() {
        assert_eq!(rank_window(0, -1, 5), Some((0, 5)));
        assert_eq!(rank_window(-2, -1, 5), Some((3, 2)));
        assert_eq!(rank_window(-100, 1, 5), Some((0, 2)));
        assert_eq!(rank_window(3, 1, 5), None);
        assert_eq!(rank_window(5, 10, 5), None);
        assert_eq!(rank_window(i64::MIN, i64::MAX, 5), Some((0, 5)));
        assert_eq!(rank_window(0, -1, 0), None);
    }

    #[test]
    fn lex_bounds() {
        let r = |a: &'static str, b: &'static str| LexRange::parse(a.as_bytes(), b.as_bytes()).unwrap();
        assert!(!r("-", "+").is_empty());
        assert!(r("-", "-").is_empty() && r("+", "+").is_empty() && r("+", "-").is_empty());
        assert!(r("[a", "[a").gte_min(b"a") && r("[a", "[a").lte_max(b"a") && !r("[a", "[a").is_empty());
        assert!(r("(a", "[a").is_empty() && r("[b", "[a").is_empty() && r("[c", "-").is_empty());
        assert!(!r("(a", "+").gte_min(b"a") && r("(a", "+").gte_min(b"a\0"));
        assert!(LexRange::parse(b"a", b"+").is_err() && LexRange::parse(b"", b"+").is_err());
        assert!(LexRange::parse(b"-x", b"+").is_err() && LexRange::parse(b"[", b"+").is_ok());
    }
}
