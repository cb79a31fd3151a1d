/*
 * stats.h - per-module counters.
 *
 * Owns: the list of every counter the engine keeps. Each drop has its own
 * reason counter so that `ustat -s` (or SIGUSR1 to the daemon) answers
 * "where did my packet go?". The lists below are the single source: the struct, the
 * printer and the by-name lookup used by tests are all generated from them.
 */
#ifndef USTACK_CORE_STATS_H
#define USTACK_CORE_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_ETH(X)                                                           \
    X(rx_frames) X(rx_bytes) X(rx_runt) X(rx_too_long) X(rx_not_for_us) X(rx_unknown_type)   \
    X(rx_nobufs) X(tx_frames) X(tx_bytes) X(tx_dev_err) X(tx_nobufs)

#define STATS_ARP(X)                                                           \
    X(rx_packets) X(rx_bad_len) X(rx_bad_hw) X(rx_bad_op) X(rx_bad_sender)    \
    X(rx_requests) X(rx_replies) X(rx_not_for_us) X(tx_requests)              \
    X(tx_replies) X(tx_announces) X(resolved) X(resolve_failed)               \
    X(unresolved_drops) X(queue_full) X(evicted) X(expired)

#define STATS_IPV4(X)                                                          \
    X(rx_packets) X(rx_bad_len) X(rx_bad_version) X(rx_bad_ihl)               \
    X(rx_bad_total_len) X(rx_bad_cksum) X(rx_bad_frag) X(rx_bad_src)          \
    X(rx_not_for_us) X(rx_link_bcast) X(rx_unknown_proto) X(rx_fragments)                      \
    X(reass_ok) X(reass_dup) X(reass_overlap) X(reass_timeout)                \
    X(reass_too_big) X(reass_no_mem) X(tx_packets) X(tx_fragments) X(tx_loopback)            \
    X(tx_no_route) X(tx_nobufs) X(tx_too_big) X(tx_df_too_big)

#define STATS_ICMP(X)                                                          \
    X(rx_packets) X(rx_bad_len) X(rx_bad_cksum) X(rx_echo_requests)           \
    X(rx_echo_replies) X(rx_bcast_echo) X(rx_errors) X(rx_unknown_type)       \
    X(tx_echo_replies) X(tx_echo_requests) X(tx_unreach) X(tx_time_exceeded) \
    X(tx_rate_limited) X(tx_err_suppressed) X(tx_nobufs)

#define STATS_UDP(X)                                                           \
    X(rx_datagrams) X(rx_bad_len) X(rx_bad_cksum) X(rx_no_port)               \
    X(rx_queue_full) X(rx_no_mem) X(rx_delivered) X(rx_icmp_errors) X(tx_datagrams)        \
    X(tx_nobufs)

#define STATS_TCP(X)                                                           \
    X(rx_segments) X(rx_bad_len) X(rx_bad_doff) X(rx_bad_cksum) X(rx_bad_opt)  \
    X(rx_no_conn) X(rx_bcast) X(rx_out_of_window) X(rx_dupacks) X(rx_ooo)      \
    X(rx_ooo_dropped) X(rx_dup_data) X(rx_rst) X(rx_rst_challenged)           \
    X(rx_syn_challenged) X(rx_ack_challenged) X(rx_ack_unsent)                \
    X(rx_paws)                                                                \
    X(rx_syn_queue_full) X(rx_accept_queue_full) X(rx_icmp_soft) X(challenge_acks)            \
    X(challenge_limited) X(tx_segments) X(tx_data_bytes) X(tx_rst)            \
    X(tx_nobufs) X(rto_expired) X(fast_retransmits) X(retransmitted_segs)     \
    X(persist_probes) X(persist_timed_out) X(orphan_timed_out) X(fin_wait_2_timed_out) \
    X(keepalive_probes) X(delayed_acks) X(active_opens)     \
    X(passive_opens) X(established) X(aborted) X(timed_out) X(time_wait_reused)  \
    X(rx_icmp_short) X(rx_icmp_no_conn) X(rx_icmp_bad_seq) X(rx_icmp_pmtu_stale)   \
    X(rx_icmp_pmtu_handshake) X(pmtu_lowered) X(pmtu_clamped) X(pmtu_blackhole) X(pmtu_blackhole_undone)    \
    X(rx_sack_blocks) X(rx_sack_bad) X(rx_dsack) X(tx_sack_blocks) X(tx_dsack)       \
    X(sack_recoveries) X(sack_retransmits) X(sb_full) X(rack_lost) X(rack_reord)    \
    X(tlp_probes) X(tlp_recovered) X(tlp_spurious) X(sack_reneged) X(undo_dsack) X(undo_ts)   \
    X(syncookies_sent) X(syncookies_ok) X(syncookies_bad) X(syn_queue_timed_out)       \
    X(mem_refused) X(rx_ooo_ranges_full) X(time_wait_records) X(rx_time_wait)      \
    X(timer_visits)

/* module name, list */
#define STATS_MODULES(M)                                                       \
    M(eth, STATS_ETH) M(arp, STATS_ARP) M(ipv4, STATS_IPV4) M(icmp, STATS_ICMP) \
    M(udp, STATS_UDP) M(tcp, STATS_TCP)

#define STATS_FIELD_(name) uint64_t name;
#define STATS_STRUCT_(mod, LIST) struct { LIST(STATS_FIELD_) } mod;
struct stats {
    STATS_MODULES(STATS_STRUCT_)
};
#undef STATS_FIELD_
#undef STATS_STRUCT_

/* Value of "module.counter" (e.g. "ipv4.rx_bad_cksum"); -1 if no such name. */
int64_t stats_get(const struct stats *st, const char *name);
/* The name of the first drop counter (a counter of input dropped for a
 * reason: rx_bad_cksum, rx_no_port, ...) that is higher in after than in
 * before; NULL if none moved. */
const char *stats_first_drop(const struct stats *before, const struct stats *after);
/* One "module.counter value" line per non-zero counter. */
void stats_print(const struct stats *st, FILE *f);

#endif
