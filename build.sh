#!/usr/bin/env bash
# Carevault build and test entry point.
#   ./build.sh test    install what the tests need, start throwaway PostgreSQL, run every test on both backends
#   ./build.sh build   compile the solution (Release)
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

log() { printf '\n== %s\n' "$*"; }

install_packages() {
  local missing=()
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < build/apt-packages.txt
  # Node.js and npm (the S3 emulator): the machine's own when present — a Node install that bundles npm conflicts
  # with Debian's npm package — else Debian's.
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

source build/postgres.sh

start_postgres() {
  pg_start carevault-pg
  export CAREVAULT_TEST_POSTGRES=$PG_CONNECTION
  log "PostgreSQL started on 127.0.0.1:$PG_PORT"
}

summarize() {
  # One plain closing line summed over every test project's TRX file.
  python3 - "$1" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed")); failed += int(c.get("failed")) + int(c.get("error")) + int(c.get("timeout")) + int(c.get("aborted"))
    skipped += int(c.get("notExecuted"))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
}

cmd_build() { dotnet build Carevault.slnx -c Release -nologo -v q; }

cmd_test() {
  install_packages
  trap pg_stop EXIT
  start_postgres
  local results="$root/artifacts/test-results"
  rm -rf "$results"; mkdir -p "$results"
  log "installing npm test tools (s3rver, node-hl7-client, fhir-kit-client)"
  npm ci --prefix tests/Carevault.Storage.Tests/Blobs/s3rver --no-audit --no-fund --loglevel=error
  npm ci --prefix tests/Carevault.Mllp.Tests/node --no-audit --no-fund --loglevel=error
  npm ci --prefix tests/Carevault.Api.Tests/Fhir/fhirkit --no-audit --no-fund --loglevel=error
  log "building"
  dotnet build Carevault.slnx -c Release -nologo -v q
  log "testing (SQLite, and PostgreSQL at 127.0.0.1:$PG_PORT)"
  local rc=0
  dotnet test Carevault.slnx -c Release --no-build -nologo \
    --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" \
    -- RunConfiguration.TestSessionTimeout=3600000 || rc=$?
  summarize "$results"
  return $rc
}

case "${1:-test}" in
  test) cmd_test ;;
  build) cmd_build ;;
  *) echo "usage: ./build.sh [test|build]" >&2; exit 2 ;;
esac
