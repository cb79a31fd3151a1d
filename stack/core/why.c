/*
 * why.c - the text of each reason a frame leaves. See why.h.
 */
#include "core/why.h"

#include <stdio.h>

const char *
why_fmt(const struct why *w, char *buf, size_t len)
{
    uint32_t a = w->a, b = w->b, c = w->c;

    switch ((enum why_kind)w->kind) {
    case WHY_NONE: snprintf(buf, len, "(no reason recorded)"); break;
    case WHY_ARP_REQUEST:
        snprintf(buf, len, "ARP request: who has %u.%u.%u.%u (RFC 826)", a >> 24,
                 (a >> 16) & 255, (a >> 8) & 255, a & 255);
        break;
    case WHY_ARP_REPLY: snprintf(buf, len, "ARP reply (RFC 826)"); break;
    case WHY_ARP_ANNOUNCE:
        snprintf(buf, len, "gratuitous ARP: announcing our address (RFC 5227 3)");
        break;
    case WHY_ARP_RESOLVED:
        snprintf(buf, len,
                 "sent once ARP resolved the next hop (was queued, RFC 1122 2.3.2.2)");
        break;
    case WHY_ECHO_REPLY: snprintf(buf, len, "echo reply (RFC 792)"); break;
    case WHY_ECHO_REQUEST: snprintf(buf, len, "echo request (RFC 792)"); break;
    case WHY_ICMP_UNREACH:
        if (a == 3)
            snprintf(buf, len, "ICMP port unreachable (RFC 1122 3.2.2.1)");
        else if (a == 2)
            snprintf(buf, len, "ICMP protocol unreachable (RFC 1122 3.2.2.1)");
        else if (a == 4)
            snprintf(buf, len, "ICMP fragmentation needed (RFC 1191)");
        else
            snprintf(buf, len, "ICMP destination unreachable, code %u (RFC 792)", a);
        break;
    case WHY_ICMP_TIME_EXCEEDED:
        snprintf(buf, len, "ICMP time exceeded, code %u (RFC 792)", a);
        break;
    case WHY_UDP_DATA: snprintf(buf, len, "UDP: app sent %u bytes", a); break;
    case WHY_SYN: snprintf(buf, len, "SYN: active open (RFC 9293 3.5)"); break;
    case WHY_SYN_ACK: snprintf(buf, len, "SYN-ACK: passive open (RFC 9293 3.5)"); break;
    case WHY_SYN_ACK_COOKIE:
        snprintf(buf, len, "SYN-ACK: SYN cookie, queue full (RFC 4987 3.6)");
        break;
    case WHY_ACK: snprintf(buf, len, "ACK"); break;
    case WHY_ACK_SYN_ACK:
        snprintf(buf, len, "ACK: the peer's SYN-ACK, established (RFC 9293 3.5)");
        break;
    case WHY_ACK_DELAYED_2ND:
        snprintf(buf, len, "ACK: delayed, 2nd segment (RFC 1122 4.2.3.2)");
        break;
    case WHY_ACK_DELAYED_TIMER:
        snprintf(buf, len, "ACK: delayed ACK timer (RFC 1122 4.2.3.2)");
        break;
    case WHY_ACK_OOO:
        snprintf(buf, len, "ACK: duplicate, out-of-order data (RFC 5681 4.2)");
        break;
    case WHY_ACK_HOLE_FILLED:
        snprintf(buf, len, "ACK: at once, a hole filled (RFC 5681 4.2)");
        break;
    case WHY_ACK_FIN:
        snprintf(buf, len, "ACK: the peer's FIN (RFC 9293 3.10.7.4)");
        break;
    case WHY_ACK_PAWS:
        snprintf(buf, len, "ACK: old timestamp, segment dropped (RFC 7323 5.3 R1)");
        break;
    case WHY_ACK_OUT_OF_WINDOW:
        snprintf(buf, len, "ACK: segment outside the window (RFC 9293 3.10.7.4)");
        break;
    case WHY_ACK_UNSENT:
        snprintf(buf, len, "ACK: the peer acked data never sent (RFC 9293 3.10.7.4)");
        break;
    case WHY_CHALLENGE_ACK: snprintf(buf, len, "challenge ACK (RFC 5961 %u)", a); break;
    case WHY_WINDOW_UPDATE:
        if (a >= 1024 && a % 1024 == 0)
            snprintf(buf, len, "window update: app read %u KiB (RFC 1122 4.2.3.3)",
                     a / 1024);
        else
            snprintf(buf, len, "window update: app read %u bytes (RFC 1122 4.2.3.3)", a);
        break;
    case WHY_TIME_WAIT_ACK:
        snprintf(buf, len, "ACK in TIME-WAIT: the peer's FIN again (RFC 9293 3.10.7.4)");
        break;
    case WHY_DATA: snprintf(buf, len, "data: %u bytes", a); break;
    case WHY_DATA_APP: snprintf(buf, len, "data: app wrote %u bytes", a); break;
    case WHY_FIN_APP: snprintf(buf, len, "FIN: app closed (RFC 9293 3.10.4)"); break;
    case WHY_RETRANSMIT: snprintf(buf, len, "retransmission of %u bytes", a); break;
    case WHY_RTO:
        snprintf(buf, len,
                 "retransmission #%u after RTO %u ms (RFC 6298 5.5), cwnd %u MSS", a, b,
                 c);
        break;
    case WHY_FAST_RETRANSMIT:
        snprintf(buf, len, "fast retransmit after %u dup ACKs (RFC 5681 3.2)", a);
        break;
    case WHY_PARTIAL_ACK:
        snprintf(buf, len, "retransmission after a partial ACK (RFC 6582 3.2)");
        break;
    case WHY_SACK_RETRANSMIT:
        snprintf(buf, len, "SACK recovery retransmission (RFC 6675 4)");
        break;
    case WHY_TLP: snprintf(buf, len, "tail loss probe (RFC 8985 7)"); break;
    case WHY_ZERO_WINDOW_PROBE:
        snprintf(buf, len, "zero-window probe #%u (RFC 9293 3.8.6.1)", a);
        break;
    case WHY_PERSIST_FORCE:
        snprintf(buf, len,
                 "persist timer: small window, SWS override (RFC 1122 4.2.3.4)");
        break;
    case WHY_KEEPALIVE:
        snprintf(buf, len, "keep-alive probe #%u (RFC 1122 4.2.3.6)", a);
        break;
    case WHY_RST_NO_LISTENER:
        snprintf(buf, len, "RST: no listener on port %u (RFC 9293 3.10.7.1)", a);
        break;
    case WHY_RST_LISTEN_ACK:
        snprintf(buf, len,
                 "RST: an ACK to listening port %u, no connection (RFC 9293 3.10.7.2)",
                 a);
        break;
    case WHY_RST_BAD_ACK:
        snprintf(buf, len, "RST: unacceptable ACK (RFC 9293 3.10.7.3)");
        break;
    case WHY_RST_ABORT: snprintf(buf, len, "RST: app aborted (RFC 9293 3.10.5)"); break;
    case WHY_RST_OTHER: snprintf(buf, len, "RST"); break;
    case WHY_NKINDS:
    default: snprintf(buf, len, "(reason %u)", w->kind); break;
    }
    return buf;
}

