#!/usr/bin/python3
"""trace_check.py - checks of TCP's event trace and of ustack-plot's output
for tests/replay/trace.sh.

Owns: reading a trace (docs/TRACE.md) the way a student's script would,
with no code shared with the engine or with ustack-plot, and asserting:

  trace_check.py schema TRACE
      every line is one JSON object with the fields its event must have,
      of the right types; time never goes back.
  trace_check.py scenario NAME TRACE SUMMARY
      what the capture NAME is known to hold: its connection's states in
      order, the handshake's relative numbers, a retransmission where the
      capture has one (as many as the scenario's summary line counts),
      as many segments each way as the engine counted (SUMMARY is the
      replay tool's output).
  trace_check.py plot TRACE PLOT_JSON PREFIX
      ustack-plot drew the connection with the most data, its six files
      exist and are real PNG and SVG files of some size, and the ranges
      it reports are the trace's own (time, sequence), computed here.

Prints TAP-style "ok - ..." / "not ok - ..." lines; exit 1 if any failed.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

failed = 0


def check(cond, what, detail=""):
    global failed
    if cond:
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - %s%s" % (what, (": " + detail) if detail else ""))


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


COMMON = {"t": int, "ev": str, "c": int, "local": str, "remote": str}
FIELDS = {
    "state": {"from": str, "to": str, "why": str},
    "send": {"flags": str, "seq": int, "win": int, "wnd": int, "len": int},
    "recv": {"flags": str, "seq": int, "win": int, "wnd": int, "len": int},
    "cc": {"cwnd": int, "ssthresh": int, "flight": int, "srtt_us": int,
           "rttvar_us": int, "rto_us": int, "ca": str},
    "rtt": {"sample_us": int, "srtt_us": int, "rttvar_us": int, "rto_us": int},
    "timer": {"timer": str, "op": str, "deadline": int},
    "queue": {"sndq": int, "rcvq": int},
    "app": {"op": str, "bytes": int, "sndq": int, "rcvq": int},
    "timewait": {"op": str, "deadline": int},
}
ENDPOINT = re.compile(r"^\d+\.\d+\.\d+\.\d+:\d+$")


def schema(path):
    bad, last_t, n = [], None, 0
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            n += 1
            try:
                e = json.loads(line)
            except ValueError:
                bad.append("line %d is not JSON" % i)
                continue
            want = dict(COMMON)
            want.update(FIELDS.get(e.get("ev"), {}))
            if e.get("ev") not in FIELDS:
                bad.append("line %d: unknown event %r" % (i, e.get("ev")))
            for k, ty in want.items():
                if not isinstance(e.get(k), ty) or isinstance(e.get(k), bool):
                    bad.append("line %d: %s missing or not %s" % (i, k, ty.__name__))
            for k in ("local", "remote"):
                if isinstance(e.get(k), str) and not ENDPOINT.match(e[k]):
                    bad.append("line %d: %s is %r" % (i, k, e[k]))
            if isinstance(e.get("t"), int):
                if last_t is not None and e["t"] < last_t:
                    bad.append("line %d: time goes back" % i)
                last_t = e["t"]
            if not line.endswith("\n"):
                bad.append("line %d has no newline" % i)
    check(n > 0 and not bad, "trace %s: %d events, each well formed"
          % (os.path.basename(path), n), "; ".join(bad[:5]))


def states_of(evs, cid):
    return [(e["from"], e["to"]) for e in evs if e["ev"] == "state" and e["c"] == cid]


def summary_counts(path):
    """tcp segments in N out N, retransmitted N from the replay tool."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"tcp segments in (\d+) out (\d+), retransmitted (\d+)", text)
    return tuple(int(x) for x in m.groups()) if m else None


