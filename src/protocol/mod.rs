//! RESP wire format: request parsing (RESP2 multibulk and inline commands) and
//! reply encoding (RESP2, or RESP3 after `HELLO 3`).
//!
//! Knows nothing of commands or the keyspace. Parsing is zero-copy: a complete
//! request is split off the connection's read buffer and its arguments are
//! `Bytes` slices of that one frame.

mod parse;
mod reply;

pub use parse::{
    Limits, ProtocolError, Simple, SimpleRequest, parse_request, parse_request_into, scan_requests,
    simple_request,
};
pub use reply::{Reply, bulk_array, encode, encode_command, format_double, put_bulk};