int
why_fits_tcp(enum why_kind kind, int data, int syn)
{
    switch (kind) {
    case WHY_SYN:
    case WHY_SYN_ACK:
    case WHY_SYN_ACK_COOKIE: return syn;
    case WHY_RTO: return data || syn;
    case WHY_DATA:
    case WHY_DATA_APP:
    case WHY_FIN_APP:
    case WHY_RETRANSMIT:
    case WHY_FAST_RETRANSMIT:
    case WHY_PARTIAL_ACK:
    case WHY_SACK_RETRANSMIT:
    case WHY_TLP:
    case WHY_PERSIST_FORCE: return data && !syn;
    case WHY_ACK:
    case WHY_ACK_SYN_ACK:
    case WHY_ACK_DELAYED_2ND:
    case WHY_ACK_DELAYED_TIMER:
    case WHY_ACK_OOO:
    case WHY_ACK_HOLE_FILLED:
    case WHY_ACK_FIN:
    case WHY_ACK_UNSENT:
    case WHY_ACK_PAWS:
    case WHY_ACK_OUT_OF_WINDOW:
    case WHY_CHALLENGE_ACK:
    case WHY_WINDOW_UPDATE:
    case WHY_TIME_WAIT_ACK:
    case WHY_ZERO_WINDOW_PROBE:
    case WHY_KEEPALIVE: return !data && !syn;
    default: return 0;
    }
}
