/*
 * test_ctl.c - the control protocol codec (socket_api/ctl_proto.c):
 * every message type in both directions encoded and decoded back, the
 * known bytes of a header, every malformed message the decoder must
 * refuse (string option values included), encoding into a buffer too
 * small, the socket-table rows, and a seeded mutation loop over valid
 * messages (every buffer is a heap block of exactly the decoded length,
 * so AddressSanitizer sees any read past it).
 */
/* cmocka needs these before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl_proto.h"

#define MSG_BUF (CTL_MSG_MAX + CTL_LIST_MAX * CTL_SOCK_INFO_LEN)

static uint8_t payload[CTL_DATA_MAX + 1];
static uint8_t rows[(CTL_CONNS_MAX + 1) * CTL_CONN_INFO_LEN];
static uint8_t text[CTL_TEXT_MAX + 1]; /* letters: a CTL_FAULT text has no NUL */

static void
fill(uint8_t *b, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345;
        b[i] = (uint8_t)(x >> 16);
    }
}

static int
setup(void **state)
{
    (void)state;
    fill(payload, sizeof(payload), 1);
    fill(rows, sizeof(rows), 2);
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (uint8_t)('a' + i % 26);
    return 0;
}

/* A heap copy of exactly n bytes (at least one allocated). */
static uint8_t *
dup_n(const uint8_t *b, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);

    assert_non_null(d);
    if (n)
        memcpy(d, b, n);
    return d;
}

/* The fixed body bytes of each type and direction, from the table in
 * ctl_proto.h (SENDTO request and LIST reply have data after these). */
static size_t
body_len(int type, enum ctl_dir dir)
{
    int req = dir == CTL_REQUEST;

    switch (type) {
    case CTL_SOCKET: return req ? 12 : 0;
    case CTL_BIND:
    case CTL_CONNECT: return req ? 8 : 0;
    case CTL_LISTEN: return req ? 4 : 0;
    case CTL_ACCEPT:
    case CTL_GETSOCKNAME:
    case CTL_GETPEERNAME: return req ? 0 : 8;
    case CTL_SENDTO: return req ? 12 : 0;
    case CTL_SETSOCKOPT: return req ? 12 : 0;
    case CTL_GETSOCKOPT: return 12;
    case CTL_SHUTDOWN: return req ? 4 : 0;
    case CTL_LIST: return 4;
    case CTL_TCP_INFO: return req ? 0 : CTL_TCP_INFO_LEN;
    case CTL_SETSOCKOPT_STR: return req ? 8 + CTL_OPT_STR_LEN : 0;
    case CTL_GETSOCKOPT_STR: return req ? 8 : 8 + CTL_OPT_STR_LEN;
    case CTL_CONNS: return 4;
    case CTL_TEXT: return req ? 8 : 4;
    case CTL_FAULT: return 0;
    }
    fail_msg("no type %d", type);
    return 0;
}

/* Whether the type and direction carry data after the fixed body. */
static int
has_data(int type, enum ctl_dir dir)
{
    return (type == CTL_SENDTO && dir == CTL_REQUEST) ||
           ((type == CTL_LIST || type == CTL_CONNS || type == CTL_TEXT) &&
            dir == CTL_REPLY) ||
           type == CTL_FAULT;
}

/* Whether msg_make can make a valid message of n (data bytes or rows). */
static int
n_ok(int type, enum ctl_dir dir, size_t n)
{
    int req = dir == CTL_REQUEST;

    switch (type) {
    case CTL_SENDTO: return !req || n <= CTL_DATA_MAX;
    case CTL_LIST: return req || n <= CTL_LIST_MAX;
    case CTL_CONNS: return req || n <= CTL_CONNS_MAX;
    case CTL_TEXT: return req || n <= CTL_TEXT_MAX;
    case CTL_FAULT: return n >= (req ? 1u : 0u) && n <= CTL_FAULT_MSG_MAX;
    default: return 1;
    }
}

/* A valid message: only the fields its type and direction carry are set.
 * n is the SENDTO payload length or the number of LIST rows. */
static void
msg_make(struct ctl_msg *m, int type, enum ctl_dir dir, int32_t status, size_t n)
{
    int req = dir == CTL_REQUEST;

    memset(m, 0, sizeof(*m));
    m->h.type = (uint8_t)type;
    m->h.seq = 0x10000u + (uint32_t)type * 2 + (uint32_t)dir;
    m->h.status = req ? 0 : status;
    if (type == CTL_FAULT) { /* a message, whatever the status */
        m->data = text;
        m->data_len = n;
        return;
    }
    if (!req && status < 0)
        return;
    switch (type) {
    case CTL_SOCKET:
        if (req)
            m->u.socket = (struct ctl_socket){AF_INET, SOCK_DGRAM, IPPROTO_UDP};
        break;
    case CTL_BIND:
    case CTL_CONNECT:
        if (req)
            m->u.addr = (struct ctl_addr){0x0a000002, 5353, AF_INET};
        break;
    case CTL_LISTEN:
        if (req)
            m->u.listen.backlog = 128;
        break;
    case CTL_ACCEPT:
    case CTL_GETSOCKNAME:
    case CTL_GETPEERNAME:
        if (!req)
            m->u.addr = (struct ctl_addr){0x0a000001, 40000, AF_INET};
        break;
    case CTL_SENDTO:
        if (req) {
            m->u.sendto = (struct ctl_sendto){0x0a000001, 7, 0xbeef, MSG_DONTWAIT};
            m->data = payload;
            m->data_len = n;
        }
        break;
    case CTL_SETSOCKOPT:
        if (req)
            m->u.sockopt = (struct ctl_sockopt){SOL_SOCKET, SO_RCVBUF, 65536};
        break;
    case CTL_GETSOCKOPT:
        m->u.sockopt = (struct ctl_sockopt){SOL_SOCKET, SO_RCVBUF, req ? 0 : -131072};
        break;
    case CTL_SHUTDOWN:
        if (req)
            m->u.shutdown.how = SHUT_WR;
        break;
    case CTL_LIST:
        if (req) {
            m->u.list.first = 3;
        } else {
            m->u.total = 1000;
            m->data = rows;
            m->data_len = n * CTL_SOCK_INFO_LEN;
        }
        break;
    case CTL_TCP_INFO:
        if (!req)
            m->u.tcp_info = (struct ctl_tcp_info){
                4,     120,    60,   200000, 1460, 14600, 0x7fffffff, 3, 65535, 262144,
                2920,  0,      3,    1,      4,    7,     3,          1460, 1500, 1460,
                0x101, 0x10001};
        break;
    case CTL_SETSOCKOPT_STR:
        if (req)
            m->u.sockopt_str = (struct ctl_sockopt_str){IPPROTO_TCP, 13, "cubic"};
        break;
    case CTL_GETSOCKOPT_STR:
        m->u.sockopt_str = (struct ctl_sockopt_str){IPPROTO_TCP, 13, ""};
        if (!req)
            strcpy(m->u.sockopt_str.value, "reno");
        break;
    case CTL_CONNS:
        if (req) {
            m->u.list.first = 5;
        } else {
            m->u.total = 100000;
            m->data = rows;
            m->data_len = n * CTL_CONN_INFO_LEN;
        }
        break;
    case CTL_TEXT:
        if (req) {
            m->u.text = (struct ctl_text_req){CTL_TEXT_COUNTERS, 32768};
        } else {
            m->u.total = 70000;
            m->data = payload; /* any bytes */
            m->data_len = n;
        }
        break;
    default: fail_msg("no type %d", type);
    }
}

