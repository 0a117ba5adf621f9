//! Shared helpers for the integration tests: start the real `ringkv` binary on
//! an ephemeral port (one server per test), talk to it with the `redis` crate
//! or over a raw socket, run `redis-cli` and friends against it.
//!
//! [`Server`] kills its process on drop (SIGKILL, then `wait`), so a panicking
//! test never leaves a server behind. Every socket has a read timeout and
//! every external tool runs under a deadline, so no test can hang.
//!
//! Set `RINGKV_TEST_SERVER=redis` to run the same tests against Debian's
//! `redis-server` instead (a check that the tests themselves say what Redis
//! does; options that only ringkv has, like `--shards`, are dropped).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

pub use redis::Value;

/// How long a server may take to say it is ready.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Read timeout of every client socket.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Shards of a default test server.
pub const SHARDS: usize = 2;

const READY: &str = "Ready to accept connections tcp port=";

/// A running server process, killed on drop.
pub struct Server {
    child: Option<Child>,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    dir: PathBuf,
    /// Whether this is Debian's redis-server (see the module doc).
    pub is_redis: bool,
}

fn against_redis() -> bool {
    std::env::var("RINGKV_TEST_SERVER").is_ok_and(|v| v == "redis")
}

fn unique_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "ringkv-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).expect("create test dir");
    d
}

/// Removes ANSI colour sequences (tracing colours fields by default).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            if it.peek() == Some(&'[') {
                it.next();
                for c in it.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn parse_ready_port(line: &str) -> Option<u16> {
    let line = strip_ansi(line);
    let at = line.find(READY)? + READY.len();
    let digits: String = line[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

fn spawn_reader(r: impl Read + Send + 'static, log: Arc<Mutex<Vec<String>>>, tx: mpsc::Sender<u16>) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if let Some(p) = parse_ready_port(&line) {
                let _ = tx.send(p);
            }
            log.lock().unwrap().push(line);
        }
    });
}

impl Server {
    /// `ringkv --port 0 --shards 2`.
    pub fn start() -> Server {
        Server::with_args(&[])
    }

    /// `ringkv --port 0` with `--shards 2` unless `args` names `--shards`.
    pub fn with_args(args: &[&str]) -> Server {
        Server::launch(None, args)
    }

    /// Like [`Server::with_args`], with a redis.conf-style file holding
    /// `config` passed as the first argument.
    pub fn with_config(config: &str, args: &[&str]) -> Server {
        Server::launch(Some(config), args)
    }

