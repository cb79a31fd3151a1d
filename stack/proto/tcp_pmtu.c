/*
 * tcp_pmtu.c - ICMP errors for TCP, and path MTU discovery.
 *
 * Owns: what an ICMP error quoting one of our segments does to its
 * connection, and the connection's path MTU estimate (c->pmtu) with the
 * SND.MSS that follows from it.
 *
 *   RFC 5927 §4.1  an error is believed only if the sequence number it
 *                  quotes is in flight: SND.UNA <= SEG.SEQ < SND.MAX
 *   RFC 1122 §4.2.3.9  destination unreachable aborts a connection in
 *                  SYN_SENT; otherwise it is a soft error
 *   RFC 1191 §3    every TCP segment carries DF (tcp_ip_flags); on
 *                  "fragmentation needed" (type 3 code 4) the estimate drops
 *                  to the next-hop MTU, or (§5, §7) to the plateau below the
 *                  quoted datagram's length when the router reports 0
 *   RFC 9293 §3.7.1  SND.MSS = path MTU - 20 (IP) - 20 (TCP): our data
 *                  segments carry no TCP options; once they do (timestamps),
 *                  their length must come off in tcp_pmtu_mss
 *
 * A lower estimate resends what is in flight at once at the new size,
 * from SND.UNA, without waiting for the retransmission timer and without
 * touching cwnd or ssthresh: the segments were dropped for their size, not
 * for congestion (as Linux's tcp_simple_retransmit). An MTU at or above the
 * estimate is ignored; one below 576 is taken as 576 (MSS 536) and the
 * connection stops setting DF so that the router may fragment (as Linux,
 * which locks the route's MTU at ip_rt_min_pmtu and clears DF).
 *
 * Black holes (routers that drop big DF datagrams without telling, or
 * firewalls that drop the ICMP): after TCP_BLACKHOLE_RTOS consecutive
 * retransmission timeouts of a full-sized segment, SND.MSS drops to 1024
 * (Linux's tcp_base_mss), and on each further timeout to half, never
 * below 536. This is the effect of Linux's tcp_mtu_probing = 1. The
 * first delivery of a segment sent big before the fallback undoes it
 * (tcp_pmtu_delivered).
 *
 * Leaves out: raising the estimate again (RFC 1191 §6.3's timer, RFC 4821
 * probing), other ICMP errors than destination unreachable (time exceeded
 * and parameter problem are ignored; source quench too, RFC 6633).
 */
#include <errno.h>

#include "core/bytes.h"
#include "proto/ipv4.h"
#include "proto/tcp.h"
#include "stack_var.h"
#include "wire/addr.h"
#include "wire/icmp_hdr.h"
#include "wire/ipv4_hdr.h"
#include "wire/tcp_hdr.h"

/* RFC 1191 §7: the plateaus of common MTUs, highest first. */
static const uint16_t tcp_plateaus[] = {65535, 32000, 17914, 8166, 4352, 2002,
                                        1492,  1006,  508,   296,  68};

/* RFC 1191 §5: the largest plateau below a datagram of len bytes. */
static uint32_t
tcp_plateau_below(uint32_t len)
{
    for (size_t i = 0; i < sizeof(tcp_plateaus) / sizeof(tcp_plateaus[0]); i++)
        if (tcp_plateaus[i] < len)
            return tcp_plateaus[i];
    return 68;
}

/* RFC 9293 §3.7.1: the data a segment may carry on a path of mtu bytes. */
static uint16_t
tcp_pmtu_mss(uint32_t mtu)
{
    return (uint16_t)(mtu - IPV4_HDR_MIN - TCP_HDR_MIN);
}

unsigned
tcp_ip_flags(const struct tcp_pcb *c)
{
    return c->pmtu_no_df ? 0 : IPV4_OUT_DF;
}

static void
tcp_pmtu_log(struct stack *s, const struct tcp_pcb *c, const char *why)
{
    char l[IP_STR_LEN], r[IP_STR_LEN];

    SLOG(s, LOG_INFO, "tcp", "%s:%u %s:%u path MTU %u, MSS %u (%s)", ip_fmt(c->laddr, l),
         c->lport, ip_fmt(c->raddr, r), c->rport, c->pmtu, c->snd_mss, why);
}

