# shellcheck shell=bash
# Process helpers shared by hack/cluster.sh, hack/csi.sh, hack/zalando.sh and hack/argocd.sh
# (sourced).
#
# Each starts its components detached (setsid, own session and process group, so they
# outlive the script and stop as a group) and recognises them later by pid file plus the
# base name of argv[0], so that a reused pid is never taken for one of ours.

# proc_alive PID NAME: true when PID is alive (not a zombie) and argv[0]'s base name is NAME.
proc_alive() {
    local pid=$1 name=$2 stat a=
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ] || return 1
    IFS= read -r -d '' a 2>/dev/null <"/proc/$pid/cmdline" || [ -n "$a" ] || return 1
    [ "${a##*/}" = "$name" ]
}

# proc_start LOG PIDFILE NAME COMMAND...: starts COMMAND detached, output appended to LOG,
# its pid in PIDFILE. Without job control the background child is not a group leader, so
# setsid execs in place and $! is the command's own pid. Returns once that child runs NAME
# or has died (at most 10 s): until it execs, its argv[0] is still this shell's, and a
# liveness check made in that window took a process that was starting for one that had
# exited (it failed CI once for csi-mock and once for kube-apiserver). 9>&-: the command
# must not inherit (and so hold forever) the lock of cluster.sh up/down.
proc_start() {
    local log=$1 pidfile=$2 name=$3 pid i
    shift 3
    setsid "$@" >>"$log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$pidfile"
    for ((i = 0; i < 200; i++)); do
        proc_alive "$pid" "$name" && return 0
        [ -r "/proc/$pid/stat" ] || return 0
        case $(cat "/proc/$pid/stat" 2>/dev/null) in *") Z "*) return 0 ;; esac
        sleep 0.05
    done
}

# The helpers below serve a script that keeps each component's pid and log in $DIR as
# NAME.pid and NAME.log (hack/csi.sh, hack/argocd.sh). The script defines `alive PID NAME`
# (usually proc_alive; hack/argocd.sh knows Redis by its executable, as it rewrites its
# process title).

# proc_pid_of NAME: prints the pid on record; false when none.
proc_pid_of() { [ -s "$DIR/$1.pid" ] && cat "$DIR/$1.pid"; }

# proc_running NAME: its pid on record is alive and is NAME.
proc_running() {
    local pid
    pid=$(proc_pid_of "$1") && alive "$pid" "$1"
}

# proc_start_one NAME COMMAND...: starts COMMAND as NAME with a fresh $DIR/NAME.log.
proc_start_one() {
    local name=$1
    shift
    : >"$DIR/$name.log"
    proc_start "$DIR/$name.log" "$DIR/$name.pid" "$name" "$@"
}

# proc_stop_one NAME: SIGTERM to its process group, SIGKILL after 10 s, gone within 15 s;
# its pid file removed.
proc_stop_one() {
    local name=$1 pid i
    pid=$(proc_pid_of "$name") || return 0
    if alive "$pid" "$name"; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            alive "$pid" "$name" || break
            sleep 0.1
        done
        if alive "$pid" "$name"; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                alive "$pid" "$name" || break
                sleep 0.1
            done
        fi
    fi
    rm -f "$DIR/$name.pid"
}

# proc_fail COMPONENT MESSAGE...: logs MESSAGE (the script's `log`) and the last 30 lines of
# $DIR/COMPONENT.log when COMPONENT is not empty, then exits 1.
proc_fail() {
    local comp=$1
    shift
    log "ERROR: $*"
    if [ -n "$comp" ] && [ -s "$DIR/$comp.log" ]; then
        log "last lines of $DIR/$comp.log:"
        tail -n 30 "$DIR/$comp.log" | sed 's/^/    /' >&2
    fi
    exit 1
}