/* Bytes m encodes to. */
static size_t
msg_size(const struct ctl_msg *m, enum ctl_dir dir)
{
    if (dir == CTL_REPLY && m->h.status < 0)
        return CTL_HDR_LEN + (m->h.type == CTL_FAULT ? m->data_len : 0);
    return CTL_HDR_LEN + body_len(m->h.type, dir) + m->data_len;
}

static void
msg_equal(const struct ctl_msg *a, const struct ctl_msg *b)
{
    assert_int_equal(a->h.magic, b->h.magic);
    assert_int_equal(a->h.version, b->h.version);
    assert_int_equal(a->h.type, b->h.type);
    assert_int_equal(a->h.len, b->h.len);
    assert_int_equal(a->h.seq, b->h.seq);
    assert_int_equal(a->h.status, b->h.status);
    /* the union has no padding: every member is 4-byte fields or pairs
     * of 2-byte ones */
    assert_memory_equal(&a->u, &b->u, sizeof(a->u));
    assert_int_equal(a->data_len, b->data_len);
    if (a->data_len)
        assert_memory_equal(a->data, b->data, a->data_len);
}

/* Encode m; returns a heap block of exactly its size in *len. */
static uint8_t *
encode(const struct ctl_msg *m, enum ctl_dir dir, size_t *len)
{
    uint8_t *b = malloc(MSG_BUF);

    assert_non_null(b);
    int n = ctl_encode(m, dir, b, MSG_BUF);
    assert_int_equal(n, msg_size(m, dir));
    uint8_t *d = dup_n(b, (size_t)n);
    free(b);
    *len = (size_t)n;
    return d;
}

/* Set the header's len field (host order, offset 4). */
static void
set_len(uint8_t *b, uint32_t len)
{
    memcpy(b + 4, &len, 4);
}

/* Decode a heap copy of exactly n bytes at b. */
static int
decode_n(const uint8_t *b, size_t n, enum ctl_dir dir, struct ctl_msg *m)
{
    uint8_t *d = dup_n(b, n);
    int rc = ctl_decode(d, n, dir, m);

    free(d);
    return rc;
}

/* A message of type with status and a body of body_n bytes of junk, len
 * field right (the same bytes in either direction): built by hand, for
 * the decoder to judge. A body long enough to hold a string option's
 * value holds a good one ("cubic", NUL-padded): the junk is elsewhere.
 * Returns its length; b must hold CTL_HDR_LEN + body_n. */
static size_t
raw(uint8_t *b, int type, int32_t status, size_t body_n)
{
    struct ctl_msg m;

    msg_make(&m, CTL_ACCEPT, CTL_REQUEST, 0, 0); /* a header-only message */
    m.h.seq = 77;
    assert_int_equal(ctl_encode(&m, CTL_REQUEST, b, CTL_HDR_LEN), CTL_HDR_LEN);
    b[3] = (uint8_t)type;
    memcpy(b + 12, &status, 4);
    fill(b + CTL_HDR_LEN, body_n, (uint32_t)body_n);
    if (type == CTL_FAULT) /* text: no NUL */
        memset(b + CTL_HDR_LEN, 'x', body_n);
    if ((type == CTL_SETSOCKOPT_STR || type == CTL_GETSOCKOPT_STR) &&
        body_n >= 8 + CTL_OPT_STR_LEN) {
        memset(b + CTL_HDR_LEN + 8, 0, CTL_OPT_STR_LEN);
        memcpy(b + CTL_HDR_LEN + 8, "cubic", 5);
    }
    set_len(b, (uint32_t)(CTL_HDR_LEN + body_n));
    return CTL_HDR_LEN + body_n;
}

/* ---- round trips ---- */

/* Encode, check the header bytes, decode back; and every smaller buffer
 * is refused without a byte written past it. */
static void
round_trip(const struct ctl_msg *m, enum ctl_dir dir)
{
    size_t n;
    uint8_t *b = encode(m, dir, &n);
    uint16_t magic;
    uint32_t len, seq;
    int32_t status;

    memcpy(&magic, b, 2);
    memcpy(&len, b + 4, 4);
    memcpy(&seq, b + 8, 4);
    memcpy(&status, b + 12, 4);
    assert_int_equal(magic, CTL_MAGIC);
    assert_int_equal(b[2], CTL_VERSION);
    assert_int_equal(b[3], m->h.type);
    assert_int_equal(len, n);
    assert_int_equal(seq, m->h.seq);
    assert_int_equal(status, m->h.status);

    struct ctl_msg d, want = *m;
    want.h.magic = CTL_MAGIC;
    want.h.version = CTL_VERSION;
    want.h.len = (uint32_t)n;
    memset(&d, 0xa5, sizeof(d));
    assert_int_equal(ctl_decode(b, n, dir, &d), 0);
    msg_equal(&want, &d);
    if (d.data_len) /* data points into the decoded buffer, after the body */
        assert_ptr_equal(d.data, b + CTL_HDR_LEN + body_len(m->h.type, dir));

    /* too small: every size below for small messages, a few for big ones */
    for (size_t cap = 0; cap < n; cap++) {
        if (n > 4096 && cap > 32 && cap < n - 32)
            cap = n - 32;
        uint8_t *s = malloc(cap ? cap : 1);
        assert_non_null(s);
        if (ctl_encode(m, dir, s, cap) != -EMSGSIZE)
            fail_msg("type %d dir %d: %zu bytes into %zu not refused", m->h.type, dir, n,
                     cap);
        free(s);
    }
    free(b);
}

