//! Sorted set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and
//! ZINTERCARD. Sources may be sorted sets or plain sets (whose members
//! score 1), as in Redis; any other type is WRONGTYPE.
//!
//! These commands take `numkeys` and so have movable keys (`keys_fn`); they
//! are `Span::Coordinated`, so sources on several shards are gathered into
//! one scratch keyspace before the body below runs. The body borrows one
//! source at a time and accumulates into owned values.
//!
//! Float details follow Redis: inputs are ordered by size before combining
//! (smallest first, except ZDIFF's first key), a weighted score that is NaN
//! (0 × inf) counts as 0, and so does a NaN sum.

use super::flags::*;
use super::sets::numkeys_positions;
use super::zsets::{parse_score, scored, store_zset};
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, NO_KEYS, Span, keys};
use crate::keyspace::{Hasher, Set, Value, ZSet};
use crate::protocol::Reply;
use crate::util::parse_i64;
use bytes::Bytes;
use indexmap::IndexMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Agg {
    Sum,
    Min,
    Max,
}

/// Redis's zunionInterAggregate.
fn aggregate(acc: &mut f64, v: f64, agg: Agg) {
    match agg {
        Agg::Sum => {
            *acc += v;
            // The sum of +inf and -inf is NaN; Redis makes it 0.
            if acc.is_nan() {
                *acc = 0.0;
            }
        }
        Agg::Min => *acc = if v < *acc { v } else { *acc },
        Agg::Max => *acc = if v > *acc { v } else { *acc },
    }
}

/// A source: a sorted set, or a set whose members all score 1.
enum Src<'a> {
    Z(&'a ZSet),
    S(&'a Set),
}

impl Src<'_> {
    fn of(v: Option<&Value>) -> Result<Option<Src<'_>>, CmdError> {
        match v {
            None => Ok(None),
            Some(Value::ZSet(z)) => Ok(Some(Src::Z(z))),
            Some(Value::Set(s)) => Ok(Some(Src::S(s))),
            Some(_) => Err(CmdError::WrongType),
        }
    }

    fn len(&self) -> usize {
        match self {
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
        }
    }

    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }

    /// Every member with its score, owned.
    fn pairs(&self) -> Vec<(Vec<u8>, f64)> {
        match self {
            Src::Z(z) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            Src::S(s) => s.iter().map(|m| (m.into_owned(), 1.0)).collect(),
        }
    }
}

/// The source at `key`, type-checked already.
fn peek<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<Src<'a>> {
    let now = ctx.now;
    Src::of(ctx.db().get(key, now)).ok().flatten()
}

/// Weighted score, NaN counted as 0.
fn weighted(s: f64, w: f64) -> f64 {
    let v = s * w;
    if v.is_nan() { 0.0 } else { v }
}

struct Opts {
    weights: Vec<f64>,
    agg: Agg,
    withscores: bool,
    limit: usize,
}

