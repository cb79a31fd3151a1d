#!/usr/bin/python3
"""tests/replay/notes-input.py - the peer's side of the notes test, as a pcap.

Writes OUT: frames from the peer (10.0.0.1, 02:00:00:00:00:01) to ustack
(10.0.0.2) at fixed times, for tcp_scenario --replay with the scenario
tcp-close-us-first (accept, send 10 KiB, close). Each frame provokes one
reason the capture's notes must name:

  ARP request            -> ARP reply
  echo request           -> echo reply
  UDP to port 9          -> ICMP port unreachable
  SYN to port 81         -> RST: no listener on port 81
  IPv4, bad checksum     -> dropped: ipv4.rx_bad_cksum
  SYN, ACK on port 7     -> SYN-ACK passive open; then data nobody ACKs:
                            fast retransmit after 3 dup ACKs, then
                            retransmissions after RTO
  ACK of all, window 0   -> zero-window probes
  SYN in ESTABLISHED     -> challenge ACK (RFC 5961 4)
  data beyond the window -> ACK: segment outside the window, dropped

  notes-input.py OUT [ISN]

Without ISN only the frames up to the SYN are written (the first run
reads ustack's ISN from its SYN-ACK; the same input at the same times
gives the same ISN).
"""
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, wrpcap

PEER_MAC, US_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
PEER, US = "10.0.0.1", "10.0.0.2"
T0 = 1700000000.0


def eth(p):
    return Ether(src=PEER_MAC, dst=US_MAC) / p


def main():
    out = sys.argv[1]
    isn = int(sys.argv[2]) if len(sys.argv) > 2 else None
    frames = []

    def at(t, f):
        f.time = T0 + t
        frames.append(f)

    at(0.000, Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
       ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=US))
    at(0.010, eth(IP(src=PEER, dst=US) / ICMP(id=1, seq=1) / Raw(b"x" * 8)))
    at(0.020, eth(IP(src=PEER, dst=US) / UDP(sport=40000, dport=9) / Raw(b"hi")))
    at(0.030, eth(IP(src=PEER, dst=US) / TCP(sport=40001, dport=81, flags="S", seq=1)))
    bad = eth(IP(src=PEER, dst=US, chksum=0x1234) / UDP(sport=40002, dport=9))
    at(0.040, bad)
    syn = 1000
    at(1.000, eth(IP(src=PEER, dst=US) /
                  TCP(sport=40003, dport=7, flags="S", seq=syn, window=2920,
                      options=[("MSS", 1460)])))
    if isn is not None:
        def seg(t, flags, seq, ack, win, data=b""):
            p = TCP(sport=40003, dport=7, flags=flags, seq=seq, ack=ack, window=win)
            at(t, eth(IP(src=PEER, dst=US) / p / Raw(data)) if data else
               eth(IP(src=PEER, dst=US) / p))

        una = isn + 1
        seg(1.010, "A", syn + 1, una, 2920)            # established: 2 segments go
        for i in range(3):                              # 3 dup ACKs: fast retransmit
            seg(1.050 + i / 100, "A", syn + 1, una, 2920)
        seg(2.500, "A", syn + 1, una + 2920, 0)        # all acked, window shut
        seg(5.000, "S", syn + 1, 0, 2920)              # SYN: challenge ACK
        seg(5.100, "PA", syn + 1 + 100000, una + 2920, 0, b"z" * 10)  # not in window
        at(7.000, Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=US))  # the timers run to here
    wrpcap(out, frames)


if __name__ == "__main__":
    main()
