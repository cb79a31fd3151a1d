/*
 * ctl_proto.c - encoder and validating decoder of control messages.
 * See ctl_proto.h for the format.
 */
#include "ctl_proto.h"

#include <errno.h>
#include <string.h>

/* Fixed body size of each type, by direction; -1: variable (checked apart). */
static int
ctl_body_len(int type, enum ctl_dir dir)
{
    switch (type) {
    case CTL_SOCKET: return dir == CTL_REQUEST ? 12 : 0;
    case CTL_BIND:
    case CTL_CONNECT: return dir == CTL_REQUEST ? 8 : 0;
    case CTL_LISTEN: return dir == CTL_REQUEST ? 4 : 0;
    case CTL_ACCEPT: return dir == CTL_REQUEST ? 0 : 8;
    case CTL_SENDTO: return dir == CTL_REQUEST ? -1 : 0;
    case CTL_GETSOCKNAME:
    case CTL_GETPEERNAME: return dir == CTL_REQUEST ? 0 : 8;
    case CTL_SETSOCKOPT: return dir == CTL_REQUEST ? 12 : 0;
    case CTL_GETSOCKOPT: return 12;
    case CTL_SHUTDOWN: return dir == CTL_REQUEST ? 4 : 0;
    case CTL_LIST:
    case CTL_CONNS: return dir == CTL_REQUEST ? 4 : -1; /* a page: first, rows */
    case CTL_TCP_INFO: return dir == CTL_REQUEST ? 0 : CTL_TCP_INFO_LEN;
    case CTL_SETSOCKOPT_STR: return dir == CTL_REQUEST ? 8 + CTL_OPT_STR_LEN : 0;
    case CTL_GETSOCKOPT_STR: return dir == CTL_REQUEST ? 8 : 8 + CTL_OPT_STR_LEN;
    case CTL_TEXT: return dir == CTL_REQUEST ? 8 : -1;
    case CTL_FAULT: return -1;
    default: return -2;
    }
}

/* A cursor over a buffer: every read and write is bounds-checked. */
struct cur {
    uint8_t *w;
    const uint8_t *r;
    size_t left;
    int bad;
};

static void
put(struct cur *c, const void *v, size_t n)
{
    if (c->bad || n > c->left) {
        c->bad = 1;
        return;
    }
    memcpy(c->w, v, n);
    c->w += n;
    c->left -= n;
}

static void
get(struct cur *c, void *v, size_t n)
{
    if (c->bad || n > c->left) {
        c->bad = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, c->r, n);
    c->r += n;
    c->left -= n;
}

static void
put_addr(struct cur *c, const struct ctl_addr *a)
{
    put(c, &a->addr, 4);
    put(c, &a->port, 2);
    put(c, &a->family, 2);
}

static void
get_addr(struct cur *c, struct ctl_addr *a)
{
    get(c, &a->addr, 4);
    get(c, &a->port, 2);
    get(c, &a->family, 2);
}

/* struct ctl_tcp_info: twenty-two u32 in declaration order */
#define CTL_TCP_INFO_N (CTL_TCP_INFO_LEN / 4)

static void
tcp_info_fields(struct ctl_tcp_info *t, uint32_t *f[CTL_TCP_INFO_N])
{
    uint32_t *const v[CTL_TCP_INFO_N] = {
        &t->state, &t->rtt_us, &t->rttvar_us, &t->rto_us, &t->snd_mss, &t->cwnd,
        &t->ssthresh, &t->total_retrans, &t->snd_wnd, &t->rcv_wnd, &t->unacked,
        &t->unsent, &t->ca_state, &t->backoff, &t->options, &t->snd_wscale,
        &t->rcv_wscale, &t->rcv_mss, &t->pmtu, &t->retrans, &t->sacked, &t->lost,
    };
    memcpy(f, v, sizeof(v));
}

static void
put_tcp_info(struct cur *c, const struct ctl_tcp_info *t)
{
    struct ctl_tcp_info copy = *t;
    uint32_t *f[CTL_TCP_INFO_N];

    tcp_info_fields(&copy, f);
    for (int i = 0; i < CTL_TCP_INFO_N; i++)
        put(c, f[i], 4);
}