static void
test_ctl_round_trip_all(void **state)
{
    (void)state;
    struct ctl_msg m;
    int count = 0;

    for (int t = 1; t < CTL_TYPE_MAX; t++) {
        for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++) {
            const int32_t statuses[] = {0, 7, -ECONNREFUSED, -EINVAL};
            const size_t ns[] = {0, 1, 2, 100, CTL_LIST_MAX, CTL_DATA_MAX};
            for (size_t si = 0; si < (dir == CTL_REPLY ? 4u : 1u); si++) {
                size_t nn = has_data(t, dir) && statuses[si] >= 0 ? 6 : 1;
                for (size_t k = 0; k < nn; k++) {
                    size_t n = ns[k];
                    if (!n_ok(t, dir, n))
                        continue;
                    msg_make(&m, t, dir, statuses[si], n);
                    round_trip(&m, dir);
                    count++;
                }
            }
        }
    }
    /* every type x (1 request + 4 replies), and the extra data sizes:
     * SENDTO requests 5 more, LIST replies 3 more for each of 2 statuses,
     * CONNS and TEXT replies 4 more each for each of 2 statuses, FAULT
     * requests 3 more (not 0 bytes, not 65507) and FAULT replies 4 more
     * for each of 2 statuses */
    assert_int_equal(count, (CTL_TYPE_MAX - 1) * 5 + 5 + 2 * 3 + 2 * 2 * 4 + 3 + 2 * 4);
}

static void
test_ctl_encode_only_its_direction(void **state)
{
    (void)state;
    struct ctl_msg m, d;
    size_t n;

    /* fields set for a direction with no body are not sent */
    for (int t = 1; t < CTL_TYPE_MAX; t++) {
        for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++) {
            if (body_len(t, dir) != 0 || has_data(t, dir))
                continue;
            msg_make(&m, t, dir, 0, 0);
            memset(&m.u, 0x5c, sizeof(m.u));
            uint8_t *b = encode(&m, dir, &n);
            assert_int_equal(n, CTL_HDR_LEN);
            assert_int_equal(ctl_decode(b, n, dir, &d), 0);
            const uint8_t zero[sizeof(d.u)] = {0};
            assert_memory_equal(&d.u, zero, sizeof(d.u));
            free(b);
        }
    }
    /* nor data for a type that carries none, nor a body on an error */
    msg_make(&m, CTL_BIND, CTL_REQUEST, 0, 0);
    m.data = payload;
    m.data_len = 10;
    uint8_t buf[64];
    assert_int_equal(ctl_encode(&m, CTL_REQUEST, buf, sizeof(buf)), CTL_HDR_LEN + 8);
    msg_make(&m, CTL_GETSOCKOPT, CTL_REPLY, -ENOPROTOOPT, 0);
    m.u.sockopt.value = 5;
    assert_int_equal(ctl_encode(&m, CTL_REPLY, buf, sizeof(buf)), CTL_HDR_LEN);
    /* data too big to be a datagram */
    msg_make(&m, CTL_SENDTO, CTL_REQUEST, 0, CTL_DATA_MAX + 1);
    uint8_t *big = malloc(MSG_BUF);
    assert_non_null(big);
    assert_int_equal(ctl_encode(&m, CTL_REQUEST, big, MSG_BUF), -EMSGSIZE);
    free(big);
    /* types that do not exist */
    const int bad_types[] = {0, CTL_TYPE_MAX, 255};
    for (size_t i = 0; i < 3; i++) {
        msg_make(&m, CTL_ACCEPT, CTL_REQUEST, 0, 0);
        m.h.type = (uint8_t)bad_types[i];
        assert_int_equal(ctl_encode(&m, CTL_REQUEST, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(ctl_encode(&m, CTL_REPLY, buf, sizeof(buf)), -EINVAL);
    }
}

static void
test_ctl_known_bytes(void **state)
{
    (void)state;
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    skip(); /* the bytes below are a little-endian host's */
#else
    /* bind(fd, 10.0.0.2:5353) as request 0x01020304 */
    const uint8_t bind_req[24] = {
        0x53, 0x55, 0x02, 0x02, 0x18, 0x00, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x0a, 0xe9, 0x14, 0x02, 0x00,
    };
    /* its reply: ECONNREFUSED (-111), no body */
    const uint8_t conn_rep[16] = {
        0x53, 0x55, 0x02, 0x03, 0x10, 0x00, 0x00, 0x00,
        0x04, 0x03, 0x02, 0x01, 0x91, 0xff, 0xff, 0xff,
    };
    struct ctl_msg m = {.h = {.type = CTL_BIND, .seq = 0x01020304},
                        .u.addr = {0x0a000002, 5353, AF_INET}};
    uint8_t b[32];

    memset(b, 0xee, sizeof(b));
    assert_int_equal(ctl_encode(&m, CTL_REQUEST, b, sizeof(b)), 24);
    assert_memory_equal(b, bind_req, 24);
    assert_int_equal(b[24], 0xee);
    struct ctl_msg d;
    assert_int_equal(decode_n(bind_req, 24, CTL_REQUEST, &d), 0);
    assert_int_equal(d.h.magic, CTL_MAGIC);
    assert_int_equal(d.h.version, 2);
    assert_int_equal(d.h.type, CTL_BIND);
    assert_int_equal(d.h.len, 24);
    assert_int_equal(d.h.seq, 0x01020304);
    assert_int_equal(d.h.status, 0);
    assert_int_equal(d.u.addr.addr, 0x0a000002);
    assert_int_equal(d.u.addr.port, 5353);
    assert_int_equal(d.u.addr.family, AF_INET);
    assert_int_equal(d.data_len, 0);

    m = (struct ctl_msg){.h = {.type = CTL_CONNECT, .seq = 0x01020304, .status = -111}};
    assert_int_equal(ctl_encode(&m, CTL_REPLY, b, sizeof(b)), 16);
    assert_memory_equal(b, conn_rep, 16);
    assert_int_equal(decode_n(conn_rep, 16, CTL_REPLY, &d), 0);
    assert_int_equal(d.h.status, -111);
    /* a request may not carry a status */
    assert_int_equal(decode_n(conn_rep, 16, CTL_REQUEST, &d), -EBADMSG);
    assert_string_equal(ctl_type_name(CTL_BIND), "BIND");
    assert_string_equal(ctl_type_name(CTL_LIST), "LIST");
    assert_string_equal(ctl_type_name(0), "?");
    assert_string_equal(ctl_type_name(CTL_TYPE_MAX), "?");
    assert_string_equal(ctl_type_name(-1), "?");
#endif
}

/* ---- malformed ---- */

static void
test_ctl_short(void **state)
{
    (void)state;
    struct ctl_msg m;
    size_t n;

    msg_make(&m, CTL_BIND, CTL_REQUEST, 0, 0);
    uint8_t *b = encode(&m, CTL_REQUEST, &n);
    for (size_t k = 0; k < CTL_HDR_LEN; k++) {
        uint8_t h[CTL_HDR_LEN];
        memcpy(h, b, CTL_HDR_LEN);
        if (k >= 8)
            set_len(h, (uint32_t)k); /* a length field that agrees */
        for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++)
            if (decode_n(h, k, dir, &m) != -EBADMSG)
                fail_msg("%zu bytes accepted", k);
    }
    /* a header alone is a whole message for a type without a body */
    uint8_t h[CTL_HDR_LEN];
    raw(h, CTL_ACCEPT, 0, 0);
    assert_int_equal(decode_n(h, CTL_HDR_LEN, CTL_REQUEST, &m), 0);
    free(b);
}

