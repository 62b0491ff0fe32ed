"""The IVR's webhooks under gunicorn on PostgreSQL: latency per step, beside a bare Flask floor.

    python -m bench.ivr --calls 300 --concurrency 16 [--rate 100] [--waits 1] [--workers N]
                        [--worker-class sync|gthread] [--threads 1] [--warmup 20] [--rounds 6]
                        [--database bench_ivr] [--fresh] [--json]

Whole calls (dial; key the ID, PIN and token code; wait in the queue; hang up) are sent
as Twilio would, signed, by threads of this process to the desk served by gunicorn in processes
of its own, production-like: real argon2 costs, the local telephony adapter in place of Twilio's
REST API, rate limits off since one machine plays every caller. The same calls also go to the
floor (bench/ivr/floor.py): a bare Flask endpoint answering fixed TwiML under the same gunicorn
settings. Both are served at once and take turns, slice by slice (`--rounds`), so that other
work on a shared machine falls on both alike. Flat out by default; `--rate` paces requests open
loop and times each from when it fell due. Callers are seeded once in the database `bench_ivr`
and reused; `--fresh` remakes it.

Targets (issue 6), on a 2-core machine at 100 requests a second: every step that hashes nothing
answers within 25 ms at the 99th percentile and (issue 19) within 2x the floor's median; the PIN
step, which carries the argon2 cost on purpose, takes 20 to 60 ms (p50 at least 20, p99 at
most 60); each gunicorn worker holds under 150 MB resident after the run.
"""