static void
get_tcp_info(struct cur *c, struct ctl_tcp_info *t)
{
    uint32_t *f[CTL_TCP_INFO_N];

    tcp_info_fields(t, f);
    for (int i = 0; i < CTL_TCP_INFO_N; i++)
        get(c, f[i], 4);
}

/* A string value as ctl_proto.h has it: a NUL, and nothing but NULs
 * after the first. */
static int
opt_str_ok(const char *v)
{
    size_t n = strnlen(v, CTL_OPT_STR_LEN);

    if (n == CTL_OPT_STR_LEN)
        return 0;
    for (size_t i = n; i < CTL_OPT_STR_LEN; i++)
        if (v[i])
            return 0;
    return 1;
}

static void
put_sockopt_str(struct cur *c, const struct ctl_sockopt_str *o, int with_value)
{
    put(c, &o->level, 4);
    put(c, &o->name, 4);
    if (with_value)
        put(c, o->value, CTL_OPT_STR_LEN);
}

static void
get_sockopt_str(struct cur *c, struct ctl_sockopt_str *o, int with_value)
{
    get(c, &o->level, 4);
    get(c, &o->name, 4);
    if (with_value) {
        get(c, o->value, CTL_OPT_STR_LEN);
        if (!opt_str_ok(o->value))
            c->bad = 1;
    }
}

static void
put_sockopt(struct cur *c, const struct ctl_sockopt *o)
{
    put(c, &o->level, 4);
    put(c, &o->name, 4);
    put(c, &o->value, 4);
}

static void
get_sockopt(struct cur *c, struct ctl_sockopt *o)
{
    get(c, &o->level, 4);
    get(c, &o->name, 4);
    get(c, &o->value, 4);
}

/* struct ctl_conn_info: thirty u32 in declaration order */
#define CTL_CONN_INFO_N (CTL_CONN_INFO_LEN / 4)

static void
conn_info_fields(struct ctl_conn_info *t, uint32_t *f[CTL_CONN_INFO_N])
{
    uint32_t *const v[CTL_CONN_INFO_N] = {
        &t->state,          &t->flags,         &t->laddr,      &t->raddr,
        &t->lport,          &t->rport,         &t->sock_id,    &t->owner_pid,
        &t->owner_uid,      &t->recv_q,        &t->send_q,     &t->timer,
        &t->timer_ms,       &t->timer_retries, &t->rtt_us,     &t->rttvar_us,
        &t->rto_us,         &t->snd_mss,       &t->rcv_mss,    &t->cwnd,
        &t->ssthresh,       &t->snd_wscale,    &t->rcv_wscale, &t->bytes_acked,
        &t->bytes_received, &t->total_retrans, &t->snd_wnd,    &t->rcv_wnd,
        &t->unacked,        &t->options,
    };
    memcpy(f, v, sizeof(v));
}

/* Only CTL_FAULT's reply has a body (its message) when status < 0. */
static int
error_has_body(int type)
{
    return type == CTL_FAULT;
}

/* The text of a CTL_FAULT message: no NUL in it. */
static int
text_ok(const uint8_t *t, size_t len)
{
    return memchr(t, 0, len) == NULL;
}