static void
test_ctl_bad_magic_and_version(void **state)
{
    (void)state;
    struct ctl_msg m, d;
    size_t n;

    msg_make(&m, CTL_BIND, CTL_REQUEST, 0, 0);
    uint8_t *b = encode(&m, CTL_REQUEST, &n);
    const uint16_t magics[] = {0x5355, 0, 0xffff, 0x5554, 0x5453};
    for (size_t i = 0; i < 5; i++) {
        memcpy(b, &magics[i], 2);
        assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), -EBADMSG);
    }
    uint16_t magic = CTL_MAGIC;
    memcpy(b, &magic, 2);
    const uint8_t versions[] = {0, 1, 255}; /* 1: before TCP_CONGESTION */
    for (size_t i = 0; i < 3; i++) {
        b[2] = versions[i];
        assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), -EPROTONOSUPPORT);
        assert_int_equal(decode_n(b, n, CTL_REPLY, &d), -EPROTONOSUPPORT);
    }
    b[2] = CTL_VERSION;
    assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), 0);
    free(b);
}

static void
test_ctl_len_mismatch(void **state)
{
    (void)state;
    struct ctl_msg m, d;
    size_t n;

    msg_make(&m, CTL_BIND, CTL_REQUEST, 0, 0);
    uint8_t *b = encode(&m, CTL_REQUEST, &n);
    uint8_t big[64];
    assert_int_equal(n, 24);
    /* the field disagrees with the bytes received */
    const uint32_t lens[] = {0, 16, 23, 25, 64, 0xffffffffu};
    for (size_t i = 0; i < 6; i++) {
        set_len(b, lens[i]);
        assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), -EBADMSG);
    }
    set_len(b, 24);
    /* fewer bytes arrived than the field says, or more */
    assert_int_equal(decode_n(b, 23, CTL_REQUEST, &d), -EBADMSG);
    memcpy(big, b, 24);
    memset(big + 24, 0, sizeof(big) - 24);
    assert_int_equal(decode_n(big, 25, CTL_REQUEST, &d), -EBADMSG);
    assert_int_equal(decode_n(big, 32, CTL_REQUEST, &d), -EBADMSG);
    assert_int_equal(decode_n(big, 24, CTL_REQUEST, &d), 0);
    /* more than any message may be, length field and all */
    size_t huge = MSG_BUF + 1;
    uint8_t *h = calloc(1, huge);
    assert_non_null(h);
    raw(h, CTL_SENDTO, 0, 0);
    set_len(h, (uint32_t)huge);
    assert_int_equal(ctl_decode(h, huge, CTL_REQUEST, &d), -EBADMSG);
    free(h);
    free(b);
}

static void
test_ctl_unknown_type(void **state)
{
    (void)state;
    uint8_t b[64];
    struct ctl_msg d;
    const int types[] = {0, CTL_TYPE_MAX, CTL_TYPE_MAX + 1, 255};
    const size_t bodies[] = {0, 4, 8, 12};

    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 4; k++)
            for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++) {
                size_t n = raw(b, types[i], 0, bodies[k]);
                if (decode_n(b, n, dir, &d) != -EBADMSG)
                    fail_msg("type %d body %zu dir %d accepted", types[i], bodies[k],
                             dir);
                /* an error reply too */
                n = raw(b, types[i], -EINVAL, 0);
                assert_int_equal(decode_n(b, n, CTL_REPLY, &d), -EBADMSG);
            }
}

