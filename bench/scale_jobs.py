"""Uploads JOBS small synthetic HL7 ORU^R01 messages through the balancer at CAREVAULT_LB, waits for every job to
finish (180 s at most), and prints JSON: how many completed or failed, the throughput, and the DiagnosticReport
count (one per message when each job was processed once). Used by bench/scale-out.sh; loopback only."""
import base64
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base = os.environ["CAREVAULT_LB"]
if not urllib.parse.urlparse(base).hostname in ("127.0.0.1", "localhost"):
    sys.exit("CAREVAULT_LB must be a loopback address")
count = int(os.environ.get("JOBS", "300"))
run = str(int(time.time()))


def call(method, path, token=None, body=None, headers=None):
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


basic = base64.b64encode(f"{os.environ['CLIENT_ID']}:{os.environ['CLIENT_SECRET']}".encode()).decode()
_, issued = call("POST", "/oauth/token", body=b"grant_type=client_credentials",
                 headers={"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
token = issued["access_token"]


def message(i):
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    segments = [
        f"MSH|^~\\&|BENCHLAB|BENCH|CAREVAULT|BENCH|{stamp}||ORU^R01|SCALE{run}{i:06d}|P|2.5.1",
        f"PID|1||SC{run}{i:06d}^^^BENCH^MR||Scale^Test{i}||19800101|F",
        f"OBR|1||ORD{run}{i:06d}|2345-7^Glucose^LN|||{stamp}",
        f"OBX|1|NM|2345-7^Glucose^LN||{90 + i % 40}|mg/dL|70-99|{'H' if 90 + i % 40 > 99 else 'N'}|||F",
    ]
    return "\r".join(segments).encode() + b"\r"


def upload(i):
    _, job = call("POST", "/api/reports", token, message(i), {"Content-Type": "application/hl7-v2"})
    return job["jobId"]


started = time.monotonic()
with ThreadPoolExecutor(16) as pool:
    job_ids = list(pool.map(upload, range(count)))
accepted = time.monotonic() - started

pending = set(job_ids)
states = {}
deadline = time.monotonic() + 180
while pending and time.monotonic() < deadline:
    for job_id in list(pending):
        _, job = call("GET", f"/api/jobs/{job_id}", token)
        if job["status"] in ("completed", "failed", "dead-letter", "quarantined", "cancelled"):
            states[job_id] = job["status"]
            pending.discard(job_id)
    if pending:
        time.sleep(0.5)
finished = time.monotonic() - started

_, reports_all = call("GET", "/fhir/DiagnosticReport?_summary=count", token)
print(json.dumps({
    "uploaded": count,
    "completed": sum(1 for s in states.values() if s == "completed"),
    "other": {s: sum(1 for v in states.values() if v == s) for s in set(states.values()) if s != "completed"},
    "unfinishedAfter180s": len(pending),
    "acceptSeconds": round(accepted, 2),
    "allDoneSeconds": round(finished, 2),
    "jobsPerSecond": round(count / finished, 1),
    "diagnosticReports": reports_all.get("total"),
}))