    fn launch(config: Option<&str>, args: &[&str]) -> Server {
        if against_redis() {
            return Server::launch_redis(config, args);
        }
        let dir = unique_dir();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ringkv"));
        if let Some(text) = config {
            let path = dir.join("ringkv.conf");
            std::fs::write(&path, text).unwrap();
            cmd.arg(&path);
        }
        if !args.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        if !args.contains(&"--shards") {
            cmd.args(["--shards", &SHARDS.to_string()]);
        }
        cmd.args(args);
        cmd.current_dir(&dir)
            .env("NO_COLOR", "1")
            .env_remove("RINGKV_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn ringkv");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        spawn_reader(child.stdout.take().unwrap(), log.clone(), tx.clone());
        spawn_reader(child.stderr.take().unwrap(), log.clone(), tx);
        let mut server = Server { child: Some(child), port: 0, log, dir, is_redis: false };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(p) = rx.recv_timeout(Duration::from_millis(50)) {
                server.port = p;
                break;
            }
            if let Some(st) = server.child.as_mut().unwrap().try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "ringkv {args:?} exited with {st} before the line '{READY}<N>'; its output:\n{}",
                    server.log_text()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "ringkv {args:?} did not log '{READY}<N>' within {START_TIMEOUT:?}; its output:\n{}",
                    server.log_text()
                );
            }
        }
        assert_ne!(server.port, 0, "the Ready line must name the real port, not 0");
        server
    }

    /// Debian's real `redis-server` with `args` (for interop tests), on a
    /// free port, whatever RINGKV_TEST_SERVER says.
    pub fn real_redis(args: &[&str]) -> Server {
        Server::launch_redis(None, args)
    }

    fn launch_redis(config: Option<&str>, args: &[&str]) -> Server {
        require_tool("redis-server");
        let dir = unique_dir();
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut cmd = Command::new("redis-server");
        if let Some(text) = config {
            let path = dir.join("redis.conf");
            std::fs::write(&path, text).unwrap();
            cmd.arg(&path);
        }
        cmd.args(["--port", &port.to_string(), "--save", "", "--appendonly", "no"]);
        cmd.args(["--enable-debug-command", "yes"]);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match *a {
                "--shards" | "--loglevel" => {
                    it.next();
                }
                "--bind" => {
                    cmd.arg("--bind");
                    for b in it.by_ref() {
                        cmd.arg(b);
                    }
                }
                other => {
                    cmd.arg(other);
                }
            }
        }
        cmd.current_dir(&dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn redis-server");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, _rx) = mpsc::channel();
        spawn_reader(child.stdout.take().unwrap(), log.clone(), tx.clone());
        spawn_reader(child.stderr.take().unwrap(), log.clone(), tx);
        let server = Server { child: Some(child), port, log, dir, is_redis: true };
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start:\n{}", server.log_text());
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's working directory (a fresh temp dir).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A `redis` crate connection (RESP2) with I/O timeouts.
    pub fn client(&self) -> redis::Connection {
        self.client_url(&format!("redis://127.0.0.1:{}/", self.port))
    }

    /// A connection opened from a URL (e.g. with a password or `?protocol=resp3`).
    pub fn client_url(&self, url: &str) -> redis::Connection {
        let c = redis::Client::open(url).expect("client url");
        let con = c
            .get_connection_with_timeout(IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect to {url}: {e}\nserver output:\n{}", self.log_text()));
        con.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        con.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        con
    }

    /// A plain TCP connection for raw RESP, with I/O timeouts.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// Everything the server printed so far (stdout and stderr).
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    /// Sends `signal` (e.g. `libc::SIGTERM`) to the process.
    pub fn signal(&self, signal: i32) {
        let pid = self.child.as_ref().expect("running").id() as i32;
        // SAFETY: kill(2) with the pid of our own child.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal})");
    }

    /// Waits for the process to exit by itself; None if it is still running
    /// after `timeout`. Polls every millisecond, so that a test can act at
    /// once after the exit (a restart on the same port).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut().expect("running");
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                self.child = None;
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Error text as the server sent it (`CODE detail`), from a `redis` crate error.
pub fn err_text(e: &redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => format!("<not a server error: {e}>"),
    }
}

/// Short-hands on a `redis` connection: every request is a list of string
/// arguments, as typed in `redis-cli`.
pub trait Exec {
    /// Runs a command that must succeed and converts its reply.
    fn ok<T: redis::FromRedisValue>(&mut self, args: &[&str]) -> T;
    /// Runs a command and returns the reply as a raw `Value` (errors included
    /// as `Err(text)`).
    fn val(&mut self, args: &[&str]) -> Result<Value, String>;
    /// Runs a command that must fail and returns the error text
    /// (`ERR syntax error`, `WRONGTYPE ...`).
    fn err(&mut self, args: &[&str]) -> String;
}

pub fn cmd(args: &[&str]) -> redis::Cmd {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c
}

impl Exec for redis::Connection {
    fn ok<T: redis::FromRedisValue>(&mut self, args: &[&str]) -> T {
        match cmd(args).query::<Value>(self) {
            Ok(v) => match redis::from_redis_value::<T>(v.clone()) {
                Ok(t) => t,
                Err(e) => panic!("{args:?}: reply {v:?} does not convert: {e}"),
            },
            Err(e) => panic!("{args:?} failed: {}", err_text(&e)),
        }
    }

    fn val(&mut self, args: &[&str]) -> Result<Value, String> {
        match cmd(args).query::<Value>(self) {
            Ok(Value::ServerError(e)) => Err(err_text(&e.into())),
            Ok(v) => Ok(v),
            Err(e) => Err(err_text(&e)),
        }
    }

    fn err(&mut self, args: &[&str]) -> String {
        match self.val(args) {
            Ok(v) => panic!("{args:?} should fail, replied {v:?}"),
            Err(e) => e,
        }
    }
}

/// A RESP reply read off a raw socket, RESP2 and RESP3 types.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    NilBulk,
    Array(Vec<Frame>),
    NilArray,
    /// RESP3 `_`.
    Null,
    Double(String),
    Bool(bool),
    BigNumber(String),
    Verbatim(String, Vec<u8>),
    Map(Vec<(Frame, Frame)>),
    Set(Vec<Frame>),
    Push(Vec<Frame>),
    Attribute(Vec<(Frame, Frame)>),
}