/// Parses the options after the keys, as Redis's zunionInterDiffGenericCommand.
fn parse_opts(argv: &[Bytes], n: usize, op: Op, store: bool, card: bool) -> Result<Opts, CmdError> {
    let mut o = Opts { weights: vec![1.0; n], agg: Agg::Sum, withscores: false, limit: 0 };
    let mut i = 0;
    while i < argv.len() {
        let (a, left) = (&argv[i], argv.len() - i);
        let is = |w: &str| a.eq_ignore_ascii_case(w.as_bytes());
        if op != Op::Diff && !card && left > n && is("WEIGHTS") {
            for (w, arg) in o.weights.iter_mut().zip(&argv[i + 1..=i + n]) {
                *w = parse_score(arg).ok_or_else(|| CmdError::other("ERR weight value is not a float"))?;
            }
            i += n + 1;
        } else if op != Op::Diff && !card && left >= 2 && is("AGGREGATE") {
            let v = &argv[i + 1];
            o.agg = if v.eq_ignore_ascii_case(b"SUM") {
                Agg::Sum
            } else if v.eq_ignore_ascii_case(b"MIN") {
                Agg::Min
            } else if v.eq_ignore_ascii_case(b"MAX") {
                Agg::Max
            } else {
                return Err(CmdError::Syntax);
            };
            i += 2;
        } else if !store && !card && is("WITHSCORES") {
            o.withscores = true;
            i += 1;
        } else if card && left >= 2 && is("LIMIT") {
            o.limit = match parse_i64(&argv[i + 1]) {
                Some(l) if l >= 0 => l as usize,
                _ => return Err(CmdError::other("ERR LIMIT can't be negative")),
            };
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// Combines the sources at `keys` into (member, score) pairs in no
/// particular order; `limit` (> 0) caps an intersection (ZINTERCARD).
fn combine(
    ctx: &mut Ctx,
    keys: &[Bytes],
    op: Op,
    o: &Opts,
    write: bool,
) -> Result<Vec<(Vec<u8>, f64)>, CmdError> {
    let now = ctx.now;
    let mut lens = Vec::with_capacity(keys.len());
    for k in keys {
        let v = if write { ctx.db().get(k, now) } else { ctx.lookup_read(k) };
        lens.push(Src::of(v)?.map_or(0, |s| s.len()));
    }
    // Smallest first (stable), as Redis sorts its inputs; ZDIFF keeps its first.
    let mut order: Vec<usize> = (0..keys.len()).collect();
    match op {
        Op::Diff => order[1..].sort_by_key(|&i| std::cmp::Reverse(lens[i])),
        _ => order.sort_by_key(|&i| lens[i]),
    }
    Ok(match op {
        Op::Inter => {
            if lens[order[0]] == 0 {
                return Ok(Vec::new());
            }
            let first = order[0];
            let w0 = o.weights[first];
            let mut acc = peek(ctx, &keys[first]).expect("checked").pairs();
            acc.iter_mut().for_each(|p| p.1 = weighted(p.1, w0));
            for &j in &order[1..] {
                let src = peek(ctx, &keys[j]).expect("non-empty");
                acc.retain_mut(|(m, s)| match src.score(m) {
                    Some(v) => {
                        aggregate(s, v * o.weights[j], o.agg);
                        true
                    }
                    None => false,
                });
                if acc.is_empty() {
                    break;
                }
            }
            if o.limit > 0 {
                acc.truncate(o.limit);
            }
            acc
        }
        Op::Union => {
            let mut acc: IndexMap<Vec<u8>, f64, Hasher> = IndexMap::default();
            for &j in &order {
                if lens[j] == 0 {
                    continue;
                }
                let w = o.weights[j];
                for (m, s) in peek(ctx, &keys[j]).expect("non-empty").pairs() {
                    let v = weighted(s, w);
                    match acc.get_mut(&m) {
                        Some(cur) => aggregate(cur, v, o.agg),
                        None => {
                            acc.insert(m, v);
                        }
                    }
                }
            }
            acc.into_iter().collect()
        }
        Op::Diff => {
            if lens[0] == 0 {
                return Ok(Vec::new());
            }
            let mut acc = peek(ctx, &keys[0]).expect("non-empty").pairs();
            for &j in &order[1..] {
                if lens[j] == 0 {
                    continue;
                }
                let src = peek(ctx, &keys[j]).expect("non-empty");
                acc.retain(|(m, _)| src.score(m).is_none());
                if acc.is_empty() {
                    break;
                }
            }
            acc
        }
    })
}

/// The body of every command here. `argv[at]` is numkeys; a STORE form has
/// its destination at `argv[1]`.
fn generic(ctx: &mut Ctx, args: &mut Args, op: Op, store: bool, card: bool) -> CmdResult {
    let argv = args.all();
    let at = if store { 2 } else { 1 };
    let n = parse_i64(&argv[at]).ok_or(CmdError::NotInteger)?;
    if n < 1 {
        let name = String::from_utf8_lossy(args.name()).to_ascii_lowercase();
        return Err(CmdError::other(format!("ERR at least 1 input key is needed for '{name}' command")));
    }
    let n = n as usize;
    if n > argv.len() - at - 1 {
        return Err(CmdError::Syntax);
    }
    let keys = &argv[at + 1..at + 1 + n];
    // Redis checks the sources' types before the options.
    let now = ctx.now;
    for k in keys {
        let v = if store { ctx.db().get(k, now) } else { ctx.lookup_read(k) };
        Src::of(v)?;
    }
    let o = parse_opts(&argv[at + 1 + n..], n, op, store, card)?;
    let mut pairs = combine(ctx, keys, op, &o, store)?;
    if store {
        return store_zset(ctx, &argv[1], pairs);
    }
    if card {
        return Ok(Reply::Int(pairs.len() as i64));
    }
    pairs.sort_by(|a, b| {
        a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0))
    });
    Ok(scored(pairs.iter().map(|(m, s)| (&m[..], *s)), o.withscores))
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zunion(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args, Op::Union, false, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zinter(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args, Op::Inter, false, false)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
fn zdiff(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args, Op::Diff, false, false)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
fn zunionstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args, Op::Union, true, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
fn zinterstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args, Op::Inter, true, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]
fn zdiffstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args, Op::Diff, true, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
fn zintercard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args, Op::Inter, false, true)
}