/* The states that have data of ours in flight and a known SND.MSS. */
static int
tcp_pmtu_applies(const struct tcp_pcb *c)
{
    switch (c->state) {
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSE_WAIT:
    case TCP_CLOSING:
    case TCP_LAST_ACK: return 1;
    default: return 0;
    }
}

/* What was in flight went out too big: send it again now at the new
 * SND.MSS, from SND.UNA. cwnd and ssthresh stay (not congestion); Karn:
 * no RTT sample from what is sent twice. */
static void
tcp_pmtu_resend(struct stack *s, struct tcp_pcb *c)
{
    if (c->sb.seg) /* from the scoreboard, cut to the new size as they go */
        tcp_sb_all_lost(c);
    else
        c->snd_nxt = c->snd_una;
    c->rtt_timing = 0;
    c->retransmits++;
    tcp_output(s, c);
    if (tcp_flight(c))
        tcp_timer_rexmt_restart(s, c);
}

/* Lower SND.MSS to mss (and the estimate with it); returns 1 if it fell. */
static int
tcp_set_mss(struct tcp_pcb *c, uint16_t mss)
{
    if (mss + IPV4_HDR_MIN + TCP_HDR_MIN < c->pmtu)
        c->pmtu = (uint16_t)(mss + IPV4_HDR_MIN + TCP_HDR_MIN);
    if (mss >= c->snd_mss)
        return 0;
    c->snd_mss = mss;
    return 1;
}

/* RFC 1191 §3: a router says datagrams above mtu bytes do not pass. */
static void
tcp_pmtu_lower(struct stack *s, struct tcp_pcb *c, uint32_t mtu)
{
    c->bh_mss = 0; /* the router's word outweighs the black-hole guess */
    if (mtu < TCP_PMTU_MIN) {
        s->stats.tcp.pmtu_clamped++;
        mtu = TCP_PMTU_MIN;
        c->pmtu_no_df = 1;
    } else if (mtu >= c->pmtu) {
        s->stats.tcp.rx_icmp_pmtu_stale++; /* not news, or not true */
        return;
    }
    if (mtu >= c->pmtu)
        return;
    c->pmtu = (uint16_t)mtu;
    s->stats.tcp.pmtu_lowered++;
    int fell = tcp_set_mss(c, tcp_pmtu_mss(mtu));
    tcp_pmtu_log(s, c, "fragmentation needed");
    if (fell)
        tcp_pmtu_resend(s, c);
}

/* Type 3 code 4 for connection c; q quotes our datagram (ihl bytes of
 * header). The next-hop MTU, or RFC 1191 §5's plateau when it is 0. */
static void
tcp_icmp_needfrag(struct stack *s, struct tcp_pcb *c, const struct icmp_repr *r,
                  const uint8_t *q)
{
    uint32_t mtu = icmp_next_hop_mtu(r);

    /* a SYN or SYN,ACK is 44 bytes, below any MTU (68, RFC 791): such an
     * error cannot be true, and SND.MSS is not settled yet */
    if (!tcp_pmtu_applies(c)) {
        s->stats.tcp.rx_icmp_pmtu_handshake++;
        return;
    }
    if (mtu == 0)
        mtu = tcp_plateau_below(be16_get(q + 2));
    tcp_pmtu_lower(s, c, mtu);
}

/* Destination unreachable, other than fragmentation needed. */
static void
tcp_icmp_unreach(struct stack *s, struct tcp_pcb *c, uint8_t code)
{
    int err = code == ICMP_UNREACH_PORT || code == ICMP_UNREACH_PROTO ? ECONNREFUSED
                                                                      : EHOSTUNREACH;

    if (c->state == TCP_SYN_SENT) {
        tcp_drop(s, c, err);
        tcp_notify(s, c);
        tcp_reap(s);
    } else {
        /* a soft error: counted; the retransmission timer decides */
        s->stats.tcp.rx_icmp_soft++;
    }
}

