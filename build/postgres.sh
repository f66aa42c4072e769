# Throwaway PostgreSQL cluster on a free 127.0.0.1 port, for the test command and the benchmark.
# Source this file, then: pg_start PREFIX  (sets PG_DIR, PG_PORT, PG_BIN, PG_AS, PG_CONNECTION)  …  pg_stop
# initdb refuses to run as root, so as root the server runs as the postgres user.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

pg_start() {
  local prefix=${1:-carevault-pg}
  PG_BIN=$(pg_bin)
  [[ -x "$PG_BIN/initdb" ]] || { echo "PostgreSQL server binaries not found (Debian package postgresql)" >&2; return 1; }
  PG_DIR=$(mktemp -d "/tmp/$prefix.XXXXXX")
  PG_PORT=$(free_port)
  PG_AS=(); if [[ $(id -u) -eq 0 ]]; then chown postgres "$PG_DIR"; PG_AS=(runuser -u postgres --); fi
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null
  PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
}

pg_stop() {
  if [[ -n "${PG_DIR:-}" ]]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