fn numkeys_at_1(argv: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(argv, 1, None)
}

/// The destination and the sources of a STORE form.
fn store_keys(argv: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(argv, 2, Some(1))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zunion", -3, READONLY, NO_KEYS, Exec::Shard(zunion), "sorted-set", "Returns the union of multiple sorted sets.").keys_fn(numkeys_at_1).span(Span::Coordinated),
    CommandSpec::new("zinter", -3, READONLY, NO_KEYS, Exec::Shard(zinter), "sorted-set", "Returns the intersect of multiple sorted sets.").keys_fn(numkeys_at_1).span(Span::Coordinated),
    CommandSpec::new("zdiff", -3, READONLY, NO_KEYS, Exec::Shard(zdiff), "sorted-set", "Returns the difference between multiple sorted sets.").keys_fn(numkeys_at_1).span(Span::Coordinated),
    CommandSpec::new("zunionstore", -4, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(zunionstore), "sorted-set", "Stores the union of multiple sorted sets in a key.").keys_fn(store_keys).span(Span::Coordinated),
    CommandSpec::new("zinterstore", -4, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(zinterstore), "sorted-set", "Stores the intersect of multiple sorted sets in a key.").keys_fn(store_keys).span(Span::Coordinated),
    CommandSpec::new("zdiffstore", -4, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(zdiffstore), "sorted-set", "Stores the difference of multiple sorted sets in a key.").keys_fn(store_keys).span(Span::Coordinated),
    CommandSpec::new("zintercard", -3, READONLY, NO_KEYS, Exec::Shard(zintercard), "sorted-set", "Returns the number of members of the intersect of multiple sorted sets.").keys_fn(numkeys_at_1).span(Span::Coordinated),
];

#[cfg(test)]
mod tests {
    use super::super::sets::tests::{encoding, run, script};
    use super::*;

    #[test]
    fn union_inter_diff() {
        script(
            &[
                "ZADD a 1 x 2 y 3 z => :3; ZADD b 10 y 20 z 30 w => :3; SADD s x w => :2",
                "ZUNION 2 a b WITHSCORES => [$x,,1,$y,,12,$z,,23,$w,,30]; ZUNION 2 a b => [$x,$y,$z,$w]",
                "ZUNION 2 a b WEIGHTS 2 1 AGGREGATE MAX WITHSCORES => [$x,,2,$y,,10,$z,,20,$w,,30]",
                "ZINTER 2 a b WITHSCORES => [$y,,12,$z,,23]; ZINTER 2 a b AGGREGATE MIN WITHSCORES => [$y,,2,$z,,3]",
                "ZINTER 3 a b s WITHSCORES => []; ZUNION 2 a s WITHSCORES => [$w,,1,$x,,2,$y,,2,$z,,3]",
                "ZDIFF 2 a b WITHSCORES => [$x,,1]; ZDIFF 2 b a => [$w]; ZDIFF 1 nokey => []; ZDIFF 2 a a => []",
                "ZINTER 2 a nokey => []; ZUNION 2 nokey nokey2 => []; ZDIFF 2 s a WITHSCORES => [$w,,1]",
                "ZUNION 2 a b WITHSCORES AGGREGATE SUM WEIGHTS 1 1 => [$x,,1,$y,,12,$z,,23,$w,,30]",
                "ZUNION 2 a a WEIGHTS +inf -inf WITHSCORES => [$x,,0,$y,,0,$z,,0]",
                "ZINTER 2 a a WEIGHTS 0 +inf WITHSCORES => [$x,,inf,$y,,inf,$z,,inf]",
            ],
            |_| {},
        );
    }