/* The body of m, in either direction. */
static void
put_body(struct cur *c, const struct ctl_msg *m, enum ctl_dir dir)
{
    if (dir == CTL_REPLY && m->h.status < 0 && !error_has_body(m->h.type))
        return; /* an error reply has no body */
    switch (m->h.type) {
    case CTL_SOCKET:
        if (dir == CTL_REQUEST) {
            put(c, &m->u.socket.domain, 4);
            put(c, &m->u.socket.type, 4);
            put(c, &m->u.socket.protocol, 4);
        }
        break;
    case CTL_BIND:
    case CTL_CONNECT:
        if (dir == CTL_REQUEST)
            put_addr(c, &m->u.addr);
        break;
    case CTL_ACCEPT:
    case CTL_GETSOCKNAME:
    case CTL_GETPEERNAME:
        if (dir == CTL_REPLY)
            put_addr(c, &m->u.addr);
        break;
    case CTL_LISTEN:
        if (dir == CTL_REQUEST)
            put(c, &m->u.listen.backlog, 4);
        break;
    case CTL_SENDTO:
        if (dir == CTL_REQUEST) {
            put(c, &m->u.sendto.addr, 4);
            put(c, &m->u.sendto.port, 2);
            put(c, &m->u.sendto.pad, 2);
            put(c, &m->u.sendto.flags, 4);
            put(c, m->data, m->data_len);
        }
        break;
    case CTL_SETSOCKOPT:
        if (dir == CTL_REQUEST)
            put_sockopt(c, &m->u.sockopt);
        break;
    case CTL_GETSOCKOPT:
        put_sockopt(c, &m->u.sockopt);
        break;
    case CTL_SHUTDOWN:
        if (dir == CTL_REQUEST)
            put(c, &m->u.shutdown.how, 4);
        break;
    case CTL_LIST:
    case CTL_CONNS:
        if (dir == CTL_REQUEST) {
            put(c, &m->u.list.first, 4);
        } else {
            put(c, &m->u.total, 4);
            put(c, m->data, m->data_len);
        }
        break;
    case CTL_TCP_INFO:
        if (dir == CTL_REPLY)
            put_tcp_info(c, &m->u.tcp_info);
        break;
    case CTL_SETSOCKOPT_STR:
        if (dir == CTL_REQUEST)
            put_sockopt_str(c, &m->u.sockopt_str, 1);
        break;
    case CTL_GETSOCKOPT_STR:
        put_sockopt_str(c, &m->u.sockopt_str, dir == CTL_REPLY);
        break;
    case CTL_TEXT:
        if (dir == CTL_REQUEST) {
            put(c, &m->u.text.what, 4);
            put(c, &m->u.text.offset, 4);
        } else {
            put(c, &m->u.total, 4);
            put(c, m->data, m->data_len);
        }
        break;
    case CTL_FAULT: put(c, m->data, m->data_len); break;
    }
}

/* A variable payload as the decoder takes it: 1, or 0. */
static int
payload_ok(int type, enum ctl_dir dir, const uint8_t *data, size_t len)
{
    switch (type) {
    case CTL_LIST:
        return dir == CTL_REQUEST ||
               (len % CTL_SOCK_INFO_LEN == 0 && len / CTL_SOCK_INFO_LEN <= CTL_LIST_MAX);
    case CTL_CONNS:
        return dir == CTL_REQUEST ||
               (len % CTL_CONN_INFO_LEN == 0 && len / CTL_CONN_INFO_LEN <= CTL_CONNS_MAX);
    case CTL_TEXT: return dir == CTL_REQUEST || len <= CTL_TEXT_MAX;
    case CTL_FAULT:
        if (dir == CTL_REQUEST && (len == 0 || len > CTL_FAULT_SPEC_MAX))
            return 0;
        if (dir == CTL_REPLY && len > CTL_FAULT_MSG_MAX)
            return 0;
        return len == 0 || text_ok(data, len);
    case CTL_SENDTO: return len <= CTL_DATA_MAX;
    default: return 1;
    }
}

/* Values put_body would write that get_body would refuse. */
static int
body_ok(const struct ctl_msg *m, enum ctl_dir dir)
{
    if (dir == CTL_REPLY && m->h.status < 0)
        return !error_has_body(m->h.type) ||
               payload_ok(m->h.type, dir, m->data, m->data_len);
    if ((m->h.type == CTL_SETSOCKOPT_STR && dir == CTL_REQUEST) ||
        (m->h.type == CTL_GETSOCKOPT_STR && dir == CTL_REPLY))
        return opt_str_ok(m->u.sockopt_str.value);
    return 1;
}

