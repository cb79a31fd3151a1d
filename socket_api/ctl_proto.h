/*
 * ctl_proto.h - the control protocol between applications and ustackd.
 *
 * Owns: the messages that cross the "system-call boundary", their encoding
 * and a decoder that validates every field. One header, included by both
 * sides (socket_api/ and stack/daemon/). Described for humans in
 * docs/SOCKETS.md.
 *
 * Transport: a UNIX-domain SOCK_SEQPACKET connection to the daemon's
 * control socket (ustackd --ctl PATH; clients use $USTACK_CTL, else
 * CTL_DEFAULT_PATH). One message per packet, at most CTL_MSG_MAX bytes,
 * each a request answered by exactly one reply with the same seq.
 *
 * Every socket an application holds is a real file descriptor: one end of
 * a socketpair whose other end the daemon keeps (SOCK_SEQPACKET for UDP,
 * SOCK_STREAM for TCP). The daemon hands the application's end over in
 * the reply to CTL_SOCKET (SCM_RIGHTS). A request about a socket carries
 * that descriptor with it (SCM_RIGHTS); the daemon knows the socket by the
 * descriptor's inode, so a process can only name sockets it holds.
 * Datagram payload flows on the socketpair itself: application -> daemon
 * as plain writes (to the connected peer), daemon -> application as one
 * message per datagram with its source address in SCM_CREDENTIALS
 * (uid = IPv4 address, gid = port; see docs/SOCKETS.md). sendto() with an
 * address goes as CTL_SENDTO on the control connection.
 *
 * Wire format: every integer is in host byte order (both ends are on one
 * machine); fields are packed with no padding and read and written one by
 * one by ctl_encode/ctl_decode, never overlaid.
 *
 *   header (16 bytes): magic u16 'U''S' = 0x5553 | version u8 | type u8 |
 *                      len u32 (whole message) | seq u32 | status i32
 *   status: requests 0; replies >= 0 (a count or 0) or a negative errno.
 */
#ifndef USTACK_CTL_PROTO_H
#define USTACK_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC 0x5553
#define CTL_VERSION 2
#define CTL_HDR_LEN 16
#define CTL_DATA_MAX 65507                 /* the largest UDP payload */
#define CTL_MSG_MAX (CTL_HDR_LEN + 16 + CTL_DATA_MAX)
#define CTL_DEFAULT_PATH "/run/ustack/ctl.sock"
#define CTL_ENV "USTACK_CTL"
#define CTL_LIST_MAX 64                    /* entries in one CTL_LIST reply */

enum ctl_type {
    CTL_SOCKET = 1,   /* req: domain, type, protocol   rep: + fd */
    CTL_BIND,         /* req: + fd, addr, port */
    CTL_CONNECT,      /* req: + fd, addr, port, family (AF_UNSPEC dissolves) */
    CTL_LISTEN,       /* req: + fd, backlog (TCP; EOPNOTSUPP for UDP) */
    CTL_ACCEPT,       /* req: + fd   rep: + fd, addr, port (TCP) */
    CTL_SENDTO,       /* req: + fd, addr, port, flags, data   rep: status = bytes */
    CTL_GETSOCKNAME,  /* req: + fd   rep: addr, port */
    CTL_GETPEERNAME,  /* req: + fd   rep: addr, port */
    CTL_SETSOCKOPT,   /* req: + fd, level, name, value */
    CTL_GETSOCKOPT,   /* req: + fd, level, name   rep: value */
    CTL_SHUTDOWN,     /* req: + fd, how */
    CTL_LIST,         /* req: first (index)   rep: count entries + total */
    CTL_TCP_INFO,     /* req: + fd   rep: struct ctl_tcp_info (TCP_INFO) */
    CTL_SETSOCKOPT_STR, /* req: + fd, level, name, string value (TCP_CONGESTION) */
    CTL_GETSOCKOPT_STR, /* req: + fd, level, name   rep: level, name, string value */
    /* looking at the daemon (ustat, ustack-ctl); no descriptor */
    CTL_CONNS,        /* req: first (index)   rep: total + rows of ctl_conn_info */
    CTL_TEXT,         /* req: what, offset   rep: total + bytes of a text */
    CTL_FAULT,        /* req: settings as text   rep: a message, with any status */
    CTL_TYPE_MAX,
};

