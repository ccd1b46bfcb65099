# Helpers shared by the benchmark scripts (sourced, not run): free ports, waiting for a
# server, CPU accounting from /proc, and waiting for a quiet machine (needs QUIET_WAIT).

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_port PORT PID: up to 20 s for PID to accept TCP connections on PORT.
wait_for_port() {
    for _ in $(seq 100); do
        kill -0 "$2" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    return 1
}

# CPU time in clock ticks: user + nice + system of all CPUs (interrupt time is
# left out: most of it is the benchmark's own loopback traffic).
machine_ticks() {
    local _cpu user nice system _rest
    read -r _cpu user nice system _rest </proc/stat
    echo $((user + nice + system))
}

# utime + stime of process $1, or with "children" the cutime + cstime of this
# shell: everything it has waited for, the load generator included.
process_ticks() {
    local stat
    if [[ $1 == children ]]; then stat=$(</proc/$$/stat); else stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }; fi
    read -r -a fields <<<"${stat##*) }"
    if [[ $1 == children ]]; then echo $((fields[12] + fields[13])); else echo $((fields[11] + fields[12])); fi
}

# Percentage of both CPUs busy over the next 2 s.
cpu_busy_percent() {
    local _cpu u1 n1 s1 i1 w1 q1 sq1 st1 u2 n2 s2 i2 w2 q2 sq2 st2 _rest
    read -r _cpu u1 n1 s1 i1 w1 q1 sq1 st1 _rest </proc/stat
    sleep 2
    read -r _cpu u2 n2 s2 i2 w2 q2 sq2 st2 _rest </proc/stat
    local total=$(((u2 + n2 + s2 + i2 + w2 + q2 + sq2 + st2) - (u1 + n1 + s1 + i1 + w1 + q1 + sq1 + st1)))
    local idle=$(((i2 + w2) - (i1 + w1)))
    echo $((100 * (total - idle) / (total > 0 ? total : 1)))
}

# On a shared machine a compiler running next to the benchmark moves the figures
# by far more than the differences we look for: wait until it is done.
wait_for_quiet() {
    local deadline=$((SECONDS + QUIET_WAIT)) busy
    while ((QUIET_WAIT > 0)); do
        busy=$(cpu_busy_percent)
        ((busy <= 10)) && return 0
        if ((SECONDS >= deadline)); then
            echo "    machine still ${busy}% busy after ${QUIET_WAIT}s; measuring anyway" >&2
            return 0
        fi
        echo "    machine ${busy}% busy; waiting for it to be idle" >&2
        sleep 8
    done
}