int
ctl_encode(const struct ctl_msg *m, enum ctl_dir dir, uint8_t *buf, size_t cap)
{
    if (ctl_body_len(m->h.type, dir) == -2)
        return -EINVAL;
    if (m->data_len > CTL_DATA_MAX)
        return -EMSGSIZE;
    if (m->data_len && !m->data)
        return -EINVAL;
    if (!payload_ok(m->h.type, dir, m->data, m->data_len))
        return -EINVAL; /* what the decoder would refuse */
    if (!body_ok(m, dir))
        return -EINVAL;
    struct cur c = {.w = buf, .left = cap};
    uint16_t magic = CTL_MAGIC;
    uint8_t version = CTL_VERSION;
    uint32_t len = 0;

    put(&c, &magic, 2);
    put(&c, &version, 1);
    put(&c, &m->h.type, 1);
    put(&c, &len, 4); /* filled in below */
    put(&c, &m->h.seq, 4);
    put(&c, &m->h.status, 4);
    put_body(&c, m, dir);
    if (c.bad)
        return -EMSGSIZE;
    len = (uint32_t)(cap - c.left);
    memcpy(buf + 4, &len, 4);
    return (int)len;
}

/* The mirror of put_body: the same fields for the same type and direction
 * (ctl_body_len says which directions have none). */
static void
get_body(struct cur *c, struct ctl_msg *m, enum ctl_dir dir)
{
    switch (m->h.type) {
    case CTL_SOCKET:
        if (dir == CTL_REQUEST) {
            get(c, &m->u.socket.domain, 4);
            get(c, &m->u.socket.type, 4);
            get(c, &m->u.socket.protocol, 4);
        }
        break;
    case CTL_BIND:
    case CTL_CONNECT:
        if (dir == CTL_REQUEST)
            get_addr(c, &m->u.addr);
        break;
    case CTL_ACCEPT:
    case CTL_GETSOCKNAME:
    case CTL_GETPEERNAME:
        if (dir == CTL_REPLY)
            get_addr(c, &m->u.addr);
        break;
    case CTL_LISTEN:
        if (dir == CTL_REQUEST)
            get(c, &m->u.listen.backlog, 4);
        break;
    case CTL_SENDTO:
        if (dir == CTL_REQUEST) {
            get(c, &m->u.sendto.addr, 4);
            get(c, &m->u.sendto.port, 2);
            get(c, &m->u.sendto.pad, 2);
            get(c, &m->u.sendto.flags, 4);
        }
        break;
    case CTL_SETSOCKOPT:
        if (dir == CTL_REQUEST)
            get_sockopt(c, &m->u.sockopt);
        break;
    case CTL_GETSOCKOPT:
        get_sockopt(c, &m->u.sockopt);
        break;
    case CTL_SHUTDOWN:
        if (dir == CTL_REQUEST)
            get(c, &m->u.shutdown.how, 4);
        break;
    case CTL_LIST:
    case CTL_CONNS:
        if (dir == CTL_REQUEST)
            get(c, &m->u.list.first, 4);
        else
            get(c, &m->u.total, 4);
        break;
    case CTL_TCP_INFO:
        if (dir == CTL_REPLY)
            get_tcp_info(c, &m->u.tcp_info);
        break;
    case CTL_SETSOCKOPT_STR:
        if (dir == CTL_REQUEST)
            get_sockopt_str(c, &m->u.sockopt_str, 1);
        break;
    case CTL_GETSOCKOPT_STR:
        get_sockopt_str(c, &m->u.sockopt_str, dir == CTL_REPLY);
        break;
    case CTL_TEXT:
        if (dir == CTL_REQUEST) {
            get(c, &m->u.text.what, 4);
            get(c, &m->u.text.offset, 4);
        } else {
            get(c, &m->u.total, 4);
        }
        break;
    }
}

