#!/usr/bin/env bash
# Server render time of two portal pages, measured from outside with curl over loopback (a note, not a test):
# the sign-in page (anonymous) and a patient's "My record" with N lab results, conditions and visits in the record.
#   bench/portal-render.sh http://127.0.0.1:8080 <bootstrap admin password> [requests] [lab results]
# Needs a server whose "system" tenant has the bootstrap administrator (a fresh data directory).
set -euo pipefail
base=$1; admin_password=$2; n=${3:-200}; labs=${4:-200}
jar=$(mktemp); pjar=$(mktemp); trap 'rm -f "$jar" "$pjar"' EXIT
json() { curl -sf -b "$1" -c "$1" -H 'Content-Type: application/json' -X "$2" "$base$3" -d "$4"; }

json "$jar" POST /api/auth/login "{\"tenant\":\"system\",\"username\":\"admin\",\"password\":\"$admin_password\"}" >/dev/null
json "$jar" PUT /api/admin/settings '{"allowPatientRegistration":true}' >/dev/null
# Registration creates the person's Patient and links it (fhirUser): the record below is filled into that Patient.
patient=$(json "$jar" POST /api/auth/register '{"tenant":"system","username":"bench.patient","password":"bench patient passphrase"}' | sed 's/.*"fhirUser":"Patient\/\([^"]*\)".*/\1/')
secret=$(json "$jar" POST /api/admin/clients '{"name":"bench","scopes":"system/*.cruds"}')
id=$(echo "$secret" | sed 's/.*"clientId":"\([^"]*\)".*/\1/'); sec=$(echo "$secret" | sed 's/.*"clientSecret":"\([^"]*\)".*/\1/')
token=$(curl -sf -u "$id:$sec" -d grant_type=client_credentials "$base/oauth/token" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
fhir() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/fhir+json' -X POST "$base/fhir/$1" -d "$2"; }
for i in $(seq 1 20); do fhir Condition "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/$patient\"},\"code\":{\"text\":\"Condition $i\"}}" >/dev/null; done
for i in $(seq 1 "$labs"); do
  fhir Observation "{\"resourceType\":\"Observation\",\"status\":\"final\",\"category\":[{\"coding\":[{\"code\":\"laboratory\"}]}],\"code\":{\"text\":\"Test $((i % 5))\"},\"subject\":{\"reference\":\"Patient/$patient\"},\"effectiveDateTime\":\"2024-01-$(printf %02d $((i % 28 + 1)))\",\"valueQuantity\":{\"value\":$((i % 9)).5,\"unit\":\"mmol/L\"},\"referenceRange\":[{\"low\":{\"value\":2},\"high\":{\"value\":7}}]}" >/dev/null
done

page=$(curl -s -c "$pjar" "$base/login")
csrf=$(echo "$page" | grep -o 'name="__RequestVerificationToken" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -s -b "$pjar" -c "$pjar" -o /dev/null "$base/login" --data-urlencode "__RequestVerificationToken=$csrf" -d _handler=sign-in \
  -d Input.Tenant=system -d Input.Username=bench.patient --data-urlencode "Input.Password=bench patient passphrase"

measure() { # name, cookie jar, path
  for _ in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null -b "$2" "$base$3"; done # warm-up
  for _ in $(seq 1 "$n"); do curl -s -o /dev/null -b "$2" -w '%{time_total}\n' "$base$3"; done | sort -n |
    awk -v name="$1" '{ t[NR] = $1 * 1000 } END { printf "%-28s n=%d  p50 %.1f ms  p95 %.1f ms  max %.1f ms\n", name, NR, t[int(NR*0.5)], t[int(NR*0.95)], t[NR] }'
}
measure "GET /health/live (baseline)" "$pjar" /health/live
measure "GET /login" "$pjar" /login
measure "GET /my-record ($labs labs)" "$pjar" /my-record
