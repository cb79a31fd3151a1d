/*
 * tcp_ooo.c - out-of-order data, kept in the receive ring.
 *
 * Owns the ooo[] run list of struct tcp_pcb. A segment that arrives
 * beyond RCV.NXT (RFC 9293 §3.10.7.4 seventh: "segments with higher
 * beginning sequence numbers ... may be held") has already been trimmed
 * to the receive window by tcp_check_seq; its bytes go straight to their
 * own offset in the free space of the receive ring (ring_write_at), and
 * the list records which runs of sequence space are there: sorted, apart,
 * at most TCP_OOO_RANGES of them. Overlaps merge; nothing is allocated
 * per segment, and the memory a peer can pin is the window we offered
 * (smoltcp's assembler, lwIP's TCP_OOSEQ_MAX_BYTES). When the hole
 * fills, ring_commit holds the bytes that are now in order.
 *
 * The peer's FIN beyond a hole counts one unit of sequence space at the
 * end of its run (as it does in a SACK block); data past it is dropped.
 *
 * Leaves out: Linux's pruning of the queue under memory pressure (ours
 * costs nothing beyond the ring); reneging (RFC 2018 §8) is never needed.
 */
#include <string.h>

#include "proto/tcp.h"
#include "stack_var.h"

/* Insert [left, right) into the list, merging what it touches. Returns
 * 1 if it was all held already, 0 if added, -1 if the list is full. */
static int
tcp_ooo_add(struct tcp_pcb *c, tcp_seq left, tcp_seq right)
{
    unsigned i = 0, j;

    while (i < c->n_ooo && seq_lt(c->ooo[i].right, left))
        i++;
    if (i < c->n_ooo && seq_le(c->ooo[i].left, left) && seq_le(right, c->ooo[i].right))
        return 1;
    for (j = i; j < c->n_ooo && seq_le(c->ooo[j].left, right); j++)
        ; /* [i, j) touch the new run */
    if (i == j) {
        if (c->n_ooo == TCP_OOO_RANGES)
            return -1;
        memmove(&c->ooo[i + 1], &c->ooo[i], (c->n_ooo - i) * sizeof(c->ooo[0]));
        c->ooo[i] = (struct tcp_range){left, right};
        c->n_ooo++;
        return 0;
    }
    if (seq_lt(c->ooo[i].left, left))
        left = c->ooo[i].left;
    if (seq_gt(c->ooo[j - 1].right, right))
        right = c->ooo[j - 1].right;
    c->ooo[i] = (struct tcp_range){left, right};
    memmove(&c->ooo[i + 1], &c->ooo[j], (c->n_ooo - j) * sizeof(c->ooo[0]));
    c->n_ooo = (uint8_t)(c->n_ooo - (j - i - 1));
    return 0;
}

/* Cut [seq, seq + len) to what the ring can hold and what lies before a
 * FIN already known. Returns the length kept. */
static uint32_t
tcp_ooo_fit(const struct tcp_pcb *c, tcp_seq seq, uint32_t len)
{
    uint32_t off = seq - c->rcv_nxt;
    size_t space = ring_space(&c->rcv);

    if (off >= space)
        return 0;
    if (len > space - off)
        len = (uint32_t)(space - off);
    if (c->ooo_fin && seq_gt(seq + len, c->ooo_fin_seq))
        len = seq_gt(c->ooo_fin_seq, seq) ? c->ooo_fin_seq - seq : 0;
    return len;
}

void
tcp_ooo_insert(struct stack *s, struct tcp_pcb *c, tcp_seq seq, const uint8_t *data,
               uint32_t len, int fin)
{
    uint32_t fit = tcp_ooo_fit(c, seq, len);

    if (fit < len)
        fin = 0; /* cut: whatever came after is not here */
    if (fit == 0 && !fin) {
        s->stats.tcp.rx_ooo_dropped++;
        return;
    }
    tcp_seq end = seq + fit + (fin ? 1 : 0);
    /* storage in the ring up to its end: short of budget, the segment is
     * dropped (tcp.mem_refused) and comes again */
    if (fit &&
        tcp_ring_reserve(s, c, &c->rcv, c->rcv.len + (seq - c->rcv_nxt) + fit) < 0) {
        s->stats.tcp.rx_ooo_dropped++;
        return;
    }
    int held = tcp_ooo_add(c, seq, end);
    if (held < 0) {
        s->stats.tcp.rx_ooo_ranges_full++;
        s->stats.tcp.rx_ooo_dropped++;
        return;
    }
    if (held) { /* all of it held already: RFC 2883 §4 */
        tcp_sack_rcv_dup(s, c, seq, seq + fit);
        tcp_sack_rcv_note(c, seq);
        return;
    }
    ring_write_at(&c->rcv, seq - c->rcv_nxt, data, fit);
    if (fin) {
        c->ooo_fin = 1;
        c->ooo_fin_seq = seq + fit;
    }
    s->stats.tcp.rx_ooo++;
    tcp_sack_rcv_note(c, seq); /* RFC 2018 §4: its block goes first */
}

int
tcp_ooo_pull(struct tcp_pcb *c)
{
    while (c->n_ooo && seq_le(c->ooo[0].left, c->rcv_nxt)) {
        tcp_seq end = c->ooo[0].right;
        if (c->ooo_fin && seq_lt(c->ooo_fin_seq, end))
            end = c->ooo_fin_seq; /* the FIN is not a byte of the ring */
        if (seq_gt(end, c->rcv_nxt)) {
            ring_commit(&c->rcv, end - c->rcv_nxt);
            c->rcv_nxt = end;
        }
        c->n_ooo--;
        memmove(&c->ooo[0], &c->ooo[1], c->n_ooo * sizeof(c->ooo[0]));
    }
    if (c->ooo_fin && c->rcv_nxt == c->ooo_fin_seq) {
        c->ooo_fin = 0;
        return 1;
    }
    return 0;
}

int
tcp_ooo_block(const struct tcp_pcb *c, tcp_seq seq, struct tcp_sack_block *b)
{
    for (unsigned i = 0; i < c->n_ooo; i++) {
        if (seq_le(c->ooo[i].left, seq) && seq_lt(seq, c->ooo[i].right)) {
            *b = (struct tcp_sack_block){c->ooo[i].left, c->ooo[i].right};
            return 1;
        }
    }
    return 0;
}

void
tcp_ooo_clear(struct tcp_pcb *c)
{
    c->n_ooo = 0;
    c->ooo_fin = 0;
}