def scenario(name, path, summary):
    evs = load(path)
    conns = sorted({e["c"] for e in evs if e["ev"] in ("send", "recv")})
    check(len(conns) == 1, "%s: one connection carries the segments" % name, str(conns))
    if not conns:
        return
    cid = conns[0]
    st = states_of(evs, cid)
    passive = [("CLOSED", "SYN_RECEIVED"), ("SYN_RECEIVED", "ESTABLISHED")]
    want = {
        "tcp-handshake": passive + [("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"),
                                    ("LAST_ACK", "CLOSED")],
        "tcp-close-us-first": passive + [("ESTABLISHED", "FIN_WAIT_1"),
                                         ("FIN_WAIT_1", "FIN_WAIT_2"),
                                         ("FIN_WAIT_2", "TIME_WAIT"),
                                         ("TIME_WAIT", "CLOSED")],
        "tcp-connect": [("CLOSED", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED"),
                        ("ESTABLISHED", "FIN_WAIT_1"), ("FIN_WAIT_1", "FIN_WAIT_2"),
                        ("FIN_WAIT_2", "TIME_WAIT"), ("TIME_WAIT", "CLOSED")],
    }.get(name, passive)
    check(st[:len(want)] == want, "%s: states in order" % name, str(st))

    segs = [e for e in evs if e["ev"] in ("send", "recv") and e["c"] == cid]
    syn = [e for e in segs if "S" in e["flags"]]
    check(all(e["seq"] == 0 and "isn" in e for e in syn) and len(syn) >= 2,
          "%s: each SYN is sequence 0 of its side, with its ISN" % name)
    first_ack = next((e for e in segs if "S" in e["flags"] and "A" in e["flags"]), None)
    check(first_ack is not None and first_ack.get("ack") == 1,
          "%s: the SYN,ACK acknowledges relative 1" % name)
    data = [e for e in segs if e["ev"] == "send" and e["len"] > 0]
    if data:
        check(data[0]["seq"] == 1, "%s: our first data byte is relative 1" % name,
              str(data[0]["seq"]))
    check(all("rel" not in e for e in segs), "%s: every sequence number relative" % name)

    counts = summary_counts(summary)
    check(counts is not None, "%s: the replay printed its counts" % name)
    if counts:
        rx, tx, rexmit = counts
        n_in = sum(1 for e in evs if e["ev"] == "recv")
        n_out = sum(1 for e in evs if e["ev"] == "send" and "R" not in e["flags"])
        check((n_in, n_out) == (rx, tx),
              "%s: a trace event for every segment in and out" % name,
              "trace %d in %d out, engine %d in %d out" % (n_in, n_out, rx, tx))
        marked = [e for e in segs if e["ev"] == "send" and e.get("rexmit")]
        check(len(marked) == rexmit, "%s: retransmissions marked: %d" % (name, rexmit),
              "trace marks %d" % len(marked))
        # a marked segment really was sent before: the trace agrees with itself
        sent = [(e["seq"], e["seq"] + e["len"]) for e in segs
                if e["ev"] == "send" and e["len"] > 0 and not e.get("rexmit")]
        again = all(any(a <= e["seq"] < b for a, b in sent) for e in marked)
        check(again, "%s: each retransmission repeats data sent before" % name)
    if name == "tcp-tail-loss":
        tlp = [i for i, e in enumerate(evs)
               if e["ev"] == "timer" and e["timer"] == "tlp" and e["op"] == "fired"]
        first_rx = next((i for i, e in enumerate(evs)
                         if e["ev"] == "send" and e.get("rexmit")), None)
        check(tlp and first_rx is not None and tlp[0] < first_rx,
              "tcp-tail-loss: the tail loss probe fires before the first retransmission")
        check(not any(e["ev"] == "timer" and e["timer"] == "rexmt" and e["op"] == "fired"
                      for e in evs), "tcp-tail-loss: no retransmission timeout fires")
    if name in ("tcp-sack-recovery",):
        check(any(e["ev"] == "cc" and e["ca"] == "recovery" for e in evs),
              "%s: the congestion state enters recovery" % name)
        check(any(e["ev"] == "recv" and e.get("opts", {}).get("sack") for e in evs),
              "%s: SACK blocks arrive" % name)
    if name == "tcp-zero-window":
        check(any(e["ev"] == "send" and e["wnd"] == 0 for e in evs),
              "tcp-zero-window: we advertise a zero window")
    if name == "tcp-transfer":
        rd = sum(e["bytes"] for e in evs if e["ev"] == "app" and e["op"] == "read")
        wr = sum(e["bytes"] for e in evs if e["ev"] == "app" and e["op"] == "write")
        check(rd == wr == 204800, "tcp-transfer: the echo reads and writes 200 KiB",
              "read %d wrote %d" % (rd, wr))


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def svg_ok(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return False
    return root.tag.endswith("svg") and len(list(root.iter())) > 50


def plot(trace, out_json, prefix):
    evs = load(trace)
    try:
        with open(out_json, encoding="utf-8") as f:
            got = json.loads(f.read().strip().splitlines()[-1])
    except (ValueError, IndexError, OSError) as err:
        check(False, "ustack-plot printed what it drew", str(err))
        return
    # the connection with the most data, and its extent, found here
    data = {}
    for e in evs:
        if e["ev"] in ("send", "recv") and not e["remote"].endswith(":0"):
            data[e["c"]] = data.get(e["c"], 0) + e["len"]
    cid = max(sorted(data), key=lambda c: data[c])
    check(got.get("conn") == cid, "ustack-plot picks the connection with most data (%d)" % cid,
          str(got.get("conn")))
    mine = [e for e in evs if e["c"] == cid]
    t_lo, t_hi = min(e["t"] for e in mine), max(e["t"] for e in mine)
    check(got.get("t_us") == [t_lo, t_hi], "ustack-plot's time range is the trace's",
          "%s vs %s" % (got.get("t_us"), [t_lo, t_hi]))
    sent = sum(e["len"] for e in mine if e["ev"] == "send")
    rcvd = sum(e["len"] for e in mine if e["ev"] == "recv")
    dir_ = "send" if sent >= rcvd else "recv"
    other = "recv" if dir_ == "send" else "send"
    ys = []
    for e in mine:
        if e["ev"] == dir_ and e["len"] > 0:
            ys += [e["seq"], e["seq"] + e["len"]]
        elif e["ev"] == other and "ack" in e and "S" not in e["flags"]:
            ys.append(e["ack"])
    check(got.get("seq") == [min(ys), max(ys)], "ustack-plot's sequence range is the trace's",
          "%s vs %s" % (got.get("seq"), [min(ys), max(ys)]))
    ylim = got.get("ylim", [0, 0])
    check(ylim[0] <= min(ys) and ylim[1] >= max(ys),
          "the time-sequence graph's axis holds every segment and ACK", str(ylim))
    n_data = sum(1 for e in mine if e["ev"] == dir_ and e["len"] > 0)
    n_re = sum(1 for e in mine if e["ev"] == dir_ and e["len"] > 0 and e.get("rexmit"))
    check(got.get("segments") == n_data and got.get("retransmissions") == n_re,
          "ustack-plot drew %d segments, %d retransmitted" % (n_data, n_re),
          "%s, %s" % (got.get("segments"), got.get("retransmissions")))
    files = ["%s-%s.%s" % (prefix, g, x) for g in ("tseq", "cwnd", "rtt") for x in ("png", "svg")]
    check(sorted(got.get("files", [])) == sorted(files), "ustack-plot names its six files")
    for p in files:
        size = os.path.getsize(p) if os.path.exists(p) else 0
        if p.endswith(".png"):
            check(size > 10000 and is_png(p), "%s is a PNG of some size" % os.path.basename(p),
                  "%d bytes" % size)
        else:
            check(size > 10000 and svg_ok(p), "%s is an SVG that parses" % os.path.basename(p),
                  "%d bytes" % size)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "schema":
        schema(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "scenario":
        scenario(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "plot":
        plot(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
