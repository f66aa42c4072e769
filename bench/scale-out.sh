#!/usr/bin/env bash
# Scale-out run (issue 7): 1, 2 and 3 Carevault processes on one PostgreSQL behind a local haproxy (Debian), all on
# 127.0.0.1. For each count it drives the same load through the balancer and records requests/s; with the largest
# count it then uploads small HL7 lab reports through the balancer and shows that every job was processed exactly
# once (one "completed" log line per job across all processes, one DiagnosticReport per message).
#
#   bench/scale-out.sh [--instances "1 2 3"] [--scenarios api-me,token-issue] [--duration S] [--connections N]
#                      [--jobs N] [--no-build]
#
# Writes bench/results/scale-out.{json,md}. Everything is bounded: each scenario stops after warm-up + duration,
# the job check after 180 s. The processes share one --data-dir (master key, signing keys, the blob folder), as
# instances on one host sharing a volume would; PostgreSQL holds everything else.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bench=$root/bench
artifacts=$bench/.artifacts

instances="1 2 3"; scenarios="api-me,token-issue"; duration=10; warmup=3; connections=32; jobs=300; build=1
while (($#)); do
  case "$1" in
    --instances) instances=$2; shift ;;
    --scenarios) scenarios=$2; shift ;;
    --duration) duration=$2; shift ;;
    --connections) connections=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see bench/scale-out.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\n== %s\n' "$*"; }
source "$root/build/postgres.sh"

work=""; pids=(); haproxy_pid=""
stop_all() {
  for pid in "${pids[@]}" $haproxy_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}" $haproxy_pid; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  pids=(); haproxy_pid=""
}
cleanup() { stop_all; pg_stop; [[ -n "$work" ]] && rm -rf "$work"; return 0; }
trap cleanup EXIT

for package in haproxy postgresql; do
  command -v haproxy >/dev/null && [[ $package == haproxy ]] && continue
  [[ $package == postgresql && -x "$(pg_bin)/initdb" ]] && continue
  log "installing $package (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
done

if ((build)); then
  log "building Release (server, load generator) into bench/.artifacts"
  dotnet build src/Carevault.Server/Carevault.Server.csproj -c Release --artifacts-path "$artifacts" -nologo -v q
  dotnet build bench/Carevault.LoadGen/Carevault.LoadGen.csproj -c Release --artifacts-path "$artifacts" -nologo -v q
fi
server="$artifacts/bin/Carevault.Server/release/carevault"
loadgen="$artifacts/bin/Carevault.LoadGen/release/Carevault.LoadGen.dll"

work=$(mktemp -d /tmp/carevault-scale.XXXXXX)
data=$work/data
pg_start carevault-scale-pg
export CAREVAULT_DATABASE=$PG_CONNECTION
# The limiter protects a server from one caller; here one client is the whole load, by design. Its buckets are also
# per process, so N instances would allow N times the configured rate (docs/performance.md, scale-out).
export CAREVAULT_RATELIMITS__ENABLED=false
log "PostgreSQL on 127.0.0.1:$PG_PORT; tenant 'bench' and client 'bench'"
"$server" tenants create bench --name "Benchmark Hospital" --data-dir "$data" >"$work/cli.log" 2>&1
"$server" clients create --tenant bench --name bench --scopes "system/*.cruds" --data-dir "$data" >"$work/client.txt" 2>>"$work/cli.log"
client_id=$(awk '/^client_id:/ {print $2}' "$work/client.txt")
client_secret=$(awk '/^client_secret:/ {print $2}' "$work/client.txt")
[[ -n "$client_id" && -n "$client_secret" ]] || { cat "$work/cli.log" "$work/client.txt" >&2; exit 1; }

start_cluster() {
  local n=$1 i port
  local cfg=$work/haproxy.cfg
  lb_port=$(free_port)
  {
    echo "global"
    echo "  maxconn 4096"
    echo "defaults"
    echo "  mode http"
    echo "  timeout connect 5s"
    echo "  timeout client 60s"
    echo "  timeout server 60s"
    echo "frontend carevault"
    echo "  bind 127.0.0.1:$lb_port"
    echo "  default_backend servers"
    echo "backend servers"
    echo "  balance roundrobin"
    echo "  http-reuse always"
    echo "  option forwardfor"
  } >"$cfg"
  # One issuer for every instance: the address clients use (a token from one instance is valid on the others).
  export CAREVAULT_PUBLICURL="http://127.0.0.1:$lb_port" CAREVAULT_PROXY__KNOWNPROXIES__0=127.0.0.1
  for i in $(seq "$n"); do
    port=$(free_port)
    "$server" serve --urls "http://127.0.0.1:$port" --data-dir "$data" >"$work/server-$n-$i.log" 2>&1 &
    pids+=($!)
    echo "  server s$i 127.0.0.1:$port" >>"$cfg"
    for _ in $(seq 600); do grep -q "Carevault is listening" "$work/server-$n-$i.log" && break; sleep 0.1; done
    grep -q "Carevault is listening" "$work/server-$n-$i.log" || { tail -20 "$work/server-$n-$i.log" >&2; exit 1; }
  done
  haproxy -f "$cfg" -db >"$work/haproxy-$n.log" 2>&1 &
  haproxy_pid=$!
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$lb_port/health/live" >/dev/null 2>&1 && break; sleep 0.1; done
}

