#!/usr/bin/python3
"""ustack-plot - draw one TCP connection of a ustack event trace.

Owns: reading a trace written by `ustackd --trace FILE` (or the replay
tools' --trace; the schema is docs/TRACE.md) and drawing, as PNG and SVG:

  PREFIX-tseq   the time-sequence graph (Stevens style): each data segment
                a vertical bar from seq to seq+len at the time it left,
                retransmissions in red with a cross, the ACKs coming back
                as a step line, and the window's right edge (ACK + window)
  PREFIX-cwnd   cwnd, ssthresh and the bytes in flight over time, the time
                in fast recovery or after an RTO shaded
  PREFIX-rtt    the RTT samples, SRTT and the RTO over time

  build/ustack-plot TRACE [-o PREFIX] [--conn ID] [--dir send|recv] [--list]

The connection is the one that carried the most data unless --conn names
its id (the "c" of the trace; --list shows them). The direction of the
time-sequence graph is the one that carried more data unless --dir says:
"send" is ustack's data and the peer's ACKs, "recv" the peer's data and
ustack's ACKs. cwnd, ssthresh, flight and RTT are always ustack's (the
engine knows only its own).

Prints one JSON line saying what it drew: the connection, the files, and
the ranges it used (time in the trace's microseconds and relative to the
connection's first event, sequence numbers relative to the ISN), so that a
test can check them against the trace. Exit 0, 1 when there is nothing to
draw, 2 on a usage error or an unreadable trace.

Leaves out: SACK blocks are not drawn (they are in the trace); ssthresh
is not drawn while it is "infinite" (RFC 5681 §3.1's arbitrarily high
initial value, 2^31 - 1 here).
"""
import argparse
import json
import os
import sys

SSTHRESH_INF = 1 << 30  # above this ssthresh is the initial "infinite" one
MARGIN = 0.03  # space around the data on each axis, as a fraction


def fail(msg, code=2):
    print("ustack-plot: " + msg, file=sys.stderr)
    sys.exit(code)


def read_trace(path):
    """The events of a trace; lines that are not JSON objects are skipped
    (a trace cut short by a crash ends with half a line) and counted."""
    events, bad = [], 0
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    e = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(e, dict) and isinstance(e.get("t"), int) and "ev" in e:
                    events.append(e)
                else:
                    bad += 1
    except OSError as err:
        fail("cannot read %s: %s" % (path, err.strerror))
    if bad:
        print("ustack-plot: %s: skipped %d line(s) that are not trace events" % (path, bad),
              file=sys.stderr)
    return events


# The fields each kind of event must have (as integers) to be drawn.
NEEDS = {"send": ("seq", "len", "wnd"), "recv": ("seq", "len", "wnd"),
         "cc": ("cwnd", "ssthresh", "flight", "srtt_us", "rto_us"),
         "rtt": ("sample_us", "srtt_us", "rto_us")}


def well_formed(e):
    if not isinstance(e.get("c"), int) or not isinstance(e.get("remote"), str):
        return False
    if e["ev"] in ("send", "recv"):
        if not isinstance(e.get("flags"), str):
            return False
        if "ack" in e and not isinstance(e["ack"], int):
            return False
    return all(isinstance(e.get(f), int) and not isinstance(e.get(f), bool)
               for f in NEEDS.get(e["ev"], ()))


def connections(events):
    """id -> {"local", "remote", "sent", "rcvd", "events"}; id 0 (not
    followed) and listeners (no remote port) are left out."""
    conns, bad = {}, 0
    for e in events:
        if not well_formed(e):
            bad += 1
            continue
        c = e["c"]
        if c == 0 or e["remote"].endswith(":0"):
            continue
        k = conns.setdefault(c, {"local": e.get("local"), "remote": e.get("remote"),
                                 "sent": 0, "rcvd": 0, "events": []})
        k["events"].append(e)
        n = e.get("len", 0)
        if e["ev"] == "send":
            k["sent"] += n
        elif e["ev"] == "recv":
            k["rcvd"] += n
    if bad:
        print("ustack-plot: skipped %d event(s) without the fields they need" % bad,
              file=sys.stderr)
    return conns


def span(lo, hi):
    """Axis limits around [lo, hi] with a margin; a single value gets one too."""
    d = (hi - lo) * MARGIN if hi > lo else max(abs(hi) * MARGIN, 1.0)
    return lo - d, hi + d


def time_unit(span_us):
    return ("ms", 1e3) if span_us < 2e6 else ("s", 1e6)


def series_tseq(evs, direction, t0, div):
    """Bars, retransmitted bars, ACK steps and window edges of one direction."""
    data_ev, ack_ev = ("send", "recv") if direction == "send" else ("recv", "send")
    bars, rbars, acks, edges, sacks = [], [], [], [], []
    for e in evs:
        x = (e["t"] - t0) / div
        if e["ev"] == data_ev and e["len"] > 0:
            (rbars if e.get("rexmit") else bars).append((x, e["seq"], e["seq"] + e["len"]))
        elif e["ev"] == ack_ev and "ack" in e and "S" not in e["flags"]:
            acks.append((x, e["ack"]))
            edges.append((x, e["ack"] + e["wnd"]))
            opts = e.get("opts") if isinstance(e.get("opts"), dict) else {}
            for b in opts.get("sack", []) if isinstance(opts.get("sack"), list) else []:
                if isinstance(b, list) and len(b) == 2 and all(isinstance(v, int) for v in b):
                    sacks.append((x, b[0], b[1]))
    return bars, rbars, acks, edges, sacks