struct ctl_hdr {
    uint16_t magic;
    uint8_t version;
    uint8_t type;
    uint32_t len;
    uint32_t seq;
    int32_t status;
};

/* bodies, host order */
struct ctl_socket { int32_t domain, type, protocol; };
struct ctl_addr { uint32_t addr; uint16_t port; uint16_t family; };  /* bind, connect, names, accept */
struct ctl_listen { int32_t backlog; };
struct ctl_sendto { uint32_t addr; uint16_t port; uint16_t pad; int32_t flags; };
struct ctl_sockopt { int32_t level, name, value; };
/* An option whose value is a name (TCP_CONGESTION): at most 15 bytes and
 * a NUL, NUL-padded to CTL_OPT_STR_LEN bytes (one encoding per value). */
#define CTL_OPT_STR_LEN 16
struct ctl_sockopt_str { int32_t level, name; char value[CTL_OPT_STR_LEN]; };
struct ctl_shutdown { int32_t how; };
struct ctl_list_req { uint32_t first; };
/* CTL_TEXT: which text, and from which byte. The daemon writes the text
 * anew for each request; a long one is read page by page (a snapshot per
 * page). */
enum ctl_text_what {
    CTL_TEXT_COUNTERS = 1, /* every counter: engine, control socket, sockets, faults */
    CTL_TEXT_ARP,          /* the ARP cache, as ip neigh */
    CTL_TEXT_ROUTES,       /* the routes, as ip route */
    CTL_TEXT_FAULTS,       /* the fault settings and what each direction did */
    CTL_TEXT_WHAT_MAX,
};
struct ctl_text_req { uint32_t what, offset; };
#define CTL_TEXT_MAX 32768       /* bytes of text in one CTL_TEXT reply */
#define CTL_FAULT_SPEC_MAX 1024  /* a CTL_FAULT request's text */
#define CTL_FAULT_MSG_MAX 1024   /* a CTL_FAULT reply's message */

/* TCP_INFO: the connection's state and congestion figures (µs, bytes;
 * the library turns bytes into Linux's segments). Twenty-two u32. */
struct ctl_tcp_info {
    uint32_t state;      /* enum tcp_state (RFC 9293 names) */
    uint32_t rtt_us, rttvar_us, rto_us;
    uint32_t snd_mss, cwnd, ssthresh;
    uint32_t total_retrans; /* retransmissions, ever (tcp_info_lite) */
    uint32_t snd_wnd, rcv_wnd;
    uint32_t unacked, unsent;
    uint32_t ca_state;   /* Linux's TCP_CA_*: 0 open .. 4 loss */
    uint32_t backoff;    /* consecutive retransmission timeouts */
    uint32_t options;    /* Linux's TCPI_OPT_* bits */
    uint32_t snd_wscale, rcv_wscale;
    uint32_t rcv_mss, pmtu;
    uint32_t retrans, sacked, lost; /* bytes */
};
#define CTL_TCP_INFO_LEN 88

/* One row of the daemon's socket table (CTL_LIST). */
struct ctl_sock_info {
    uint32_t id;        /* daemon's socket number */
    int32_t owner_pid;  /* the process that created it */
    uint32_t owner_uid;
    uint8_t type;       /* SOCK_DGRAM / SOCK_STREAM */
    uint8_t state;      /* 0 idle, 1 bound, 2 connected, 3 listening */
    uint16_t lport, rport;
    uint16_t pad;
    uint32_t laddr, raddr;
    uint32_t rx_queued; /* bytes waiting for the application */
};
#define CTL_SOCK_INFO_LEN 32

/* One connection of the engine's tables (CTL_CONNS): every TCP state,
 * half-open connections on a SYN queue, TIME-WAIT records and orphans,
 * joined with the socket that holds it, if any. Thirty u32, in this
 * order. */