    #[test]
    fn stores_and_cardinality() {
        script(
            &[
                "ZADD a 1 x 2 y 3 z => :3; ZADD b 10 y 20 z 30 w => :3; SADD s x w => :2",
                "ZUNIONSTORE d 2 a b => :4; ZRANGE d 0 -1 WITHSCORES => [$x,,1,$y,,12,$z,,23,$w,,30]",
                "ZINTERSTORE d 2 a nokey => :0; EXISTS d => :0; ZDIFFSTORE d 2 a b => :1",
                "ZRANGE d 0 -1 WITHSCORES => [$x,,1]; SET str v => OK; ZINTERSTORE str 2 a s => :1",
                "TYPE str => +zset; ZUNIONSTORE a 2 a a => :3; ZRANGE a 0 -1 WITHSCORES => [$x,,2,$y,,4,$z,,6]",
                "ZINTERCARD 2 a b => :2; ZINTERCARD 2 a b LIMIT 1 => :1; ZINTERCARD 2 a s => :1",
                "ZINTERCARD 2 a nokey => :0; ZINTERCARD 1 a LIMIT 0 => :3",
            ],
            |ctx| assert_eq!(encoding(ctx, "d"), "listpack"),
        );
    }

    #[test]
    fn errors() {
        let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value";
        script(
            &[
                "ZADD a 1 x => :1; SET str v => OK",
                "ZUNION 0 a => -ERR at least 1 input key is needed for 'zunion' command",
                "ZUNIONSTORE d 0 a => -ERR at least 1 input key is needed for 'zunionstore' command",
                "ZINTERCARD 0 a => -ERR at least 1 input key is needed for 'zintercard' command",
                "ZUNION x a => -ERR value is not an integer or out of range; ZUNION 2 a => -ERR syntax error",
                "ZUNION 2 a a WEIGHTS 1 => -ERR syntax error; ZUNION 2 a a WEIGHTS 1 x => -ERR weight value is not a float",
                "ZUNION 1 a AGGREGATE foo => -ERR syntax error; ZDIFF 1 a WEIGHTS 1 => -ERR syntax error",
                "ZDIFF 1 a AGGREGATE SUM => -ERR syntax error; ZINTERSTORE d 1 a WITHSCORES => -ERR syntax error",
                "ZINTERCARD 1 a WITHSCORES => -ERR syntax error; ZINTERCARD 1 a LIMIT -1 => -ERR LIMIT can't be negative",
                "ZINTERCARD 1 a WEIGHTS 1 => -ERR syntax error; ZUNION 1 a LIMIT 1 => -ERR syntax error",
            ],
            |ctx| {
                for cmd in [
                    "ZUNION 2 a str",
                    "ZINTER 1 str",
                    "ZDIFF 2 a str",
                    "ZUNIONSTORE d 2 a str",
                    "ZINTERCARD 1 str",
                ] {
                    assert_eq!(run(ctx, cmd), wrongtype, "{cmd}");
                }
                // Types are checked before options.
                assert_eq!(run(ctx, "ZUNION 1 str AGGREGATE foo"), wrongtype);
            },
        );
    }

    #[test]
    fn large_results_and_key_positions() {
        script(&[], |ctx| {
            let a: Vec<String> = (0..300).map(|i| format!("{i} m{i}")).collect();
            let b: Vec<String> = (150..450).map(|i| format!("1 m{i}")).collect();
            run(ctx, &format!("ZADD a {}", a.join(" ")));
            run(ctx, &format!("ZADD b {}", b.join(" ")));
            assert_eq!(run(ctx, "ZINTERSTORE d 2 a b"), ":150");
            assert_eq!(encoding(ctx, "d"), "skiplist");
            assert_eq!(run(ctx, "ZRANGE d 0 1 WITHSCORES"), "[$m150,,151,$m151,,152]");
            assert_eq!(run(ctx, "ZUNIONSTORE d 2 a b"), ":450");
            assert_eq!(run(ctx, "ZINTERCARD 2 a b LIMIT 7"), ":7");
            assert_eq!(run(ctx, "ZDIFFSTORE d 2 a b"), ":150");
            assert_eq!(encoding(ctx, "d"), "skiplist");
        });
        let argv = |s: &str| s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect::<Vec<_>>();
        assert_eq!(store_keys(&argv("ZUNIONSTORE d 2 a b WEIGHTS 1 2")), Some(vec![1, 3, 4]));
        assert_eq!(store_keys(&argv("ZUNIONSTORE d 3 a b")), None);
        assert_eq!(numkeys_at_1(&argv("ZUNION x a")), None);
    }
}
