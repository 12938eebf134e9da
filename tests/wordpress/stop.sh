#!/usr/bin/env bash
# Stops a WordPress started by tests/wordpress/start.sh DIR: the PHP server, MariaDB and the
# watchdog, by the pids recorded in DIR, and removes its /etc/wordpress config file and
# DIR/state.env. Idempotent: what is already gone is skipped. Bounded: MariaDB gets 20 s to
# shut down, then it is killed.
#
#   tests/wordpress/stop.sh DIR [--remove]     (--remove also deletes DIR)
set -uo pipefail
dir="${1:?usage: stop.sh DIR [--remove]}"
[ -d "$dir" ] || exit 0

# Whether process $1 runs (a zombie, dead but not yet reaped by its parent, does not).
# Read from /proc (a fresh machine may have no ps): the state follows the command's name in
# parentheses.
alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ -n "$stat" ] && [ "${stat%% *}" != Z ]
}

# Stops the process whose pid is in file $1 (and its process group: it was started with
# setsid), waiting up to $2 seconds before SIGKILL.
stop_pid_file() {
  local file="$1" grace="$2" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file" 2>/dev/null)"
  rm -f "$file"
  [ -n "$pid" ] && [ "$pid" -gt 1 ] 2>/dev/null || return 0
  alive "$pid" || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq $((grace * 5))); do
    alive "$pid" || return 0
    sleep 0.2
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
}

rm -f "$dir/state.env"
stop_pid_file "$dir/php.pid" 5
if [ -f "$dir/mariadb.pid" ] && [ ! -f "$dir/mariadb.pid.launch" ]; then
  cp "$dir/mariadb.pid" "$dir/mariadb.pid.launch"
fi
stop_pid_file "$dir/mariadb.pid.launch" 20
if [ -f "$dir/wp-config.path" ]; then
  config="$(cat "$dir/wp-config.path")"
  case "$config" in /etc/wordpress/config-roundup-test-*.php) rm -f "$config" ;; esac
  rm -f "$dir/wp-config.path"
fi
# The watchdog last: it may be the one running this script (or this very process: bash execs
# the last command of `bash -c`).
if [ -f "$dir/watchdog.pid" ]; then
  pid="$(cat "$dir/watchdog.pid")"
  rm -f "$dir/watchdog.pid"
  [ "$pid" != "$$" ] && [ "$pid" != "$PPID" ] && [ "$pid" -gt 1 ] 2>/dev/null && kill -TERM "$pid" 2>/dev/null
fi
if [ "${2:-}" = "--remove" ]; then
  case "$dir" in /|"$HOME") ;; *) rm -rf "$dir" ;; esac
fi
exit 0