struct ctl_conn_info {
    uint32_t state;      /* enum tcp_state (RFC 9293) */
    uint32_t flags;      /* CTL_CONN_* */
    uint32_t laddr, raddr;
    uint32_t lport, rport;
    uint32_t sock_id;    /* the daemon's socket number (CTL_CONN_SOCK) */
    uint32_t owner_pid;  /* CTL_CONN_PID: the asker is root or the owner */
    uint32_t owner_uid;  /* CTL_CONN_SOCK */
    uint32_t recv_q, send_q; /* listener: accept queue and backlog */
    uint32_t timer;      /* 0 off, 1 on, 2 keepalive, 3 timewait, 4 persist */
    uint32_t timer_ms, timer_retries;
    uint32_t rtt_us, rttvar_us, rto_us; /* CTL_CONN_INFO from here on */
    uint32_t snd_mss, rcv_mss, cwnd, ssthresh; /* cwnd, ssthresh in bytes */
    uint32_t snd_wscale, rcv_wscale;
    uint32_t bytes_acked, bytes_received; /* mod 2^32 */
    uint32_t total_retrans; /* retransmission episodes */
    uint32_t snd_wnd, rcv_wnd, unacked, options;
};
#define CTL_CONN_INFO_LEN 120
#define CTL_CONNS_MAX 256 /* rows in one CTL_CONNS reply */
#define CTL_CONN_ORPHAN 0x01 /* no application holds it any more */
#define CTL_CONN_SOCK 0x02   /* a socket holds it: sock_id, owner_uid */
#define CTL_CONN_PID 0x04    /* owner_pid is shown */
#define CTL_CONN_INFO 0x08   /* a connection block: rtt_us .. options */
#define CTL_CONN_SYNQ 0x10   /* a SYN-queue entry (SYN-RECEIVED) */
#define CTL_CONN_TW 0x20     /* a TIME-WAIT record */

/* A decoded message. `data` points into the buffer that was decoded. */
struct ctl_msg {
    struct ctl_hdr h;
    union {
        struct ctl_socket socket;
        struct ctl_addr addr;
        struct ctl_listen listen;
        struct ctl_sendto sendto;
        struct ctl_sockopt sockopt;
        struct ctl_sockopt_str sockopt_str;
        struct ctl_shutdown shutdown;
        struct ctl_list_req list;
        struct ctl_text_req text;
        uint32_t total;  /* CTL_LIST, CTL_CONNS, CTL_TEXT reply: rows or bytes in all */
        struct ctl_tcp_info tcp_info;
    } u;
    const uint8_t *data; /* CTL_SENDTO payload; CTL_LIST, CTL_CONNS reply rows;
                            CTL_TEXT reply text; CTL_FAULT text */
    size_t data_len;
};

/* Which body a message of this type and direction has. */
enum ctl_dir { CTL_REQUEST, CTL_REPLY };

/* Encode m into buf. Returns bytes written, or -EMSGSIZE / -EINVAL. The
 * header's len is filled in; magic and version too. */
int ctl_encode(const struct ctl_msg *m, enum ctl_dir dir, uint8_t *buf, size_t cap);
/* Decode len bytes. 0, or -EBADMSG (bad magic, length, type, body size),
 * -EPROTONOSUPPORT (other version). Never reads past len. */
int ctl_decode(const uint8_t *buf, size_t len, enum ctl_dir dir, struct ctl_msg *m);
/* Encode/decode one socket-table row. */
void ctl_sock_info_put(uint8_t *b, const struct ctl_sock_info *si);
void ctl_sock_info_get(const uint8_t *b, struct ctl_sock_info *si);
/* Encode/decode one connection row (CTL_CONN_INFO_LEN bytes). */
void ctl_conn_info_put(uint8_t *b, const struct ctl_conn_info *ci);
void ctl_conn_info_get(const uint8_t *b, struct ctl_conn_info *ci);
const char *ctl_type_name(int type);

#endif