static void
test_ctl_request_status(void **state)
{
    (void)state;
    uint8_t b[CTL_HDR_LEN + CTL_TCP_INFO_LEN];
    struct ctl_msg d;
    const int32_t st[] = {1, -1, 65507, INT32_MIN, INT32_MAX};

    for (int t = 1; t < CTL_TYPE_MAX; t++) {
        for (size_t i = 0; i < 5; i++) {
            size_t n = raw(b, t, st[i], body_len(t, CTL_REQUEST));
            assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), -EBADMSG);
            /* replies carry one */
            n = raw(b, t, st[i], st[i] < 0 ? 0 : body_len(t, CTL_REPLY));
            assert_int_equal(decode_n(b, n, CTL_REPLY, &d), 0);
            assert_int_equal(d.h.status, st[i]);
        }
        /* (a CTL_FAULT request is its text: at least a byte) */
        size_t n = raw(b, t, 0, body_len(t, CTL_REQUEST) + (t == CTL_FAULT));
        assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), 0);
    }
}

static void
test_ctl_body_size(void **state)
{
    (void)state;
    uint8_t b[CTL_HDR_LEN + CTL_TCP_INFO_LEN + 16];
    struct ctl_msg d;
    int refused = 0;

    for (int t = 1; t < CTL_TYPE_MAX; t++) {
        for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++) {
            size_t want = body_len(t, dir);
            for (size_t k = 0; k <= want + 12; k++) {
                size_t n = raw(b, t, 0, k);
                int rc = decode_n(b, n, dir, &d);
                /* exactly the fixed size; at least it where data follows
                 * (SENDTO, TEXT, FAULT: any payload, FAULT requests not
                 * none; LIST rows: whole 32-byte rows; CONNS rows: whole
                 * 120-byte rows) */
                int any = t == CTL_SENDTO || t == CTL_TEXT || t == CTL_FAULT;
                int ok =
                    (k == want ||
                     (has_data(t, dir) && k > want &&
                      (any || (t == CTL_LIST && (k - want) % CTL_SOCK_INFO_LEN == 0)))) &&
                    !(t == CTL_FAULT && dir == CTL_REQUEST && k == 0);
                if (rc != (ok ? 0 : -EBADMSG))
                    fail_msg("type %d dir %d body %zu (want %zu): %d", t, dir, k, want,
                             rc);
                if (ok) {
                    assert_int_equal(d.data_len, k - want);
                    if (k > want)
                        assert_memory_equal(d.data, b + CTL_HDR_LEN + want, k - want);
                } else {
                    refused++;
                }
            }
        }
    }
    /* 36 directions of want + 13 sizes (the wants add up to 280);
     * accepted: one each but the empty FAULT request, and 12 more each of
     * SENDTO requests, TEXT replies, FAULT requests and replies */
    assert_int_equal(refused, 280 + 36 * 13 - (36 - 1) - 4 * 12);
}

/* A string option's value: a NUL within 16 bytes and NULs after it; the
 * bytes of CTL_SETSOCKOPT_STR "reno" known. */
static void
test_ctl_opt_str(void **state)
{
    (void)state;
    struct ctl_msg m, d;
    uint8_t b[64];
    size_t n;

    msg_make(&m, CTL_SETSOCKOPT_STR, CTL_REQUEST, 0, 0);
    m.h.seq = 9;
    strcpy(m.u.sockopt_str.value, "reno");
    uint8_t *e = encode(&m, CTL_REQUEST, &n);
    assert_int_equal(n, CTL_HDR_LEN + 24);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint8_t want[40] = {
        0x53, 0x55, 0x02, 14, 40, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0,
        6, 0, 0, 0, 13, 0, 0, 0, 'r', 'e', 'n', 'o', 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0,
    };
    assert_memory_equal(e, want, sizeof(want));
#endif
    assert_int_equal(ctl_decode(e, n, CTL_REQUEST, &d), 0);
    assert_string_equal(d.u.sockopt_str.value, "reno");
    /* the longest name, 15 bytes, and the empty one */
    const char *const good[] = {"abcdefghijklmno", ""};
    for (size_t i = 0; i < 2; i++) {
        memset(m.u.sockopt_str.value, 0, CTL_OPT_STR_LEN);
        strcpy(m.u.sockopt_str.value, good[i]);
        assert_int_equal(ctl_encode(&m, CTL_REQUEST, b, sizeof(b)), 40);
        assert_int_equal(decode_n(b, 40, CTL_REQUEST, &d), 0);
        assert_string_equal(d.u.sockopt_str.value, good[i]);
    }
    /* no NUL in 16 bytes, or something after the NUL: neither encoded nor
     * decoded, in either direction of either type */
    for (int bad = 0; bad < 2; bad++) {
        memcpy(e + CTL_HDR_LEN + 8, "0123456789abcdef", 16);
        if (bad)
            memcpy(e + CTL_HDR_LEN + 8, "reno\0\0\0x\0\0\0\0\0\0\0\0", 16);
        assert_int_equal(decode_n(e, n, CTL_REQUEST, &d), -EBADMSG);
        e[3] = CTL_GETSOCKOPT_STR;
        assert_int_equal(decode_n(e, n, CTL_REPLY, &d), -EBADMSG);
        e[3] = CTL_SETSOCKOPT_STR;
        memcpy(m.u.sockopt_str.value, e + CTL_HDR_LEN + 8, 16);
        assert_int_equal(ctl_encode(&m, CTL_REQUEST, b, sizeof(b)), -EINVAL);
        m.h.type = CTL_GETSOCKOPT_STR;
        assert_int_equal(ctl_encode(&m, CTL_REPLY, b, sizeof(b)), -EINVAL);
        /* a GETSOCKOPT_STR request has no value to be wrong */
        assert_int_equal(ctl_encode(&m, CTL_REQUEST, b, sizeof(b)), CTL_HDR_LEN + 8);
        m.h.type = CTL_SETSOCKOPT_STR;
    }
    free(e);
}

static void
test_ctl_sendto_data_max(void **state)
{
    (void)state;
    struct ctl_msg m, d;
    size_t n;

    msg_make(&m, CTL_SENDTO, CTL_REQUEST, 0, CTL_DATA_MAX);
    uint8_t *b = encode(&m, CTL_REQUEST, &n);
    assert_int_equal(n, CTL_HDR_LEN + 12 + CTL_DATA_MAX);
    assert_int_equal(ctl_decode(b, n, CTL_REQUEST, &d), 0);
    assert_int_equal(d.data_len, CTL_DATA_MAX);
    /* one byte more, built by hand */
    uint8_t *c = malloc(n + 1);
    assert_non_null(c);
    memcpy(c, b, n);
    c[n] = 0x42;
    set_len(c, (uint32_t)(n + 1));
    assert_int_equal(ctl_decode(c, n + 1, CTL_REQUEST, &d), -EBADMSG);
    free(c);
    free(b);
}