int
ctl_decode(const uint8_t *buf, size_t len, enum ctl_dir dir, struct ctl_msg *m)
{
    struct cur c = {.r = buf, .left = len};
    uint32_t wire_len;

    memset(m, 0, sizeof(*m));
    if (len < CTL_HDR_LEN || len > CTL_MSG_MAX + CTL_LIST_MAX * CTL_SOCK_INFO_LEN)
        return -EBADMSG;
    get(&c, &m->h.magic, 2);
    get(&c, &m->h.version, 1);
    get(&c, &m->h.type, 1);
    get(&c, &wire_len, 4);
    get(&c, &m->h.seq, 4);
    get(&c, &m->h.status, 4);
    m->h.len = wire_len;
    if (m->h.magic != CTL_MAGIC || wire_len != len)
        return -EBADMSG;
    if (m->h.version != CTL_VERSION)
        return -EPROTONOSUPPORT;
    int body = ctl_body_len(m->h.type, dir);
    if (body == -2 || (dir == CTL_REQUEST && m->h.status != 0))
        return -EBADMSG;
    if (dir == CTL_REPLY && m->h.status < 0 && !error_has_body(m->h.type))
        return c.left == 0 ? 0 : -EBADMSG;
    if (body >= 0 && c.left != (size_t)body)
        return -EBADMSG;
    get_body(&c, m, dir);
    if (c.bad)
        return -EBADMSG;
    m->data = c.r;
    m->data_len = c.left;
    if (!payload_ok(m->h.type, dir, m->data, m->data_len))
        return -EBADMSG;
    return 0;
}

void
ctl_sock_info_put(uint8_t *b, const struct ctl_sock_info *si)
{
    struct cur c = {.w = b, .left = CTL_SOCK_INFO_LEN};

    put(&c, &si->id, 4);
    put(&c, &si->owner_pid, 4);
    put(&c, &si->owner_uid, 4);
    put(&c, &si->type, 1);
    put(&c, &si->state, 1);
    put(&c, &si->lport, 2);
    put(&c, &si->rport, 2);
    put(&c, &si->pad, 2);
    put(&c, &si->laddr, 4);
    put(&c, &si->raddr, 4);
    put(&c, &si->rx_queued, 4);
}

void
ctl_sock_info_get(const uint8_t *b, struct ctl_sock_info *si)
{
    struct cur c = {.r = b, .left = CTL_SOCK_INFO_LEN};

    get(&c, &si->id, 4);
    get(&c, &si->owner_pid, 4);
    get(&c, &si->owner_uid, 4);
    get(&c, &si->type, 1);
    get(&c, &si->state, 1);
    get(&c, &si->lport, 2);
    get(&c, &si->rport, 2);
    get(&c, &si->pad, 2);
    get(&c, &si->laddr, 4);
    get(&c, &si->raddr, 4);
    get(&c, &si->rx_queued, 4);
}

void
ctl_conn_info_put(uint8_t *b, const struct ctl_conn_info *ci)
{
    struct cur c = {.w = b, .left = CTL_CONN_INFO_LEN};
    struct ctl_conn_info copy = *ci;
    uint32_t *f[CTL_CONN_INFO_N];

    conn_info_fields(&copy, f);
    for (int i = 0; i < CTL_CONN_INFO_N; i++)
        put(&c, f[i], 4);
}

void
ctl_conn_info_get(const uint8_t *b, struct ctl_conn_info *ci)
{
    struct cur c = {.r = b, .left = CTL_CONN_INFO_LEN};
    uint32_t *f[CTL_CONN_INFO_N];

    conn_info_fields(ci, f);
    for (int i = 0; i < CTL_CONN_INFO_N; i++)
        get(&c, f[i], 4);
}

const char *
ctl_type_name(int type)
{
    static const char *const names[] = {
        "?", "SOCKET", "BIND", "CONNECT", "LISTEN", "ACCEPT", "SENDTO",
        "GETSOCKNAME", "GETPEERNAME", "SETSOCKOPT", "GETSOCKOPT", "SHUTDOWN", "LIST",
        "TCP_INFO", "SETSOCKOPT_STR", "GETSOCKOPT_STR", "CONNS", "TEXT", "FAULT",
    };
    return type > 0 && type < CTL_TYPE_MAX ? names[type] : "?";
}
