//! The ZRANGE family: the sorted set commands that select members by index,
//! score or member (ZRANGE and its older forms, ZRANGESTORE, ZCOUNT,
//! ZLEXCOUNT, ZREMRANGEBY*), and their selections: score intervals
//! (`(1.5 +inf`), member intervals (`[a (z - +`), index ranges, and the
//! parsing of ZRANGE's options (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), with
//! Redis's rules and texts.
//!
//! A selection resolves to a window of ascending ranks over a `ZSet`: two
//! O(log n) searches for the ends, then LIMIT as rank arithmetic, so even a
//! large offset costs nothing to skip.

use super::flags::*;
use super::zsets::{read_zset, scored, store_zset, write_zset};
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, Span, keys};
use crate::keyspace::ZSet;
use crate::protocol::Reply;
use crate::util::{parse_f64, parse_i64};
use std::cmp::Ordering;

/// A score interval, each end inclusive or exclusive (`(`).
#[derive(Clone, Copy, Debug)]
struct ScoreRange {
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
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
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
    fn span(&self, z: &ZSet) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        let lo = z.count_before(|_, s| !self.gte_min(s));
        (lo, z.count_before(|_, s| self.lte_max(s)).max(lo))
    }
}

/// One end of a member range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Copy, Debug)]
enum Lex<'a> {
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
struct LexRange<'a> {
    min: Lex<'a>,
    max: Lex<'a>,
}

impl<'a> LexRange<'a> {
    fn parse(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
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
    fn span(&self, z: &ZSet) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        let lo = z.count_before(|m, _| !self.gte_min(m));
        (lo, z.count_before(|m, _| self.lte_max(m)).max(lo))
    }
}

/// What a ZRANGE-style command selects.
#[derive(Clone, Copy, Debug)]
enum Sel<'a> {
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
    fn span(&self, z: &ZSet, rev: bool) -> (usize, usize) {
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
    fn window(&self, z: &ZSet, rev: bool, offset: i64, limit: i64) -> (usize, usize) {
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
enum By {
    Rank,
    Score,
    Lex,
}

/// A parsed ZRANGE-style request.
struct RangeReq<'a> {
    sel: Sel<'a>,
    rev: bool,
    offset: i64,
    limit: i64,
    withscores: bool,
}

/// Parses `min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
/// [WITHSCORES]` as Redis's zrangeGenericCommand; the older commands fix
/// `by` and `rev`, which makes those words syntax errors.
fn parse_range<'a>(
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

fn zrange_generic(ctx: &mut Ctx, args: &mut Args, by: Option<By>, rev: Option<bool>) -> CmdResult {
    let key = args.key()?;
    let req = parse_range(args, by, rev, false)?;
    let Some(z) = read_zset(ctx, key)? else { return Ok(Reply::Array(Vec::new())) };
    let (first, n) = req.sel.window(z, req.rev, req.offset, req.limit);
    Ok(scored(z.range(first, n, req.rev), req.withscores))
}

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, None, None)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Score), Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Score), Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Lex), Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Lex), Some(true))
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Rank), Some(true))
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
fn zrangestore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let dst = args.key()?;
    let src = args.key()?;
    let req = parse_range(args, None, None, true)?;
    let pairs: Vec<(Vec<u8>, f64)> = match read_zset(ctx, src)? {
        None => Vec::new(),
        Some(z) => {
            let (first, n) = req.sel.window(z, req.rev, req.offset, req.limit);
            z.range(first, n, req.rev).map(|(m, s)| (m.to_vec(), s)).collect()
        }
    };
    store_zset(ctx, dst, pairs)
}

/// ZCOUNT key min max
fn zcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = ScoreRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    let (lo, hi) = read_zset(ctx, key)?.map_or((0, 0), |z| r.span(z));
    Ok(Reply::Int((hi - lo) as i64))
}

/// ZLEXCOUNT key min max
fn zlexcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = LexRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    let (lo, hi) = read_zset(ctx, key)?.map_or((0, 0), |z| r.span(z));
    Ok(Reply::Int((hi - lo) as i64))
}

/// ZREMRANGEBYRANK/SCORE/LEX: removes the ranks `sel` spans.
fn zremrange_generic(ctx: &mut Ctx, key: &[u8], sel: Sel) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let Some(z) = write_zset(db, key, now)? else { return Ok(Reply::Int(0)) };
    let (lo, hi) = sel.span(z, false);
    let doomed: Vec<Vec<u8>> = z.range(lo, hi - lo, false).map(|(m, _)| m.to_vec()).collect();
    for m in &doomed {
        z.remove(m);
    }
    if z.is_empty() {
        db.remove(key, now);
    }
    ctx.dirty += doomed.len() as u64;
    Ok(Reply::Int(doomed.len() as i64))
}

/// ZREMRANGEBYRANK key start stop
fn zremrangebyrank(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let (start, stop) = (args.i64()?, args.i64()?);
    args.finish()?;
    zremrange_generic(ctx, key, Sel::Rank(start, stop))
}

