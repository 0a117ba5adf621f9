# shellcheck shell=bash
# Helpers shared by scripts/bench and scripts/bench-memory (sourced, not run).
#
# Servers are started on loopback on free ports, each in its own temporary
# directory, and recorded in SERVER_PIDS; bench_cleanup (installed as the
# EXIT trap by bench_init) stops every one of them by PID.

RINGKV=${RINGKV:-target/release/ringkv}
# Extra flags for every ringkv start_server starts (scripts/latency).
RINGKV_ARGS=()
SERVER_PIDS=()
BENCH_TMP=

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() {
    bench_log "error: $*"
    exit 1
}

# Creates the scratch directory and installs the cleanup trap.
bench_init() {
    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ringkv-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_cleanup() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do
        stop_pid "$pid"
    done
    SERVER_PIDS=()
    if [[ -n $BENCH_TMP && -d $BENCH_TMP ]]; then
        rm -rf "$BENCH_TMP"
    fi
}

# Copies the ringkv binary into the scratch directory, so a rebuild while
# the benchmark runs cannot swap binaries between rounds.
snapshot_ringkv() {
    [[ -x $RINGKV ]] || bench_die "$RINGKV not found (cargo build --release)"
    cp "$RINGKV" "$BENCH_TMP/ringkv"
    RINGKV=$BENCH_TMP/ringkv
}

# Stops one process we started: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Removes a PID from SERVER_PIDS after stopping it.
stop_server() {
    local pid=$1 p keep=()
    stop_pid "$pid"
    for p in "${SERVER_PIDS[@]}"; do
        [[ $p == "$pid" ]] || keep+=("$p")
    done
    SERVER_PIDS=("${keep[@]}")
}

# Installs Debian packages for the commands named (cmd:package pairs) that
# are missing, as scripts/test does.
ensure_commands() {
    local pair cmd pkg missing=()
    for pair in "$@"; do
        cmd=${pair%%:*} pkg=${pair#*:}
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    local pkgs sudo=()
    mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
    bench_log "installing ${pkgs[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || bench_die "need root or sudo to install ${pkgs[*]}"
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
}

# The CPUs this process may use, one per line (expands Cpus_allowed_list).
allowed_cpus() {
    local list part
    list=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
    IFS=, read -ra parts <<<"$list"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then
            seq "${part%-*}" "${part#*-}"
        else
            echo "$part"
        fi
    done
}

# A TCP port on 127.0.0.1 that nothing answers on. The server started on it
# may still lose a race; start_server retries with another port.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# CPU time (utime + stime, all threads) of a process, in clock ticks.
cpu_ticks() {
    local stat f
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
        echo 0
        return
    }
    # Fields after "pid (comm) ": state is 1st, utime 12th, stime 13th.
    read -ra f <<<"${stat##*) }"
    echo $((f[11] + f[12]))
}

# CPU time of all threads of a process in nanoseconds, from the scheduler's
# per-thread accounting (/proc/PID/task/*/schedstat, first field); far finer
# than the clock ticks of /proc/PID/stat. Prints nothing when unavailable.
cpu_ns() {
    local f a sum=0 found=
    for f in /proc/"$1"/task/*/schedstat; do
        read -r a _ <"$f" 2>/dev/null || continue
        sum=$((sum + a)) found=1
    done
    [[ -n $found ]] && echo "$sum"
    return 0
}

# Busy CPU time of the whole machine (user nice system irq softirq steal of
# /proc/stat), in clock ticks: with the server's and the client's own CPU
# time it tells how much other processes ran during a measurement.
machine_busy_ticks() {
    awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

# User and kernel (system + irq + softirq) time of one CPU from /proc/stat,
# in clock ticks. In pinned mode the server's core runs nothing but the
# server, and this splits its time into the server's own code and the
# kernel's network path (which also delivers each reply into the client's
# socket, on the sender's core).
core_ticks() {
    awk -v c="cpu$1" '$1 == c {print $2 + $3, $4 + $7 + $8; exit}' /proc/stat
}

# Resident set size of a process in bytes.
rss_bytes() {
    awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"
}

# start_server NAME CPUSET SHARDS: starts ringkv, redis or valkey on a free
# port, pinned with taskset when CPUSET is non-empty. Sets STARTED_PID and
# STARTED_PORT. SHARDS is ringkv's --shards, or valkey's --io-threads.
# shellcheck disable=SC2034 # STARTED_* are read by the sourcing script
start_server() {
    local name=$1 cpuset=$2 shards=$3 attempt port pid dir cmd
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        dir=$BENCH_TMP/$name-$port
        mkdir -p "$dir"
        case $name in
            ringkv)
                cmd=("$(realpath "$RINGKV")" --port "$port" --bind 127.0.0.1 --shards "$shards" --loglevel warning
                    "${RINGKV_ARGS[@]}")
                # Persistence off, should the binary know these flags.
                if [[ $("${cmd[0]}" --help 2>/dev/null) == *--save* ]]; then
                    cmd+=(--save "" --appendonly no)
                fi
                ;;
            redis)
                cmd=(redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning)
                ;;
            valkey)
                cmd=(valkey-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning
                    --io-threads "$shards")
                ;;
            *) bench_die "unknown server $name" ;;
        esac
        [[ -n $cpuset ]] && cmd=(taskset -c "$cpuset" "${cmd[@]}")
        (cd "$dir" && exec "${cmd[@]}") >"$dir/log" 2>&1 &
        pid=$!
        SERVER_PIDS+=("$pid")
        if wait_ready "$pid" "$port"; then
            STARTED_PID=$pid STARTED_PORT=$port
            return 0
        fi
        stop_server "$pid"
        bench_log "$name did not start on port $port (attempt $attempt):"
        tail -n 5 "$dir/log" >&2
    done
    bench_die "could not start $name"
}

# Waits until the server answers PING and reports our PID as its
# process_id (so we never measure some other process on a reused port).
wait_ready() {
    local pid=$1 port=$2 i reported
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if [[ $(redis-cli -p "$port" PING 2>/dev/null) == PONG ]]; then
            reported=$(redis-cli -p "$port" INFO server 2>/dev/null | tr -d '\r' | awk -F: '$1=="process_id" {print $2}')
            [[ $reported == "$pid" ]] && return 0
            bench_log "port $port answers with process_id '$reported', not $pid"
            return 1
        fi
        sleep 0.1
    done
    return 1
}

# Human-readable machine description for reports.
machine_line() {
    local model
    model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
    printf '%s cores (nproc), %s, %s GiB RAM, Linux %s' "$(nproc)" "${model:-unknown CPU}" \
        "$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)"
}
