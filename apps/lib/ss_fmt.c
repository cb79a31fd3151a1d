/*
 * ss_fmt.c - ustat's options and lines, shaped like ss(8)'s. See
 * ss_fmt.h.
 *
 * The states are RFC 9293's, numbered as enum tcp_state
 * (stack/proto/tcp_api.h), named as ss names them. As ss: without -a or
 * -l, listening sockets, TIME-WAIT and SYN-RECV are not shown; -l shows
 * only listeners (and unconnected UDP sockets); -a shows every state.
 * Units of -i as ss: milliseconds for rtt and rto, segments for cwnd,
 * ssthresh and unacked (bytes over the MSS, rounded up), bytes for the
 * byte counts and the peer's window.
 */
#include "lib/ss_fmt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* enum tcp_state's numbers (RFC 9293 §3.3.2 order) */
enum {
    SS_CLOSED,
    SS_LISTEN,
    SS_SYN_SENT,
    SS_SYN_RECV,
    SS_ESTAB,
    SS_FIN_WAIT_1,
    SS_FIN_WAIT_2,
    SS_CLOSE_WAIT,
    SS_CLOSING,
    SS_LAST_ACK,
    SS_TIME_WAIT,
    SS_NSTATES,
};

const char ss_usage[] =
    "usage: ustat [-tulanieops] [-h]          sockets and connections, like ss\n"
    "       ustat arp                         the ARP cache, like ip neigh\n"
    "       ustat route                       the routes, like ip route\n"
    "       ustat sockets                     the daemon's socket table\n"
    "\n"
    "Asks ustackd through its control socket ($USTACK_CTL, else /run/ustack/ctl.sock).\n"
    "TCP connections come from the engine's own tables: every state, half-open\n"
    "connections (SYN-RECV), TIME-WAIT and connections no application holds any\n"
    "more (orphans) are there.\n"
    "\n"
    "  -t, --tcp         TCP connections\n"
    "  -u, --udp         UDP sockets (neither -t nor -u: both)\n"
    "  -l, --listening   listening sockets only (and unconnected UDP sockets)\n"
    "  -a, --all         every state; the default leaves out LISTEN, SYN-RECV\n"
    "                    and TIME-WAIT (and unconnected UDP sockets), as ss\n"
    "  -n, --numeric     accepted: addresses and ports are always numbers\n"
    "  -i, --info        TCP internals on a second line: ts sack wscale:SND,RCV\n"
    "                    rto:MS rtt:MS/VAR mss:B rcvmss:B cwnd:SEGS ssthresh:SEGS\n"
    "                    bytes_acked:B bytes_received:B retrans:N snd_wnd:B (the\n"
    "                    peer's window) rcv_wnd:B unacked:SEGS\n"
    "  -e, --extended    uid:UID and sk:ID (the daemon's socket number)\n"
    "  -o, --options     the running timer: timer:(on|keepalive|timewait|persist,\n"
    "                    TIME LEFT,RETRIES)\n"
    "  -p, --processes   the owner: users:((\"NAME\",pid=PID)) (only your own\n"
    "                    sockets' owners unless you are root)\n"
    "  -s, --summary     connections by state, then every counter of the engine,\n"
    "                    the control socket, the sockets and the faults (each\n"
    "                    drop by reason)\n"
    "  -h, --help        this text\n"
    "\n"
    "Columns: State, Recv-Q (bytes not read by the application; a listener's\n"
    "connections waiting for accept), Send-Q (bytes not acknowledged; a\n"
    "listener's backlog), Local Address:Port, Peer Address:Port, Process.\n";

static int
ss_long(struct ss_opts *o, const char *name)
{
    static const struct {
        const char *name;
        char letter;
    } longs[] = {
        {"tcp", 't'},       {"udp", 'u'},     {"listening", 'l'}, {"all", 'a'},
        {"numeric", 'n'},   {"info", 'i'},    {"extended", 'e'},  {"options", 'o'},
        {"processes", 'p'}, {"summary", 's'}, {"help", 'h'},
    };
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
        if (strcmp(name, longs[i].name) == 0)
            return longs[i].letter;
    (void)o;
    return -1;
}

static int
ss_letter(struct ss_opts *o, int c)
{
    switch (c) {
    case 't': o->tcp = true; return 0;
    case 'u': o->udp = true; return 0;
    case 'l': o->listening = true; return 0;
    case 'a': o->all = true; return 0;
    case 'n': o->numeric = true; return 0;
    case 'i': o->info = true; return 0;
    case 'e': o->extended = true; return 0;
    case 'o': o->timers = true; return 0;
    case 'p': o->processes = true; return 0;
    case 's': o->cmd = SS_CMD_SUMMARY; return 0;
    case 'h': o->cmd = SS_CMD_HELP; return 0;
    default: return -1;
    }
}