static struct tcp_pcb *
tcp_icmp_lookup(struct stack *s, uint32_t src, uint16_t sport, uint32_t dst,
                uint16_t dport)
{
    return tcp_conn_find(s, src, sport, dst, dport);
}

void
tcp_icmp_error(struct stack *s, const struct icmp_repr *r, const uint8_t *q, size_t q_len)
{
    size_t ihl = (size_t)(q[0] & 0x0f) * 4;

    if (r->type != ICMP_DEST_UNREACH)
        return;
    /* RFC 792: the IP header and the first 8 bytes: ports and SEG.SEQ */
    if (q_len < ihl + 8) {
        s->stats.tcp.rx_icmp_short++;
        return;
    }
    uint32_t src = be32_get(q + 12), dst = be32_get(q + 16);
    uint16_t sport = be16_get(q + ihl), dport = be16_get(q + ihl + 2);
    tcp_seq seq = be32_get(q + ihl + 4);
    struct tcp_pcb *c = tcp_icmp_lookup(s, src, sport, dst, dport);
    if (!c) {
        s->stats.tcp.rx_icmp_no_conn++;
        return;
    }
    /* RFC 5927 §4.1: believe only errors quoting data in flight */
    if (seq_lt(seq, c->snd_una) || seq_ge(seq, c->snd_max)) {
        s->stats.tcp.rx_icmp_bad_seq++;
        return;
    }
    if (r->code == ICMP_UNREACH_NEEDFRAG)
        tcp_icmp_needfrag(s, c, r, q);
    else
        tcp_icmp_unreach(s, c, r->code);
    tcp_timer_sched(s, c);
}

/* The black-hole fallback: the next lower MSS to try. */
static uint16_t
tcp_blackhole_mss(uint16_t mss)
{
    uint16_t next = mss > TCP_BLACKHOLE_MSS ? TCP_BLACKHOLE_MSS : mss / 2;

    return next < TCP_MSS_MIN ? TCP_MSS_MIN : next;
}

void
tcp_pmtu_rto(struct stack *s, struct tcp_pcb *c)
{
    if (c->backoff < TCP_BLACKHOLE_RTOS || !tcp_pmtu_applies(c))
        return;
    /* only a full-sized segment can be too big for the path (the send
     * ring holds the bytes from SND.UNA on) */
    if (c->snd_mss <= TCP_MSS_MIN || c->snd.len < c->snd_mss)
        return;
    uint16_t mss = c->snd_mss, pmtu = c->pmtu;
    if (!tcp_set_mss(c, tcp_blackhole_mss(c->snd_mss)))
        return;
    if (!c->bh_mss) { /* the first step: remember where we came from */
        c->bh_mss = mss;
        c->bh_pmtu = pmtu;
        c->bh_tsval = c->ts_ok ? tcp_ts_now(s, c) : 0;
    }
    s->stats.tcp.pmtu_blackhole++;
    tcp_pmtu_log(s, c, "timeouts of a full-sized segment: a black hole?");
}

/* Random loss also makes three timeouts in a row (10% loss each way does,
 * every few seconds), and a wrong fallback would cost the connection two
 * thirds of its segment size for good. So the fallback is a guess that
 * the first delivery of a big segment proves wrong: a scoreboard record
 * longer than SND.MSS was only ever sent big (records are cut to the new
 * size when sent again); with timestamps, an ACK that echoes a TSval from
 * before the fallback answers a segment sent before it. (Linux probes its
 * way back up instead, RFC 4821; this needs no probe.) */
void
tcp_pmtu_delivered(struct stack *s, struct tcp_pcb *c, uint32_t len, uint32_t tsecr)
{
    if (!c->bh_mss)
        return;
    int big = len > c->snd_mss;
    int old_echo = c->ts_ok && tsecr && c->bh_tsval && (int32_t)(tsecr - c->bh_tsval) < 0;
    if (!big && !old_echo)
        return;
    c->snd_mss = c->bh_mss;
    c->pmtu = c->bh_pmtu;
    c->bh_mss = 0;
    s->stats.tcp.pmtu_blackhole_undone++;
    tcp_pmtu_log(s, c, "a big segment got through: no black hole");
}
