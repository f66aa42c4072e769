#!/usr/bin/env bash
# Carevault benchmark suite (docs/performance.md explains the scenarios and how to read the numbers).
#
#   bench/run.sh [load|micro|all] [options]
#
#   load   (default) build Release, start the server on a free 127.0.0.1 port (SQLite, or a throwaway PostgreSQL
#          cluster with --postgres), create a tenant and a client with the CLI, drive the scenarios from a separate
#          load-generator process (bench/Carevault.LoadGen), measure cold start, and write
#          bench/results/latest.{json,md} (and a copy named after the backend: sqlite.* / postgres.*).
#   micro  BenchmarkDotNet micro-benchmarks (bench/Carevault.Benchmarks) beside the machine's physical limits;
#          writes bench/results/latest-micro.md. Filter with --filter '*Hl7*'.
#   all    both.
#
# Options:
#   --postgres            run the server on a throwaway PostgreSQL cluster (as build.sh does) instead of SQLite
#   --connections N       concurrent connections of the load generator (default 32)
#   --duration S          measured seconds per scenario (default 10); --warmup S (default 3)
#   --scenarios a,b       subset of: health-live,health-ready,token-issue,api-me,fhir-read,fhir-create,fhir-search,
#                         report-upload-1mb,report-upload-10mb,hl7-end-to-end (default all)
#   --observations N      synthetic Observations bulk-loaded through POST /fhir/$import before the scenarios (default
#                         1000000; the load's time and rate are reported as the bulk-load figure; 0 skips it, and the
#                         FHIR scenarios then load 2,000 themselves)
#   --cold-start-runs N   cold starts to take the median of (default 5; 0 skips cold start)
#   --wrk                 also replay each constant request with Debian's wrk (installed with apt-get if missing)
#   --sqlite-sync LEVEL   Full (default, see docs/decisions/0003) or Normal
#   --log-level LEVEL     server log level (default: the shipped appsettings, Information = one JSON line per request)
#   --filter GLOB         micro: BenchmarkDotNet filter (default '*')
#   --committed           build the server from the last commit (git archive HEAD), not the work tree: numbers
#                         for exactly the commit recorded in the results, unaffected by half-done local edits
#   --no-build            reuse the last build
# Everything is bounded: each scenario stops after warm-up + duration, the load generator after 20 minutes at most.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bench=$root/bench
artifacts=$bench/.artifacts   # own build output: never races the test command's bin/obj

mode=load
case "${1:-}" in load|micro|all) mode=$1; shift ;; esac
postgres=0; connections=32; duration=10; warmup=3; scenarios=""; cold_runs=5; wrk=0; sqlite_sync=Full
log_level=""; filter='*'; build=1; committed=0; observations=1000000
while (($#)); do
  case "$1" in
    --postgres) postgres=1 ;;
    --connections) connections=$2; shift ;;
    --duration) duration=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --scenarios) scenarios=$2; shift ;;
    --observations) observations=$2; shift ;;
    --cold-start-runs) cold_runs=$2; shift ;;
    --wrk) wrk=1 ;;
    --sqlite-sync) sqlite_sync=$2; shift ;;
    --log-level) log_level=$2; shift ;;
    --filter) filter=$2; shift ;;
    --no-build) build=0 ;;
    --committed) committed=1 ;;
    -h|--help) awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see bench/run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\n== %s\n' "$*"; }
source "$root/build/postgres.sh"

work=""; server_pid=""; PG_DIR=""; export_src=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  pg_stop
  [[ -n "$work" ]] && rm -rf "$work"
  [[ -n "$export_src" ]] && rm -rf "$export_src"
  return 0
}
trap cleanup EXIT

start_postgres() {
  if [[ ! -x "$(pg_bin)/initdb" ]]; then
    log "installing PostgreSQL (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  pg_start carevault-bench-pg
  PG_VERSION=$("$PG_BIN/postgres" --version)
  export CAREVAULT_DATABASE=$PG_CONNECTION
  log "PostgreSQL started on 127.0.0.1:$PG_PORT"
}

build_load() {
  local src=$root
  if ((committed)); then
    # Kept until the run ends: a built (not published) server finds the portal's files in the source tree.
    src=$(mktemp -d /tmp/carevault-bench-src.XXXXXX); export_src=$src
    log "exporting $(git rev-parse --short HEAD) (git archive) to build the server from it"
    git archive HEAD src build Directory.Build.props Directory.Packages.props global.json | tar -x -C "$src"
    # The SQLCipher library is built once per clone (build/sqlcipher.sh); the export reuses this clone's.
    [[ -f "$root/artifacts/native/libcarevault-sqlcipher.so" ]] && mkdir -p "$src/artifacts/native" && cp "$root/artifacts/native/libcarevault-sqlcipher.so" "$src/artifacts/native/"
  fi
  log "building Release (server, load generator) into bench/.artifacts"
  dotnet build "$src/src/Carevault.Server/Carevault.Server.csproj" -c Release --artifacts-path "$artifacts" -nologo -v q
  if ((committed)); then
    echo "$(git rev-parse --short HEAD) (built from git archive HEAD)" >"$artifacts/server-source.txt"
  else
    echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src changes in the work tree')" >"$artifacts/server-source.txt"
  fi
  dotnet build bench/Carevault.LoadGen/Carevault.LoadGen.csproj -c Release --artifacts-path "$artifacts" -nologo -v q
}