int
ss_parse_args(int argc, char **argv, struct ss_opts *o, char *err, size_t errlen)
{
    bool summary = false;

    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-') {
            int c = ss_long(o, a + 2);
            if (c < 0) {
                snprintf(err, errlen, "unknown option '%.40s' (ustat --help)", a);
                return -1;
            }
            ss_letter(o, c);
        } else if (a[0] == '-' && a[1]) {
            for (const char *p = a + 1; *p; p++)
                if (ss_letter(o, (unsigned char)*p) < 0) {
                    snprintf(err, errlen, "unknown option '-%c' (ustat --help)", *p);
                    return -1;
                }
        } else if (o->cmd == SS_CMD_LIST && !summary) {
            if (strcmp(a, "arp") == 0 || strcmp(a, "neigh") == 0)
                o->cmd = SS_CMD_ARP;
            else if (strcmp(a, "route") == 0)
                o->cmd = SS_CMD_ROUTE;
            else if (strcmp(a, "sockets") == 0)
                o->cmd = SS_CMD_SOCKETS;
            else {
                snprintf(err, errlen,
                         "'%.40s' is not a command: arp, route or sockets (ustat --help)",
                         a);
                return -1;
            }
        } else {
            snprintf(err, errlen, "one command at a time: '%.40s' (ustat --help)", a);
            return -1;
        }
        if (o->cmd == SS_CMD_SUMMARY)
            summary = true;
    }
    if (o->cmd == SS_CMD_SUMMARY || (summary && o->cmd != SS_CMD_HELP))
        o->cmd = SS_CMD_SUMMARY;
    if (!o->tcp && !o->udp)
        o->tcp = o->udp = true;
    return 0;
}

const char *
ss_state_name(uint32_t state)
{
    static const char *const names[SS_NSTATES] = {
        [SS_CLOSED] = "UNCONN",         [SS_LISTEN] = "LISTEN",
        [SS_SYN_SENT] = "SYN-SENT",     [SS_SYN_RECV] = "SYN-RECV",
        [SS_ESTAB] = "ESTAB",           [SS_FIN_WAIT_1] = "FIN-WAIT-1",
        [SS_FIN_WAIT_2] = "FIN-WAIT-2", [SS_CLOSE_WAIT] = "CLOSE-WAIT",
        [SS_CLOSING] = "CLOSING",       [SS_LAST_ACK] = "LAST-ACK",
        [SS_TIME_WAIT] = "TIME-WAIT",
    };
    return state < SS_NSTATES ? names[state] : "UNKNOWN";
}

bool
ss_state_shown(const struct ss_opts *o, uint32_t state)
{
    if (o->all)
        return true;
    if (o->listening)
        return state == SS_LISTEN;
    return state != SS_LISTEN && state != SS_CLOSED && state != SS_TIME_WAIT &&
           state != SS_SYN_RECV;
}

bool
ss_udp_shown(const struct ss_opts *o, const struct ctl_sock_info *si)
{
    bool connected = si->state == 2;

    if (o->all)
        return true;
    return o->listening ? !connected : connected;
}

const char *
ss_endpoint(uint32_t addr, uint32_t port, char *buf, size_t len)
{
    struct in_addr a = {.s_addr = htonl(addr)};
    char ip[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &a, ip, sizeof(ip));
    if (port)
        snprintf(buf, len, "%s:%u", ip, port);
    else
        snprintf(buf, len, "%s:*", ip);
    return buf;
}

const char *
ss_duration(uint32_t ms, char *buf, size_t len)
{
    if (ms < 1000)
        snprintf(buf, len, "%ums", ms);
    else if (ms < 10000)
        snprintf(buf, len, "%u.%03usec", ms / 1000, ms % 1000);
    else if (ms < 60000)
        snprintf(buf, len, "%usec", ms / 1000);
    else if (ms % 60000 / 1000)
        snprintf(buf, len, "%umin%usec", ms / 60000, ms % 60000 / 1000);
    else
        snprintf(buf, len, "%umin", ms / 60000);
    return buf;
}

const char *
ss_timer(const struct ctl_conn_info *ci, char *buf, size_t len)
{
    static const char *const kinds[] = {"off", "on", "keepalive", "timewait", "persist"};
    char d[32];

    if (ci->timer == 0 || ci->timer >= sizeof(kinds) / sizeof(kinds[0])) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, len, "timer:(%s,%s,%u)", kinds[ci->timer],
             ss_duration(ci->timer_ms, d, sizeof(d)), ci->timer_retries);
    return buf;
}

/* bytes as segments of mss, rounded up */
static uint32_t
ss_segs(uint32_t bytes, uint32_t mss)
{
    return mss ? (uint32_t)(((uint64_t)bytes + mss - 1) / mss) : bytes;
}

/* microseconds as ss's milliseconds: "0.123", "20" */
static void
ss_ms(uint32_t us, char *buf, size_t len)
{
    if (us % 1000)
        snprintf(buf, len, "%u.%03u", us / 1000, us % 1000);
    else
        snprintf(buf, len, "%u", us / 1000);
    /* cut trailing zeros of the fraction */
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = buf + strlen(buf) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
    }
}