/// ZREMRANGEBYSCORE key min max
fn zremrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = ScoreRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    zremrange_generic(ctx, key, Sel::Score(r))
}

/// ZREMRANGEBYLEX key min max
fn zremrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = LexRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    zremrange_generic(ctx, key, Sel::Lex(r))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zcount", 4, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zcount), "sorted-set", "Returns the count of members in a sorted set that have scores within a range."),
    CommandSpec::new("zlexcount", 4, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zlexcount), "sorted-set", "Returns the number of members in a sorted set within a lexicographical range."),
    CommandSpec::new("zrange", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrange), "sorted-set", "Returns members in a sorted set within a range of indexes."),
    CommandSpec::new("zrangebyscore", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrangebyscore), "sorted-set", "Returns members in a sorted set within a range of scores."),
    CommandSpec::new("zrevrangebyscore", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrevrangebyscore), "sorted-set", "Returns members in a sorted set within a range of scores in reverse order."),
    CommandSpec::new("zrangebylex", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrangebylex), "sorted-set", "Returns members in a sorted set within a lexicographical range."),
    CommandSpec::new("zrevrangebylex", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrevrangebylex), "sorted-set", "Returns members in a sorted set within a lexicographical range in reverse order."),
    CommandSpec::new("zrevrange", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrevrange), "sorted-set", "Returns members in a sorted set within a range of indexes in reverse order."),
    CommandSpec::new("zrangestore", -5, WRITE | DENYOOM, keys(1, 2, 1), Exec::Shard(zrangestore), "sorted-set", "Stores a range of members from sorted set in a key.").span(Span::Coordinated),
    CommandSpec::new("zremrangebyrank", 4, WRITE, keys(1, 1, 1), Exec::Shard(zremrangebyrank), "sorted-set", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zremrangebyscore", 4, WRITE, keys(1, 1, 1), Exec::Shard(zremrangebyscore), "sorted-set", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zremrangebylex", 4, WRITE, keys(1, 1, 1), Exec::Shard(zremrangebylex), "sorted-set", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed."),
];

#[cfg(test)]
mod tests {
    use super::super::sets::tests::{run, script};
    use super::*;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

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

    #[test]
    fn wrong_types() {
        script(&["SET str x => OK"], |ctx| {
            for cmd in [
                "ZCOUNT str 0 1",
                "ZLEXCOUNT str - +",
                "ZRANGE str 0 1",
                "ZRANGEBYSCORE str 0 1",
                "ZREVRANGEBYSCORE str 1 0",
                "ZRANGEBYLEX str - +",
                "ZREVRANGEBYLEX str + -",
                "ZREVRANGE str 0 1",
                "ZRANGESTORE d str 0 1",
                "ZREMRANGEBYRANK str 0 1",
                "ZREMRANGEBYSCORE str 0 1",
                "ZREMRANGEBYLEX str - +",
            ] {
                assert_eq!(run(ctx, cmd), WRONGTYPE, "{cmd}");
            }
        });
    }