mkdir -p "$bench/results"
rows=()
largest=0
for n in $instances; do
  ((n > largest)) && largest=$n
  log "$n instance(s) behind haproxy"
  start_cluster "$n"
  dotnet "$loadgen" --base-url "http://127.0.0.1:$lb_port" --client-id "$client_id" --client-secret "$client_secret" \
    --scenarios "$scenarios" --connections "$connections" --duration "$duration" --warmup "$warmup" --cold-start-runs 0 \
    --log-dir "$work" --out-json "$work/scale-$n.json" --out-md "$work/scale-$n.md" \
    --meta "instances=$n" --meta "load average at start=$(cut -d' ' -f1-3 /proc/loadavg)" >"$work/loadgen-$n.log" 2>&1 || true
  rows+=("$n")
  if [[ $n == "$largest" && $n == "${instances##* }" ]]; then
    log "jobs through the balancer: $jobs HL7 ORU uploads over $n instance(s)"
    CAREVAULT_LB="http://127.0.0.1:$lb_port" CLIENT_ID=$client_id CLIENT_SECRET=$client_secret JOBS=$jobs \
      /usr/bin/python3 "$bench/scale_jobs.py" >"$work/jobs.json"
  fi
  stop_all
  grep -E "req/s" "$work/loadgen-$n.log" || tail -5 "$work/loadgen-$n.log"
done

# One "completed" line per job across every process's log: no job was processed twice.
completed=$(cat "$work"/server-"$largest"-*.log | grep -o 'Ingestion job [0-9a-zA-Z_-]* completed' | sort | uniq -c | awk '{print $1}' | sort | uniq -c | tr '\n' ';')
per_instance=$(for f in "$work"/server-"$largest"-*.log; do grep -c 'Ingestion job .* completed' "$f" || true; done | tr '\n' ' ')
lease_lost=$(cat "$work"/server-"$largest"-*.log | grep -c 'lease lost' || true)

/usr/bin/python3 - "$work" "$instances" "$bench/results/scale-out" "$completed" "$per_instance" "$lease_lost" <<'EOF'
import json, sys, datetime
work, instances, out, completed, per_instance, lease_lost = sys.argv[1:7]
runs = []
for n in instances.split():
    try:
        result = json.load(open(f"{work}/scale-{n}.json"))
    except FileNotFoundError:
        continue
    for s in result.get("Load", []):
        runs.append({"instances": int(n), "name": s["Scenario"], "requestsPerSecond": s["RequestsPerSecond"], "p50Ms": s["LatencyP50Ms"],
                     "p95Ms": s["LatencyP95Ms"], "p99Ms": s["LatencyP99Ms"], "errors": s["Errors"], "loadAverage": f"{s['LoadAverageStart']}→{s['LoadAverageEnd']}"})
jobs = json.load(open(f"{work}/jobs.json")) if __import__("os").path.exists(f"{work}/jobs.json") else {}
jobs.update({"completedLinesPerJob(count:jobs)": completed, "completedPerInstance": per_instance.split(), "leaseLostLines": int(lease_lost or 0)})
doc = {"when": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), "runs": runs, "jobs": jobs}
json.dump(doc, open(out + ".json", "w"), indent=2)
with open(out + ".md", "w") as md:
    md.write(f"# Scale-out — {doc['when']}\n\n| instances | scenario | req/s | p50 ms | p95 ms | p99 ms | errors | load average |\n|---:|---|---:|---:|---:|---:|---:|---|\n")
    for r in runs:
        md.write(f"| {r['instances']} | {r['name']} | {r['requestsPerSecond']:,.0f} | {r['p50Ms']:.2f} | {r['p95Ms']:.2f} | {r['p99Ms']:.2f} | {r['errors']} | {r['loadAverage']} |\n")
    md.write("\nJobs: " + json.dumps(jobs) + "\n")
print(open(out + ".md").read())
EOF
