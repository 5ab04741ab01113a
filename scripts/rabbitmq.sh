#!/usr/bin/env bash
# A private RabbitMQ node for the tests, on loopback only: `scripts/rabbitmq.sh start|stop|url`.
# Installs Debian's rabbitmq-server when missing; never touches a system-wide node (own node
# name, ports, epmd port, data and cookie under $RABBITMQ_TEST_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${RABBITMQ_TEST_DIR:-$PWD/.test-services/rabbitmq}"
PORT="${RABBITMQ_TEST_PORT:-5673}"
export HOME="$DIR/home"
export RABBITMQ_NODENAME="fs-test@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$PORT"
export RABBITMQ_DIST_PORT="$((PORT + 20000))"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT="${RABBITMQ_TEST_EPMD_PORT:-4371}"
export RABBITMQ_MNESIA_BASE="$DIR/mnesia"
export RABBITMQ_LOG_BASE="$DIR/log"
export RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
export RABBITMQ_CONFIG_FILE="$DIR/rabbitmq"
export RABBITMQ_PID_FILE="$DIR/rabbitmq.pid"
BIN=/usr/lib/rabbitmq/bin

# Pids of the epmd daemons serving our port (started by the node or by rabbitmqctl with our
# ERL_EPMD_PORT in their environment), never a system-wide one on another port.
our_epmd_pids() {
  local proc environ cmdline
  for proc in /proc/[0-9]*; do
    [ "$(cat "$proc/comm" 2>/dev/null)" = epmd ] || continue
    # Read whole, not piped into grep -q: with pipefail an early grep exit could fail the match.
    environ="$( { tr '\0' '\n' < "$proc/environ"; } 2>/dev/null || true)"
    cmdline="$( { tr '\0' ' ' < "$proc/cmdline"; } 2>/dev/null || true) "
    if grep -qx "ERL_EPMD_PORT=$ERL_EPMD_PORT" <<<"$environ" || [[ "$cmdline" == *" -port $ERL_EPMD_PORT "* ]]; then
      echo "${proc#/proc/}"
    fi
  done
}

# The node's OS pid from its pid file, when that process is still alive.
node_pid() {
  local pid
  pid="$(cat "$RABBITMQ_PID_FILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

case "${1:-}" in
  start)
    if [ ! -x "$BIN/rabbitmq-server" ]; then
      echo "rabbitmq: installing rabbitmq-server" >&2
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rabbitmq-server >/dev/null
      # The package may start a system node: this script does not need it.
      ($SUDO service rabbitmq-server stop || true) >/dev/null 2>&1
    fi
    mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
    echo "[]." > "$RABBITMQ_ENABLED_PLUGINS_FILE"
    cat > "$RABBITMQ_CONFIG_FILE.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$PORT
loopback_users = none
heartbeat = 60
vm_memory_high_watermark.relative = 0.2
disk_free_limit.absolute = 50MB
CONF
    if "$BIN/rabbitmqctl" -q status >/dev/null 2>&1; then echo "amqp://guest:guest@127.0.0.1:$PORT/"; exit 0; fi
    nohup "$BIN/rabbitmq-server" > "$DIR/server.out" 2>&1 &
    for _ in $(seq 1 120); do
      if "$BIN/rabbitmqctl" -q --timeout 30 await_startup >/dev/null 2>&1; then break; fi
      sleep 0.5
    done
    "$BIN/rabbitmqctl" -q status >/dev/null 2>&1 || { echo "rabbitmq did not start; see $DIR/server.out" >&2; exit 1; }
    echo "amqp://guest:guest@127.0.0.1:$PORT/"
    ;;
  stop)
    # Stops everything `start` started: the node (waiting for its process to exit) and its epmd.
    pid="$(node_pid)"
    if [ -n "$pid" ]; then
      kill -CONT "$pid" 2>/dev/null || true  # a broker test may have left it frozen (SIGSTOP)
      # Given the pid file, rabbitmqctl waits until the node's process has exited.
      timeout 60 "$BIN/rabbitmqctl" -q stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || true
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    else
      # No pid file (an older start, or a failed one): ask the node by name.
      timeout 60 "$BIN/rabbitmqctl" -q stop >/dev/null 2>&1 || true
    fi
    # epmd outlives the node: ask ours to exit, then make sure (it refuses while a node is registered).
    epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true
    for _ in $(seq 1 25); do [ -z "$(our_epmd_pids)" ] && break; sleep 0.2; done
    for pid in $(our_epmd_pids); do kill -TERM "$pid" 2>/dev/null || true; done
    ;;
  stop_app|start_app)
    "$BIN/rabbitmqctl" -q "$1"
    ;;
  url)
    echo "amqp://guest:guest@127.0.0.1:$PORT/"
    ;;
  pid)
    "$BIN/rabbitmqctl" -q eval 'os:getpid().' | tr -d '"'
    ;;
  ctl)
    # rabbitmqctl against the private node (benchmarks: shovels as a peer).
    shift; "$BIN/rabbitmqctl" -q "$@"
    ;;
  plugins)
    shift; "$BIN/rabbitmq-plugins" -q "$@"
    ;;
  *)
    echo "usage: $0 start|stop|stop_app|start_app|url|pid|ctl ARGS|plugins ARGS" >&2; exit 2 ;;
esac