static void
test_ctl_error_reply_with_body(void **state)
{
    (void)state;
    uint8_t b[64];
    struct ctl_msg d;
    const size_t bodies[] = {1, 4, 8, 12, 36};

    for (int t = 1; t < CTL_TYPE_MAX; t++) {
        if (t == CTL_FAULT)
            continue; /* its replies carry a message: below */
        for (size_t k = 0; k < 5; k++) {
            size_t n = raw(b, t, -EINVAL, bodies[k]);
            assert_int_equal(decode_n(b, n, CTL_REPLY, &d), -EBADMSG);
        }
        size_t n = raw(b, t, -EINVAL, 0);
        memset(&d, 0x5a, sizeof(d));
        assert_int_equal(decode_n(b, n, CTL_REPLY, &d), 0);
        assert_int_equal(d.h.status, -EINVAL);
        assert_int_equal(d.data_len, 0);
        const uint8_t zero[sizeof(d.u)] = {0};
        assert_memory_equal(&d.u, zero, sizeof(d.u));
    }
}

static void
test_ctl_list_rows(void **state)
{
    (void)state;
    static uint8_t b[CTL_HDR_LEN + 4 + (CTL_LIST_MAX + 2) * CTL_SOCK_INFO_LEN];
    struct ctl_msg d;
    const size_t bad[] = {1, 31, 33, 63, 64 * 32 + 1, 65 * 32, 66 * 32};
    const size_t good[] = {0, 32, 64, 63 * 32, 64 * 32};

    for (size_t i = 0; i < 7; i++) {
        size_t n = raw(b, CTL_LIST, 0, 4 + bad[i]);
        if (decode_n(b, n, CTL_REPLY, &d) != -EBADMSG)
            fail_msg("%zu bytes of rows accepted", bad[i]);
    }
    for (size_t i = 0; i < 5; i++) {
        size_t n = raw(b, CTL_LIST, 2, 4 + good[i]);
        assert_int_equal(decode_n(b, n, CTL_REPLY, &d), 0);
        assert_int_equal(d.data_len, good[i]);
        uint32_t total;
        memcpy(&total, b + CTL_HDR_LEN, 4);
        assert_int_equal(d.u.total, total);
    }
}

static void
test_ctl_sock_info(void **state)
{
    (void)state;
    struct ctl_sock_info si = {
        .id = 0x11223344,
        .owner_pid = -2,
        .owner_uid = 1000,
        .type = SOCK_DGRAM,
        .state = 2,
        .lport = 5353,
        .rport = 40000,
        .pad = 0x7777,
        .laddr = 0x0a000002,
        .raddr = 0x0a000001,
        .rx_queued = 0xfedcba98,
    };
    struct ctl_sock_info out;
    uint8_t *b = malloc(CTL_SOCK_INFO_LEN); /* exactly: ASan checks the bound */

    assert_non_null(b);
    memset(b, 0xee, CTL_SOCK_INFO_LEN);
    ctl_sock_info_put(b, &si);
    /* the layout: fields one after another, host order */
    assert_memory_equal(b + 0, &si.id, 4);
    assert_memory_equal(b + 4, &si.owner_pid, 4);
    assert_memory_equal(b + 8, &si.owner_uid, 4);
    assert_int_equal(b[12], SOCK_DGRAM);
    assert_int_equal(b[13], 2);
    assert_memory_equal(b + 14, &si.lport, 2);
    assert_memory_equal(b + 16, &si.rport, 2);
    assert_memory_equal(b + 18, &si.pad, 2);
    assert_memory_equal(b + 20, &si.laddr, 4);
    assert_memory_equal(b + 24, &si.raddr, 4);
    assert_memory_equal(b + 28, &si.rx_queued, 4);
    memset(&out, 0, sizeof(out));
    ctl_sock_info_get(b, &out);
    assert_int_equal(out.id, si.id);
    assert_int_equal(out.owner_pid, -2);
    assert_int_equal(out.owner_uid, 1000);
    assert_int_equal(out.type, SOCK_DGRAM);
    assert_int_equal(out.state, 2);
    assert_int_equal(out.lport, 5353);
    assert_int_equal(out.rport, 40000);
    assert_int_equal(out.pad, 0x7777);
    assert_int_equal(out.laddr, 0x0a000002);
    assert_int_equal(out.raddr, 0x0a000001);
    assert_int_equal(out.rx_queued, 0xfedcba98);
    free(b);

    /* rows travel in a LIST reply and come back the same */
    uint8_t r[3 * CTL_SOCK_INFO_LEN];
    for (uint32_t i = 0; i < 3; i++) {
        si.id = i;
        ctl_sock_info_put(r + i * CTL_SOCK_INFO_LEN, &si);
    }
    struct ctl_msg m = {.h = {.type = CTL_LIST, .seq = 9},
                        .u.total = 3,
                        .data = r,
                        .data_len = sizeof(r)};
    size_t n;
    uint8_t *e = encode(&m, CTL_REPLY, &n);
    struct ctl_msg d;
    assert_int_equal(ctl_decode(e, n, CTL_REPLY, &d), 0);
    assert_int_equal(d.data_len / CTL_SOCK_INFO_LEN, 3);
    for (uint32_t i = 0; i < 3; i++) {
        ctl_sock_info_get(d.data + i * CTL_SOCK_INFO_LEN, &out);
        assert_int_equal(out.id, i);
        assert_int_equal(out.rx_queued, 0xfedcba98);
    }
    free(e);
}

/* CTL_FAULT: a text each way, with any status on the reply; no NUL in
 * it, a request not empty, each no longer than its bound. */