impl Frame {
    pub fn bulk(s: &str) -> Frame {
        Frame::Bulk(s.as_bytes().to_vec())
    }

    pub fn simple(s: &str) -> Frame {
        Frame::Simple(s.to_string())
    }

    pub fn error(s: &str) -> Frame {
        Frame::Error(s.to_string())
    }

    /// The text of a bulk, simple or verbatim string.
    pub fn text(&self) -> String {
        match self {
            Frame::Bulk(b) | Frame::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
            Frame::Simple(s) => s.clone(),
            other => panic!("not a string reply: {other:?}"),
        }
    }
}

/// A raw client socket speaking RESP by hand.
pub struct Raw {
    pub reader: BufReader<TcpStream>,
    pub stream: TcpStream,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        let reader = BufReader::with_capacity(64 * 1024, stream.try_clone().unwrap());
        Raw { reader, stream }
    }

    /// Writes bytes as they are.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to server");
    }

    /// Sends one command as a RESP array of bulk strings.
    pub fn send_cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode(args));
    }

    /// Sends a command and reads its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Frame {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send_cmd(&a);
        self.read()
    }

    /// Reads one reply; panics on timeout or EOF.
    pub fn read(&mut self) -> Frame {
        match self.try_read() {
            Ok(f) => f,
            Err(e) => panic!("reading a reply: {e}"),
        }
    }

    pub fn try_read(&mut self) -> std::io::Result<Frame> {
        read_frame(&mut self.reader)
    }

    /// Reads exactly `n` bytes of raw reply text.
    pub fn read_exact_bytes(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf).expect("read reply bytes");
        buf
    }

    /// True when the server closes the connection (EOF or reset) within the
    /// read timeout, after any replies still buffered have been read.
    pub fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 1024];
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => {
                    if Instant::now() > deadline {
                        return false;
                    }
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return false;
                }
                Err(_) => return true,
            }
        }
    }
}

/// RESP encoding of a command.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    if !line.ends_with(b"\r\n") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("line not ended by CRLF: {:?}", String::from_utf8_lossy(&line)),
        ));
    }
    line.truncate(line.len() - 2);
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

/// Reads one RESP2/RESP3 value.
pub fn read_frame(r: &mut impl BufRead) -> std::io::Result<Frame> {
    let line = read_line(r)?;
    let (t, rest) = line.split_at(1);
    let int = |s: &str| s.parse::<i64>().map_err(|_| bad(format!("bad length line {line:?}")));
    let read_n = |r: &mut dyn BufRead, n: i64| -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; n as usize + 2];
        r.read_exact(&mut buf)?;
        if !buf.ends_with(b"\r\n") {
            return Err(bad("bulk not ended by CRLF".into()));
        }
        buf.truncate(n as usize);
        Ok(buf)
    };
    Ok(match t {
        "+" => Frame::Simple(rest.to_string()),
        "-" => Frame::Error(rest.to_string()),
        ":" => Frame::Int(int(rest)?),
        "$" => match int(rest)? {
            -1 => Frame::NilBulk,
            n => Frame::Bulk(read_n(r, n)?),
        },
        "*" | "~" | ">" => {
            let n = int(rest)?;
            if n == -1 {
                return Ok(Frame::NilArray);
            }
            let mut v = Vec::with_capacity(n as usize);
            for _ in 0..n {
                v.push(read_frame(r)?);
            }
            match t {
                "*" => Frame::Array(v),
                "~" => Frame::Set(v),
                _ => Frame::Push(v),
            }
        }
        "%" | "|" => {
            let n = int(rest)?;
            let mut v = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let k = read_frame(r)?;
                v.push((k, read_frame(r)?));
            }
            if t == "%" { Frame::Map(v) } else { Frame::Attribute(v) }
        }
        "_" => Frame::Null,
        "," => Frame::Double(rest.to_string()),
        "#" => Frame::Bool(rest == "t"),
        "(" => Frame::BigNumber(rest.to_string()),
        "=" => {
            let b = read_n(r, int(rest)?)?;
            let (fmt, body) = b.split_at(4.min(b.len()));
            Frame::Verbatim(String::from_utf8_lossy(&fmt[..3.min(fmt.len())]).into(), body.to_vec())
        }
        "!" => Frame::Error(String::from_utf8_lossy(&read_n(r, int(rest)?)?).into()),
        _ => return Err(bad(format!("unknown reply type in {line:?}"))),
    })
}