def steps(ax, pts, **kw):
    if pts:
        ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", **kw)


def save(fig, prefix, name, files):
    for ext in ("png", "svg"):
        path = "%s-%s.%s" % (prefix, name, ext)
        if ext == "png":
            fig.savefig(path, dpi=110)
        else:  # no date in it: the same trace gives the same file
            fig.savefig(path, metadata={"Date": None})
        files.append(path)


def title_of(k, cid):
    return "connection %d: %s \u2192 %s" % (cid, k["local"], k["remote"])


def plot_tseq(plt, k, cid, direction, t0, t_end, unit, div, prefix, files):
    bars, rbars, acks, edges, sacks = series_tseq(k["events"], direction, t0, div)
    fig, ax = plt.subplots(figsize=(10, 6))
    if bars:
        ax.vlines([b[0] for b in bars], [b[1] for b in bars], [b[2] for b in bars],
                  colors="tab:blue", linewidth=1.5, label="data segment (seq..seq+len)")
        # a tick where each segment begins: a burst sent at one instant
        # is one line, its segments told apart by the ticks
        ax.plot([b[0] for b in bars], [b[1] for b in bars], "_", color="tab:blue",
                markersize=7)
    if sacks:
        ax.vlines([b[0] for b in sacks], [b[1] for b in sacks], [b[2] for b in sacks],
                  colors="tab:purple", linewidth=4, alpha=0.35, label="SACK block")
    if rbars:
        ax.vlines([b[0] for b in rbars], [b[1] for b in rbars], [b[2] for b in rbars],
                  colors="tab:red", linewidth=2.5)
        ax.plot([b[0] for b in rbars], [b[2] for b in rbars], "x", color="tab:red",
                markersize=9, markeredgewidth=2, label="retransmission")
    steps(ax, acks, color="tab:green", linewidth=1.2, label="ACK received"
          if direction == "send" else "ACK sent")
    ys = [b[1] for b in bars + rbars] + [b[2] for b in bars + rbars] + [a[1] for a in acks]
    seq_lo, seq_hi = (min(ys), max(ys)) if ys else (0, 1)
    # the window edge is drawn to scale when it stays near the data;
    # a window much wider than the transfer would squash the data flat
    top = max([e[1] for e in edges], default=seq_hi)
    show_hi = max(top, seq_hi) if top - seq_hi <= (seq_hi - seq_lo) / 2 else seq_hi
    label = "window edge (ACK + window)"
    if show_hi < top:
        label += ", up to %d: above the graph" % top
    steps(ax, edges, color="tab:orange", linewidth=1, linestyle="--", label=label)
    ax.set_xlim(*span(0, (t_end - t0) / div))
    ax.set_ylim(*span(seq_lo, show_hi))
    who = "ustack's data, the peer's ACKs" if direction == "send" else \
        "the peer's data, ustack's ACKs"
    ax.set_title("Time-sequence graph (%s)\n%s" % (who, title_of(k, cid)))
    ax.set_xlabel("time since the connection's first event (%s)" % unit)
    ax.set_ylabel("relative sequence number (bytes)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)  # data climbs from lower left
    fig.tight_layout()
    save(fig, prefix, "tseq", files)
    plt.close(fig)
    return {"seq": [seq_lo, seq_hi], "window_edge_max": top, "ylim": list(ax.get_ylim()),
            "segments": len(bars) + len(rbars), "retransmissions": len(rbars)}


def shade_recovery(ax, x, cc, x_end):
    """Shade the time in fast recovery and after a timeout ("ca" of the
    cc events), once in the legend for each."""
    looks = {"recovery": ("tab:orange", "fast recovery"),
             "loss": ("tab:red", "loss (after an RTO)")}
    seen, start, state = set(), None, None
    for xi, e in list(zip(x, cc)) + [(x_end, {"ca": "open"})]:
        ca = e.get("ca")
        if ca == state:
            continue
        if state in looks:
            color, label = looks[state]
            ax.axvspan(start, xi, color=color, alpha=0.12,
                       label=None if state in seen else label)
            seen.add(state)
        start, state = xi, ca


def plot_cwnd(plt, k, cid, t0, t_end, unit, div, prefix, files):
    cc = [e for e in k["events"] if e["ev"] == "cc"]
    fig, ax = plt.subplots(figsize=(10, 5))
    x = [(e["t"] - t0) / div for e in cc]
    if cc:
        steps(ax, list(zip(x, [e["cwnd"] for e in cc])), color="tab:blue", label="cwnd")
        ss = [(xi, e["ssthresh"]) for xi, e in zip(x, cc) if e["ssthresh"] < SSTHRESH_INF]
        steps(ax, ss, color="tab:red", linestyle="--", label="ssthresh")
        if len(ss) < len(cc):  # a legend line for the part not drawn
            ax.plot([], [], " ", label="ssthresh while initial (infinite): not drawn")
        steps(ax, list(zip(x, [e["flight"] for e in cc])), color="tab:gray",
              label="bytes in flight")
        shade_recovery(ax, x, cc, (t_end - t0) / div)
    ax.set_xlim(*span(0, (t_end - t0) / div))
    ax.set_ylim(bottom=0)
    ax.set_title("Congestion window (ustack's side)\n" + title_of(k, cid))
    ax.set_xlabel("time since the connection's first event (%s)" % unit)
    ax.set_ylabel("bytes")
    ax.grid(True, alpha=0.3)
    if cc:
        ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    save(fig, prefix, "cwnd", files)
    plt.close(fig)
    return {"cc_events": len(cc)}


def plot_rtt(plt, k, cid, t0, t_end, unit, div, prefix, files):
    evs = [e for e in k["events"] if e["ev"] in ("rtt", "cc")]
    samples = [((e["t"] - t0) / div, e["sample_us"] / 1e3) for e in evs if e["ev"] == "rtt"]
    srtt = [((e["t"] - t0) / div, e["srtt_us"] / 1e3) for e in evs if e["srtt_us"]]
    rto = [((e["t"] - t0) / div, e["rto_us"] / 1e3) for e in evs if e["rto_us"]]
    fig, ax = plt.subplots(figsize=(10, 5))
    if samples:
        ax.plot([p[0] for p in samples], [p[1] for p in samples], "o", color="tab:blue",
                markersize=4, label="RTT sample")
    steps(ax, srtt, color="tab:green", label="SRTT")
    steps(ax, rto, color="tab:red", linestyle="--", label="RTO")
    ax.set_xlim(*span(0, (t_end - t0) / div))
    ax.set_yscale("log")
    ax.set_title("Round-trip time (ustack's side; log scale)\n" + title_of(k, cid))
    ax.set_xlabel("time since the connection's first event (%s)" % unit)
    ax.set_ylabel("milliseconds")
    ax.grid(True, which="both", alpha=0.3)
    if samples or srtt or rto:
        ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    save(fig, prefix, "rtt", files)
    plt.close(fig)
    return {"rtt_samples": len(samples)}


def main():
    ap = argparse.ArgumentParser(
        prog="ustack-plot",
        description="Draw one TCP connection of a ustack trace (docs/TRACE.md) "
                    "as PNG and SVG: PREFIX-tseq, PREFIX-cwnd, PREFIX-rtt.")
    ap.add_argument("trace", help="trace file (ustackd --trace FILE)")
    ap.add_argument("-o", "--output", metavar="PREFIX",
                    help="output prefix (default: the trace's name without .jsonl)")
    ap.add_argument("--conn", type=int, metavar="ID",
                    help="connection id (\"c\" in the trace; default: most data)")
    ap.add_argument("--dir", choices=("send", "recv"),
                    help="time-sequence graph of ustack's data (send) or the peer's "
                         "(recv); default: the direction with more data")
    ap.add_argument("--list", action="store_true", help="list the connections and exit")
    args = ap.parse_args()

    conns = connections(read_trace(args.trace))
    if args.list:
        for cid in sorted(conns):
            k = conns[cid]
            print("%d %s %s sent %d received %d events %d" % (
                cid, k["local"], k["remote"], k["sent"], k["rcvd"], len(k["events"])))
        return 0
    if not conns:
        fail("%s: no TCP connection in the trace" % args.trace, 1)
    if args.conn is not None:
        if args.conn not in conns:
            fail("%s: no connection %d (--list shows them)" % (args.trace, args.conn), 1)
        cid = args.conn
    else:
        cid = max(sorted(conns), key=lambda i: conns[i]["sent"] + conns[i]["rcvd"])
    k = conns[cid]
    direction = args.dir or ("send" if k["sent"] >= k["rcvd"] else "recv")
    prefix = args.output
    if not prefix:
        prefix = args.trace[:-6] if args.trace.endswith(".jsonl") else args.trace

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        fail("matplotlib is missing (Debian: apt-get install python3-matplotlib)")
    matplotlib.rcParams["svg.hashsalt"] = "ustack"  # the same trace, the same SVG

    t0 = min(e["t"] for e in k["events"])
    t_end = max(e["t"] for e in k["events"])
    unit, div = time_unit(t_end - t0)
    files = []
    out = {"conn": cid, "local": k["local"], "remote": k["remote"], "dir": direction,
           "t_us": [t0, t_end], "time_unit": unit}
    out.update(plot_tseq(plt, k, cid, direction, t0, t_end, unit, div, prefix, files))
    out.update(plot_cwnd(plt, k, cid, t0, t_end, unit, div, prefix, files))
    out.update(plot_rtt(plt, k, cid, t0, t_end, unit, div, prefix, files))
    out["files"] = files
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