static void
test_ctl_fault_text(void **state)
{
    (void)state;
    static uint8_t b[CTL_HDR_LEN + CTL_FAULT_SPEC_MAX + 2];
    struct ctl_msg m, d;
    size_t n;

    /* EPERM with the daemon's message */
    msg_make(&m, CTL_FAULT, CTL_REPLY, -EPERM, 0);
    m.data = (const uint8_t *)"only root";
    m.data_len = 9;
    uint8_t *e = encode(&m, CTL_REPLY, &n);
    assert_int_equal(n, CTL_HDR_LEN + 9);
    assert_int_equal(ctl_decode(e, n, CTL_REPLY, &d), 0);
    assert_int_equal(d.h.status, -EPERM);
    assert_int_equal(d.data_len, 9);
    assert_memory_equal(d.data, "only root", 9);
    /* a NUL inside: refused both ways */
    e[CTL_HDR_LEN + 4] = 0;
    assert_int_equal(decode_n(e, n, CTL_REPLY, &d), -EBADMSG);
    m.data = (const uint8_t *)"only\0root";
    assert_int_equal(ctl_encode(&m, CTL_REPLY, b, sizeof(b)), -EINVAL);
    free(e);
    /* requests: 1 to CTL_FAULT_SPEC_MAX bytes */
    n = raw(b, CTL_FAULT, 0, 0);
    assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), -EBADMSG);
    n = raw(b, CTL_FAULT, 0, CTL_FAULT_SPEC_MAX);
    assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), 0);
    assert_int_equal(d.data_len, CTL_FAULT_SPEC_MAX);
    n = raw(b, CTL_FAULT, 0, CTL_FAULT_SPEC_MAX + 1);
    assert_int_equal(decode_n(b, n, CTL_REQUEST, &d), -EBADMSG);
    /* replies: up to CTL_FAULT_MSG_MAX */
    n = raw(b, CTL_FAULT, -EINVAL, CTL_FAULT_MSG_MAX + 1);
    assert_int_equal(decode_n(b, n, CTL_REPLY, &d), -EBADMSG);
    msg_make(&m, CTL_FAULT, CTL_REQUEST, 0, 0);
    m.data_len = 0;
    assert_int_equal(ctl_encode(&m, CTL_REQUEST, b, sizeof(b)), -EINVAL);
    assert_string_equal(ctl_type_name(CTL_FAULT), "FAULT");
    assert_string_equal(ctl_type_name(CTL_CONNS), "CONNS");
    assert_string_equal(ctl_type_name(CTL_TEXT), "TEXT");
}

/* CTL_CONNS rows: whole rows, at most CTL_CONNS_MAX; CTL_TEXT pages at
 * most CTL_TEXT_MAX bytes. */
static void
test_ctl_conns_and_text_pages(void **state)
{
    (void)state;
    static uint8_t b[CTL_HDR_LEN + 4 + CTL_TEXT_MAX + CTL_CONN_INFO_LEN + 1];
    struct ctl_msg d;
    const size_t bad[] = {
        1, 119, 121, 239, CTL_CONNS_MAX * 120 + 1, (CTL_CONNS_MAX + 1) * 120};
    const size_t good[] = {0, 120, 240, CTL_CONNS_MAX * 120};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = raw(b, CTL_CONNS, 0, 4 + bad[i]);
        if (decode_n(b, n, CTL_REPLY, &d) != -EBADMSG)
            fail_msg("%zu bytes of rows accepted", bad[i]);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        size_t n = raw(b, CTL_CONNS, (int32_t)(good[i] / 120), 4 + good[i]);
        assert_int_equal(decode_n(b, n, CTL_REPLY, &d), 0);
        assert_int_equal(d.data_len, good[i]);
    }
    size_t n = raw(b, CTL_TEXT, 0, 4 + CTL_TEXT_MAX);
    assert_int_equal(decode_n(b, n, CTL_REPLY, &d), 0);
    n = raw(b, CTL_TEXT, 0, 4 + CTL_TEXT_MAX + 1);
    assert_int_equal(decode_n(b, n, CTL_REPLY, &d), -EBADMSG);
    struct ctl_msg m = {
        .h = {.type = CTL_TEXT}, .data = payload, .data_len = CTL_TEXT_MAX + 1};
    assert_int_equal(ctl_encode(&m, CTL_REPLY, b, sizeof(b)), -EINVAL);
    m.h.type = CTL_CONNS;
    m.data_len = 121;
    assert_int_equal(ctl_encode(&m, CTL_REPLY, b, sizeof(b)), -EINVAL);
}

/* One connection row: thirty u32 in declaration order, and back. */
static void
test_ctl_conn_info(void **state)
{
    (void)state;
    struct ctl_conn_info ci, out;
    uint32_t *f = (uint32_t *)&ci;          /* thirty u32 and nothing else */
    uint8_t *b = malloc(CTL_CONN_INFO_LEN); /* exactly: ASan checks the bound */

    _Static_assert(sizeof(ci) == CTL_CONN_INFO_LEN, "thirty u32");
    assert_non_null(b);
    for (uint32_t i = 0; i < CTL_CONN_INFO_LEN / 4; i++)
        f[i] = 0x01010101u * (i + 1);
    ctl_conn_info_put(b, &ci);
    assert_memory_equal(b + 0, &ci.state, 4);
    assert_memory_equal(b + 4, &ci.flags, 4);
    assert_memory_equal(b + 16, &ci.lport, 4);
    assert_memory_equal(b + 28, &ci.owner_pid, 4);
    assert_memory_equal(b + 44, &ci.timer, 4);
    assert_memory_equal(b + 56, &ci.rtt_us, 4);
    assert_memory_equal(b + 92, &ci.bytes_acked, 4);
    assert_memory_equal(b + 116, &ci.options, 4);
    memset(&out, 0, sizeof(out));
    ctl_conn_info_get(b, &out);
    assert_memory_equal(&out, &ci, sizeof(ci));
    free(b);
}

/* ---- seeded mutations ---- */

#define MUT_ROUNDS 100000
#define MUT_CAP 4096

static uint64_t mut_state;

static uint32_t
mut_rand(void)
{
    /* xorshift64* */
    mut_state ^= mut_state >> 12;
    mut_state ^= mut_state << 25;
    mut_state ^= mut_state >> 27;
    return (uint32_t)((mut_state * 2685821657736338717ull) >> 32);
}