/// Redis Cluster's key → slot: CRC16 (XMODEM) of the key, or of its
/// `{hashtag}` when that is non-empty, mod 16384.
pub fn key_slot(key: &[u8]) -> u16 {
    let mut k = key;
    if let Some(open) = key.iter().position(|&c| c == b'{')
        && let Some(len) = key[open + 1..].iter().position(|&c| c == b'}')
        && len > 0
    {
        k = &key[open + 1..open + 1 + len];
    }
    crc16(k) % 16384
}

/// CRC16-CCITT (XMODEM): poly 0x1021, init 0.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

/// The shard that owns `key` on a server with `shards` shards.
pub fn shard_of(key: &str, shards: usize) -> usize {
    key_slot(key.as_bytes()) as usize % shards
}

/// First key named `{prefix}{i}` that lands on `shard`.
pub fn key_on_shard(prefix: &str, shard: usize, shards: usize) -> String {
    (0..).map(|i| format!("{prefix}{i}")).find(|k| shard_of(k, shards) == shard).unwrap()
}

/// Whether `name` is an executable on PATH.
pub fn has_tool(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            let f = d.join(name);
            f.is_file()
                && std::fs::metadata(&f)
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
                    .unwrap_or(false)
        })
    })
}

/// Fails the test (never skips it) when a peer tool is missing.
pub fn require_tool(name: &str) {
    assert!(
        has_tool(name),
        "`{name}` is not installed: run scripts/test, which installs redis-tools, \
         redis-server and netcat-openbsd when they are missing"
    );
}

/// Runs a command with stdin from `input`, killing it after `timeout`.
pub fn run_with_timeout(cmd: &mut Command, input: Option<&[u8]>, timeout: Duration) -> Output {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let writer = input.map(|i| {
        let mut stdin = child.stdin.take().unwrap();
        let data = i.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        })
    });
    // Drain stdout/stderr in threads so a chatty child never blocks on a pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    Output { status, stdout: t_out.join().unwrap(), stderr: t_err.join().unwrap() }
}

/// `redis-cli -p PORT args...`: asserts exit 0 and returns stdout.
pub fn redis_cli(port: u16, args: &[&str]) -> String {
    redis_cli_input(port, args, None)
}

/// `redis-cli -p PORT args...` with `input` on stdin.
pub fn redis_cli_input(port: u16, args: &[&str], input: Option<&[u8]>) -> String {
    require_tool("redis-cli");
    let out = run_with_timeout(
        Command::new("redis-cli").args(["-p", &port.to_string()]).args(args),
        input,
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "redis-cli {args:?} exited {}: stdout {:?} stderr {:?}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One section of an INFO reply as (field, value) pairs.
pub fn info_fields(info: &str) -> Vec<(String, String)> {
    info.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim_end().to_string()))
        .collect()
}

/// The value of `field` in an INFO reply.
pub fn info_field(info: &str, field: &str) -> Option<String> {
    info_fields(info).into_iter().find(|(k, _)| k == field).map(|(_, v)| v)
}

/// Polls `f` every 20 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Raises the soft RLIMIT_NOFILE to at least `want` (bounded by the hard
/// limit); returns the soft limit in force afterwards.
pub fn raise_nofile(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return 0;
        }
        if r.rlim_cur < want {
            r.rlim_cur = want.min(r.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        }
        r.rlim_cur
    }
}

/// Runs redis-benchmark; asserts exit 0, no error or warning line, and a
/// requests-per-second line for each test name.
pub fn redis_benchmark(port: u16, args: &[&str], tests: &[&str]) {
    require_tool("redis-benchmark");
    let out = run_with_timeout(
        Command::new("redis-benchmark").args(["-p", &port.to_string()]).args(args),
        None,
        Duration::from_secs(60),
    );
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "redis-benchmark {args:?} exited {}:\n{text}", out.status);
    for line in text.lines() {
        let l = line.to_lowercase();
        assert!(
            !l.contains("err") && !l.contains("warning"),
            "redis-benchmark {args:?} printed: {line}\n{text}"
        );
    }
    // -q output separates progress updates with carriage returns.
    let lines: Vec<&str> = text.split(['\n', '\r']).collect();
    for t in tests {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("{t}:")) && l.contains("requests per second")),
            "no result line for {t}:\n{text}"
        );
    }
}