const char *
ss_info(const struct ctl_conn_info *ci, char *buf, size_t len)
{
    char rtt[16], var[16], rto[16], ssth[32] = "";
    size_t n = 0;

    buf[0] = '\0';
    if (!(ci->flags & CTL_CONN_INFO))
        return buf;
    ss_ms(ci->rtt_us, rtt, sizeof(rtt));
    ss_ms(ci->rttvar_us, var, sizeof(var));
    ss_ms(ci->rto_us, rto, sizeof(rto));
    if (ci->ssthresh < (1u << 30)) /* as ss: none shown while "infinite" */
        snprintf(ssth, sizeof(ssth), " ssthresh:%u", ss_segs(ci->ssthresh, ci->snd_mss));
    n += (size_t)snprintf(buf + n, len - n, "%s%s", ci->options & 1 ? "ts " : "",
                          ci->options & 2 ? "sack " : "");
    if (n < len && (ci->options & 4))
        n += (size_t)snprintf(buf + n, len - n, "wscale:%u,%u ", ci->snd_wscale,
                              ci->rcv_wscale);
    if (n < len)
        snprintf(buf + n, len - n,
                 "rto:%s rtt:%s/%s mss:%u rcvmss:%u cwnd:%u%s bytes_acked:%u "
                 "bytes_received:%u retrans:%u snd_wnd:%u rcv_wnd:%u unacked:%u",
                 rto, rtt, var, ci->snd_mss, ci->rcv_mss, ss_segs(ci->cwnd, ci->snd_mss),
                 ssth, ci->bytes_acked, ci->bytes_received, ci->total_retrans,
                 ci->snd_wnd, ci->rcv_wnd, ss_segs(ci->unacked, ci->snd_mss));
    return buf;
}

static bool
ss_netid(const struct ss_opts *o)
{
    return o->tcp && o->udp;
}

void
ss_header(const struct ss_opts *o, FILE *f)
{
    if (ss_netid(o))
        fprintf(f, "%-5s ", "Netid");
    fprintf(f, "%-10s %-6s %-6s %-21s %-21s %s\n", "State", "Recv-Q", "Send-Q",
            "Local Address:Port", "Peer Address:Port", "Process");
}

/* the words after the addresses: -p, -o, -e */
static void
ss_tail(const struct ss_opts *o, bool has_pid, uint32_t pid, const char *comm,
        const char *timer, bool has_sock, uint32_t uid, uint32_t id, char *b, size_t len)
{
    size_t n = 0;

    b[0] = '\0';
    if (o->processes && has_pid) {
        if (comm && comm[0])
            n += (size_t)snprintf(b + n, len - n, " users:((\"%s\",pid=%u))", comm, pid);
        else
            n += (size_t)snprintf(b + n, len - n, " users:((pid=%u))", pid);
    }
    if (n < len && o->timers && timer && timer[0])
        n += (size_t)snprintf(b + n, len - n, " %s", timer);
    if (n < len && o->extended && has_sock)
        snprintf(b + n, len - n, " uid:%u sk:%u", uid, id);
}

/* The columns, then the tail if any: no spaces at the end of the line. */
static void
ss_columns(const struct ss_opts *o, const char *netid, const char *state, uint32_t recv_q,
           uint32_t send_q, const char *local, const char *peer, const char *tail,
           FILE *f)
{
    if (ss_netid(o))
        fprintf(f, "%-5s ", netid);
    fprintf(f, "%-10s %-6u %-6u %-21s ", state, recv_q, send_q, local);
    if (tail[0])
        fprintf(f, "%-21s%s\n", peer, tail);
    else
        fprintf(f, "%s\n", peer);
}

void
ss_conn_line(const struct ss_opts *o, const struct ctl_conn_info *ci, const char *comm,
             FILE *f)
{
    char l[32], p[32], timer[64], info[512], tail[256];

    ss_tail(o, ci->flags & CTL_CONN_PID, ci->owner_pid, comm,
            ss_timer(ci, timer, sizeof(timer)), ci->flags & CTL_CONN_SOCK, ci->owner_uid,
            ci->sock_id, tail, sizeof(tail));
    if (o->extended && (ci->flags & CTL_CONN_ORPHAN))
        strncat(tail, " orphan", sizeof(tail) - strlen(tail) - 1);
    ss_columns(o, "tcp", ss_state_name(ci->state), ci->recv_q, ci->send_q,
               ss_endpoint(ci->laddr, ci->lport, l, sizeof(l)),
               ss_endpoint(ci->raddr, ci->rport, p, sizeof(p)), tail, f);
    if (o->info && ss_info(ci, info, sizeof(info))[0])
        fprintf(f, "\t %s\n", info);
}

void
ss_udp_line(const struct ss_opts *o, const struct ctl_sock_info *si, const char *comm,
            FILE *f)
{
    char l[32], p[32], tail[256];

    ss_tail(o, true, (uint32_t)si->owner_pid, comm, NULL, true, si->owner_uid, si->id,
            tail, sizeof(tail));
    ss_columns(o, "udp", si->state == 2 ? "ESTAB" : "UNCONN", si->rx_queued, 0,
               ss_endpoint(si->laddr, si->lport, l, sizeof(l)),
               ss_endpoint(si->raddr, si->rport, p, sizeof(p)), tail, f);
}