    #[test]
    fn ranges_by_rank_score_and_lex() {
        script(
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e => :5; ZRANGE z 0 -1 => [$a,$b,$c,$d,$e]",
                "ZRANGE z 1 2 WITHSCORES => [$b,,2,$c,,3]; ZRANGE z -2 -1 => [$d,$e]; ZRANGE z 3 1 => []",
                "ZRANGE z 5 10 => []; ZRANGE z -100 1 => [$a,$b]; ZRANGE z 0 -1 REV => [$e,$d,$c,$b,$a]",
                "ZRANGE z 0 1 rev withscores => [$e,,5,$d,,4]; ZREVRANGE z 0 1 => [$e,$d]",
                "ZRANGE z 2 4 BYSCORE => [$b,$c,$d]; ZRANGE z (2 4 BYSCORE => [$c,$d]",
                "ZRANGE z 2 (4 BYSCORE => [$b,$c]; ZRANGE z -inf +inf BYSCORE LIMIT 1 2 => [$b,$c]",
                "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES => [$d,,4,$c,,3]",
                "ZRANGE z 4 2 BYSCORE REV => [$d,$c,$b]; ZRANGE z 0 -1 BYSCORE LIMIT -1 2 => []",
                "ZRANGE z -inf +inf BYSCORE LIMIT 2 -1 => [$c,$d,$e]; ZRANGE z -inf +inf BYSCORE LIMIT 0 0 => []",
                "ZRANGE z -inf +inf BYSCORE LIMIT 5 1 => []; ZRANGEBYSCORE z (1 (5 => [$b,$c,$d]",
                "ZRANGEBYSCORE z 3 3 WITHSCORES => [$c,,3]; ZRANGEBYSCORE z (3 3 => []",
                "ZREVRANGEBYSCORE z 4 2 LIMIT 1 5 => [$c,$b]",
                "ZCOUNT z 2 4 => :3; ZCOUNT z (2 (4 => :1; ZCOUNT z -inf +inf => :5; ZCOUNT z 5 1 => :0",
                "ZCOUNT nokey 1 2 => :0; ZCOUNT z ( ( => :0; ZCOUNT z '' 1 => :1",
                "ZCOUNT z nan 1 => -ERR min or max is not a float; ZCOUNT z 1x 5 => -ERR min or max is not a float",
                "ZRANGE nokey 0 -1 => []; ZRANGE nokey 0 -1 BYSCORE => []",
                "ZADD l 0 a 0 b 0 c 0 d 0 e => :5; ZRANGEBYLEX l - + => [$a,$b,$c,$d,$e]",
                "ZRANGEBYLEX l [b (d => [$b,$c]; ZRANGEBYLEX l (b [d => [$c,$d]; ZRANGEBYLEX l - [c LIMIT 1 1 => [$b]",
                "ZREVRANGEBYLEX l + - LIMIT 0 2 => [$e,$d]; ZREVRANGEBYLEX l [d (a => [$d,$c,$b]",
                "ZRANGE l [b [d BYLEX => [$b,$c,$d]; ZRANGE l [d [b BYLEX REV => [$d,$c,$b]; ZRANGEBYLEX l [ + => [$a,$b,$c,$d,$e]",
                "ZLEXCOUNT l - + => :5; ZLEXCOUNT l [b [b => :1; ZLEXCOUNT l (b [b => :0; ZLEXCOUNT l + - => :0",
                "ZLEXCOUNT l [c - => :0; ZLEXCOUNT l - - => :0; ZLEXCOUNT nokey - + => :0",
                "ZRANGEBYLEX l a b => -ERR min or max not valid string range item",
                "ZRANGEBYLEX l '' + => -ERR min or max not valid string range item",
                "ZLEXCOUNT l -a + => -ERR min or max not valid string range item",
            ],
            |_| {},
        );
    }

    #[test]
    fn range_option_errors() {
        script(
            &[
                "ZADD z 1 a => :1",
                "ZRANGEBYLEX z - + WITHSCORES => -ERR syntax error, WITHSCORES not supported in combination with BYLEX",
                "ZRANGE z 0 -1 LIMIT 0 1 => -ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
                "ZREVRANGE z 0 -1 LIMIT 0 1 => -ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
                "ZRANGE z 0 -1 LIMIT 0 -1 => [$a]",
                "ZRANGE z 0 -1 BYSCORE BYLEX => -ERR syntax error; ZRANGE z 0 -1 REV REV => -ERR syntax error",
                "ZRANGE z 0 -1 LIMIT 0 => -ERR syntax error",
                "ZRANGE z 0 -1 BYSCORE LIMIT x 1 => -ERR value is not an integer or out of range",
                "ZRANGEBYSCORE z 0 1 BYSCORE => -ERR syntax error; ZRANGEBYSCORE z 0 1 REV => -ERR syntax error",
                "ZRANGESTORE d z 0 -1 WITHSCORES => -ERR syntax error",
                "ZRANGE z a 1 => -ERR value is not an integer or out of range",
                "ZRANGE z a 1 BYSCORE => -ERR min or max is not a float",
                "ZRANGE nokey a 1 BYLEX => -ERR min or max not valid string range item",
            ],
            |_| {},
        );
    }

    #[test]
    fn rangestore_and_removals() {
        script(
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e => :5; ZRANGESTORE d z 1 2 => :2; ZRANGE d 0 -1 WITHSCORES => [$b,,2,$c,,3]",
                "ZRANGESTORE d z 0 -1 BYSCORE LIMIT 1 1 => :0; EXISTS d => :0; ZRANGESTORE d z 5 3 BYSCORE REV => :3",
                "ZRANGE d 0 -1 => [$c,$d,$e]; ZRANGESTORE d nokey 0 -1 => :0; EXISTS d => :0",
                "SET str x => OK; ZRANGESTORE str z [a [b BYLEX => :2; TYPE str => +zset",
                "ZREMRANGEBYRANK z 0 1 => :2; ZRANGE z 0 -1 => [$c,$d,$e]; ZREMRANGEBYSCORE z (3 4 => :1",
                "ZRANGE z 0 -1 => [$c,$e]; ZREMRANGEBYRANK z 5 9 => :0; ZREMRANGEBYRANK nokey 0 -1 => :0",
                "ZREMRANGEBYRANK z 0 -1 => :2; EXISTS z => :0; ZADD l 0 a 0 b 0 c 0 d 0 e => :5",
                "ZREMRANGEBYLEX l [b (d => :2; ZRANGE l 0 -1 => [$a,$d,$e]; ZREMRANGEBYLEX l - + => :3; EXISTS l => :0",
                "ZREMRANGEBYRANK z x 1 => -ERR value is not an integer or out of range",
                "ZREMRANGEBYSCORE l x 1 => -ERR min or max is not a float",
                "ZREMRANGEBYLEX l x 1 => -ERR min or max not valid string range item",
            ],
            |_| {},
        );
    }
}
