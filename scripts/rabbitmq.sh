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
    "$BIN/rabbitmqctl" -q stop >/dev/null 2>&1 || true
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
  *)
    echo "usage: $0 start|stop|stop_app|start_app|url|pid" >&2; exit 2 ;;
esac