struct valid {
    uint8_t *b;
    size_t n;
};

static void
test_ctl_mutations(void **state)
{
    (void)state;
    static struct valid v[512];
    size_t nv = 0;
    struct ctl_msg m, d;
    static uint8_t w[MUT_CAP], re[MUT_CAP];
    long ok = 0, bad = 0, noproto = 0;

    /* every type and direction, small data sizes, a few statuses */
    for (int t = 1; t < CTL_TYPE_MAX; t++)
        for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++)
            for (int si = 0; si < (dir == CTL_REPLY ? 3 : 1); si++) {
                const int32_t st[] = {0, 5, -EINVAL};
                const size_t ns[] = {0, 1, 13, 2};
                for (int k = 0; k < (has_data(t, dir) ? 4 : 1); k++) {
                    if (!n_ok(t, dir, ns[k]))
                        continue;
                    msg_make(&m, t, dir, st[si], ns[k]);
                    v[nv].b = encode(&m, dir, &v[nv].n);
                    nv++;
                }
            }
    msg_make(&m, CTL_LIST, CTL_REPLY, 0, CTL_LIST_MAX);
    v[nv].b = encode(&m, CTL_REPLY, &v[nv].n);
    nv++;
    assert_true(nv < 512);

    mut_state = 0x9e3779b97f4a7c15ull;
    for (long i = 0; i < MUT_ROUNDS; i++) {
        const struct valid *src = &v[mut_rand() % nv];
        size_t n = src->n;
        memcpy(w, src->b, n);
        int rounds = 1 + (int)(mut_rand() % 4);
        for (int r = 0; r < rounds; r++) {
            uint32_t x = mut_rand();
            switch (mut_rand() % 9) {
            case 0: /* flip a bit */
                if (n)
                    w[x % n] ^= (uint8_t)(1u << (x >> 16) % 8);
                break;
            case 1: /* a byte anywhere */
                if (n)
                    w[x % n] = (uint8_t)(x >> 24);
                break;
            case 2: /* cut the tail */ n = x % (n + 1); break;
            case 3: /* append junk */
                for (uint32_t k = 1 + x % 64; k > 0 && n < MUT_CAP; k--)
                    w[n++] = (uint8_t)mut_rand();
                break;
            case 4: /* another type, known or not */
                if (n > 3)
                    w[3] = (uint8_t)(x % (CTL_TYPE_MAX + 3));
                break;
            case 5: /* another status */
                if (n >= 16) {
                    const int32_t st[] = {0, 1, -1, -EINVAL, (int32_t)x};
                    memcpy(w + 12, &st[(x >> 8) % 5], 4);
                }
                break;
            case 6: /* another version */
                if (n > 2)
                    w[2] = (uint8_t)(x % 3);
                break;
            case 7: /* remove bytes from the middle */
                if (n > 16) {
                    size_t at = 16 + x % (n - 16), k = 1 + (x >> 16) % 8;
                    if (k > n - at)
                        k = n - at;
                    memmove(w + at, w + at + k, n - at - k);
                    n -= k;
                }
                break;
            case 8: /* insert bytes in the middle */
                if (n > 16 && n + 8 <= MUT_CAP) {
                    size_t at = 16 + x % (n - 16), k = 1 + (x >> 16) % 8;
                    memmove(w + at + k, w + at, n - at);
                    for (size_t j = 0; j < k; j++)
                        w[at + j] = (uint8_t)mut_rand();
                    n += k;
                }
                break;
            }
        }
        /* mostly make the length field agree, so the checks after it run */
        if (n >= 8 && mut_rand() % 4 != 0)
            set_len(w, (uint32_t)n);

        uint8_t *h = dup_n(w, n);
        for (int dir = CTL_REQUEST; dir <= CTL_REPLY; dir++) {
            int rc = ctl_decode(h, n, dir, &d);
            if (rc == -EBADMSG) {
                bad++;
                continue;
            }
            if (rc == -EPROTONOSUPPORT) {
                noproto++;
                continue;
            }
            if (rc != 0)
                fail_msg("round %ld: decode returned %d", i, rc);
            ok++;
            /* what decodes re-encodes to the very same bytes */
            assert_int_equal(d.h.len, n);
            assert_true(d.data_len == 0 || (d.data >= h && d.data + d.data_len == h + n));
            if (ctl_encode(&d, dir, re, n) != (int)n || memcmp(re, h, n) != 0)
                fail_msg("round %ld: %zu bytes do not re-encode the same", i, n);
        }
        free(h);
    }
    for (size_t i = 0; i < nv; i++)
        free(v[i].b);
    /* each outcome was reached often enough to mean something */
    print_message("mutations: %ld decoded, %ld EBADMSG, %ld EPROTONOSUPPORT\n", ok, bad,
                  noproto);
    assert_true(ok > MUT_ROUNDS / 10);
    assert_true(bad > MUT_ROUNDS / 2);
    assert_true(noproto > MUT_ROUNDS / 100);
    assert_int_equal(ok + bad + noproto, 2 * MUT_ROUNDS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctl_round_trip_all),
        cmocka_unit_test(test_ctl_encode_only_its_direction),
        cmocka_unit_test(test_ctl_known_bytes),
        cmocka_unit_test(test_ctl_short),
        cmocka_unit_test(test_ctl_bad_magic_and_version),
        cmocka_unit_test(test_ctl_len_mismatch),
        cmocka_unit_test(test_ctl_unknown_type),
        cmocka_unit_test(test_ctl_request_status),
        cmocka_unit_test(test_ctl_body_size),
        cmocka_unit_test(test_ctl_opt_str),
        cmocka_unit_test(test_ctl_sendto_data_max),
        cmocka_unit_test(test_ctl_error_reply_with_body),
        cmocka_unit_test(test_ctl_list_rows),
        cmocka_unit_test(test_ctl_sock_info),
        cmocka_unit_test(test_ctl_fault_text),
        cmocka_unit_test(test_ctl_conns_and_text_pages),
        cmocka_unit_test(test_ctl_conn_info),
        cmocka_unit_test(test_ctl_mutations),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
