#!/usr/bin/env bash
# Builds the SQLite engine of the embedded database: SQLCipher's amalgamation (npm @commapp/sqlcipher-amalgamation,
# pinned in build/sqlcipher/package-lock.json) compiled against the system's OpenSSL libcrypto. The build of
# Carevault.Storage runs this when the library is missing; see docs/decisions/0019-encrypted-sqlite.md.
#   build/sqlcipher.sh OUTPUT.so
set -euo pipefail
out=${1:?usage: build/sqlcipher.sh OUTPUT.so}
here=$(cd "$(dirname "$0")" && pwd)

missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[[ -f /usr/include/openssl/evp.h ]] || missing+=(libssl-dev)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "build/sqlcipher.sh: the encrypted SQLite engine needs ${missing[*]} to build (Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi

source_file="$here/sqlcipher/node_modules/@commapp/sqlcipher-amalgamation/src/sqlite3.c"
if [[ ! -f "$source_file" ]]; then
  npm ci --prefix "$here/sqlcipher" --no-audit --no-fund --loglevel=error >&2
fi

mkdir -p "$(dirname "$out")"
tmp="$out.$$.tmp"
trap 'rm -f "$tmp"' EXIT
# SQLITE_HAS_CODEC + the OpenSSL provider make it SQLCipher; TEMP_STORE=2 keeps temporary tables and indexes in
# memory (never a plaintext temp file); the rest matches what the standard Microsoft.Data.Sqlite engine offers.
cc -O2 -fPIC -shared -o "$tmp" "$source_file" \
  -DSQLITE_HAS_CODEC -DSQLCIPHER_CRYPTO_OPENSSL -DSQLITE_TEMP_STORE=2 -DSQLITE_THREADSAFE=1 \
  -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_MATH_FUNCTIONS \
  -DSQLITE_ENABLE_SNAPSHOT -DSQLITE_ENABLE_UNLOCK_NOTIFY \
  -lcrypto -lpthread -lm
mv -f "$tmp" "$out"
trap - EXIT
echo "built $out" >&2