run_load() {
  ((build)) && build_load
  local server="$artifacts/bin/Carevault.Server/release/carevault"
  local loadgen="$artifacts/bin/Carevault.LoadGen/release/Carevault.LoadGen.dll"
  if ((wrk)) && ! command -v wrk >/dev/null; then
    log "installing wrk (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  fi
  work=$(mktemp -d /tmp/carevault-bench.XXXXXX)
  local data=$work/data backend=sqlite
  export CAREVAULT_DATABASE__SQLITESYNCHRONOUS=$sqlite_sync
  # Capacity, not the limiter: one benchmark client would otherwise meet the per-caller limit (200 requests/s by default).
  export CAREVAULT_RATELIMITS__ENABLED=false
  [[ -n "$log_level" ]] && export CAREVAULT_LOGGING__LOGLEVEL__DEFAULT=$log_level
  if ((postgres)); then start_postgres; backend=postgres; fi

  log "preparing data: tenant 'bench' and client 'bench' (system/*.cruds)"
  "$server" tenants create bench --name "Benchmark Hospital" --data-dir "$data" >"$work/cli.log" 2>&1
  "$server" clients create --tenant bench --name bench --scopes "system/*.cruds" --data-dir "$data" >"$work/client.txt" 2>>"$work/cli.log"
  local client_id client_secret
  client_id=$(awk '/^client_id:/ {print $2}' "$work/client.txt")
  client_secret=$(awk '/^client_secret:/ {print $2}' "$work/client.txt")
  [[ -n "$client_id" && -n "$client_secret" ]] || { cat "$work/cli.log" "$work/client.txt" >&2; exit 1; }

  local port; port=$(free_port)
  log "starting the server on 127.0.0.1:$port ($backend)"
  "$server" serve --urls "http://127.0.0.1:$port" --data-dir "$data" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do
    grep -q "Carevault is listening" "$work/server.log" && break
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/server.log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "Carevault is listening" "$work/server.log" || { echo "server did not start" >&2; exit 1; }

  mkdir -p "$bench/results"
  local cpu; cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  local mem; mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
  local args=(--base-url "http://127.0.0.1:$port" --server-pid "$server_pid" --client-id "$client_id" --client-secret "$client_secret"
    --connections "$connections" --duration "$duration" --warmup "$warmup" --log-dir "$work"
    --out-json "$bench/results/latest.json" --out-md "$bench/results/latest.md"
    --meta "backend=$backend$( ((postgres)) && echo " (${PG_VERSION:-}, synchronous_commit=on, fsync=on)" || echo " (WAL, synchronous=$sqlite_sync)")"
    --meta "machine=$(nproc) cores ($cpu), $mem RAM, $(uname -r)"
    --meta "dotnet=$(dotnet --version)"
    --meta "commit=$(cat "$artifacts/server-source.txt" 2>/dev/null || echo unknown)"
    --meta "serverLogLevel=${log_level:-as shipped (Information: one JSON line per request, to a file)}")
  if ((cold_runs > 0)); then
    args+=(--server-cmd "$server" --cold-start-runs "$cold_runs" --cold-start-data-dir "$data")
    ((postgres)) || args+=(--fresh-start-dir "$work/fresh")
  fi
  [[ -n "$scenarios" ]] && args+=(--scenarios "$scenarios")
  ((observations > 0)) && args+=(--fhir-observations "$observations")
  ((wrk)) && args+=(--wrk --wrk-threads 1)
  log "load generator (separate process)"
  local rc=0
  dotnet "$loadgen" "${args[@]}" || rc=$?
  cp "$bench/results/latest.json" "$bench/results/$backend.json"
  cp "$bench/results/latest.md" "$bench/results/$backend.md"
  log "results: bench/results/latest.md"
  cat "$bench/results/latest.md"
  ((rc == 0)) || echo "some requests failed (exit $rc): see the errors column" >&2
  return $rc
}

run_micro() {
  log "micro-benchmarks (BenchmarkDotNet, Release) — filter '$filter'"
  mkdir -p "$bench/results"
  local out=$bench/.artifacts/micro
  rm -rf "$out"
  dotnet run -c Release --project bench/Carevault.Benchmarks/Carevault.Benchmarks.csproj --artifacts-path "$artifacts" -- \
    --filter "$filter" --artifacts "$out"
  local first=""
  {
    echo "# Carevault micro-benchmarks — $(date -u '+%Y-%m-%d %H:%M') UTC"
    echo
    echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- source: work tree at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' with uncommitted src changes')"
    for report in "$out"/results/*-report-github.md; do
      echo
      echo "## $(basename "$report" -report-github.md | sed 's/^Carevault\.Benchmarks\.//')"
      # the environment block is the same for every class: keep the first one only
      sed -e "s/&#39;//g" "$report" | awk -v first="$first" 'BEGIN{f=0} /^```/{f++; if (first!="") next} first=="" || f>=2 {print}'
      first=no
    done
  } >"$bench/results/latest-micro.md"
  log "results: bench/results/latest-micro.md"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
case "$mode" in
  load) run_load ;;
  micro) run_micro ;;
  all) run_micro; run_load ;;
esac
