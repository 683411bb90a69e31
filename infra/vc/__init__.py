"""Video conference: `infra vc check`, the readiness of every endpoint before a meeting.

plan.py      inventory -> the endpoints to check (meeting, --limit, WAN link, bitrate)
checks.py    one endpoint: reachable, login, config, registered, test call, dscp, headroom
roomos.py    reading the codec's xAPI answers
quality.py   loss, jitter and the E-model MOS of the test call
probes.py    TCP, Prometheus (WAN link load and state), the mark observer interface
lab_marks.py the lab WAN hub's DSCP counters
session.py   the real codec session and probes, from the inventory
run.py       every endpoint in parallel, journal, metrics; report.py and metrics.py: output
"""
