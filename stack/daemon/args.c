/*
 * args.c - ustackd's command line.
 *
 * Owns: the options, their checks and their defaults. Every mistake is one
 * line naming the option and what was expected; main() prefixes it with
 * "ustackd: " and exits 2. Defaults that are not the engine's own:
 *   --mac   02:00:00 and the low three bytes of the address (locally
 *           administered, unicast, the same every run for one address)
 *   --seed  8 bytes from getrandom(); give --seed N for a run that can be
 *           reproduced, byte for byte, from the same input
 *   --log   info, to stderr
 *   --ctl   CTL_DEFAULT_PATH (/run/ustack/ctl.sock)
 *   --fault-seed  the engine's seed (--seed or the random one)
 *   --max-sockets-per-uid, --max-sockets-per-process  from the descriptor
 *           limit, in quota_limits_default (quota.h)
 *   --tcp-mem-max  the engine's (cfg.tcp_mem_max, 1 GiB)
 * The fault options (--loss, --delay, ...) are fault_opt.c's.
 */
#include "daemon/args.h"

#include "ctl_proto.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/log.h"
#include "ctl_proto.h"
#include "daemon/slots.h"
#include "wire/addr.h"

#define MTU_MIN 576
#define MTU_MAX 9000

static const char usage_text[] =
    "usage: ustackd --tap NAME --addr A.B.C.D/LEN [options]\n"
    "\n"
    "A user-space TCP/IP stack on a Linux TAP interface.\n"
    "\n"
    "  --tap NAME        TAP interface to attach to (created if missing)\n"
    "  --addr A.B.C.D/LEN  our IPv4 address and on-link prefix, e.g. 10.0.0.2/24\n"
    "  --gw A.B.C.D      default gateway (on-link); none by default\n"
    "  --mac MAC         our Ethernet address; default 02:00:00 + the address's\n"
    "                    low three bytes (10.0.0.2 -> 02:00:00:00:00:02)\n"
    "  --mtu N           IP MTU, 576..9000; default 1500\n"
    "  --pcap FILE       every frame in and out to FILE (pcapng, why each left)\n"
    "  --trace FILE      write TCP's events to FILE, one JSON object a line\n"
    "                    (docs/TRACE.md; build/ustack-plot draws them)\n"
    "  --ctl PATH        the applications' control socket (created, mode 0660);\n"
    "                    default " CTL_DEFAULT_PATH " (the library reads $" CTL_ENV ")\n"
    "  --seed N          RNG seed (decimal or 0x hex) for a reproducible run;\n"
    "                    default random\n"
    "  --rto-min MS      TCP's minimum retransmission timeout, 1..60000 ms;\n"
    "                    default 200 as Linux (RFC 6298 says 1000)\n"
    "  --msl S           TCP's maximum segment lifetime, 1..600 s; TIME_WAIT\n"
    "                    lasts 2 MSL; default 30\n"
    "  --cc NAME         TCP congestion control of new sockets: cubic (default,\n"
    "                    RFC 9438) or reno (NewReno); TCP_CONGESTION changes it\n"
    "                    per socket\n"
    "  --max-sockets-per-uid N      sockets one uid may hold (more: EMFILE);\n"
    "                    default half the daemon's table, which is its\n"
    "                    descriptor limit (raised to its hard limit) less 64\n"
    "  --max-sockets-per-process N  sockets one process may hold (more:\n"
    "                    EMFILE); default a quarter of the table\n"
    "  --tcp-mem-max BYTES  bytes all TCP connections may hold (blocks, the\n"
    "                    storage of their rings, SYN-queue entries, TIME_WAIT\n"
    "                    records), a number with an optional K, M or G (x1024);\n"
    "                    past it new connections are refused, SYNs get cookies\n"
    "                    and segments that need more buffer are dropped;\n"
    "                    default 1G\n"
    "  --log LEVEL       error, warn, info (default) or debug; to stderr\n"
    "  --help            this text\n"
    "  --version         the version, and the control protocol's\n"
    "\n"
    "Faults on the device (for tests), each for both directions, or per\n"
    "direction as in:V,out:V (in: frames from the TAP to the engine, out:\n"
    "frames the engine sends):\n"
    "  --loss P          drop P percent of the frames (0..100, e.g. 0.5)\n"
    "  --dup P           send P percent twice\n"
    "  --reorder P       hold P percent back until the next frame has passed\n"
    "  --corrupt P       flip one bit past the Ethernet header in P percent\n"
    "  --delay MS[/JITTER]  delay every frame MS ms, +- JITTER uniform (order kept)\n"
    "  --rate MBIT       send at MBIT Mbit/s; a backlog over 256 KiB is dropped\n"
    "  --fault-seed N    the faults' RNG seed; default derived from --seed\n"
    "The same settings change while ustackd runs: ustack-ctl fault (root or\n"
    "ustackd's uid).\n"
    "\n"
    "Watching: ustat (sockets and connections, like ss), ustat -s (the\n"
    "counters, and the faults one line per direction: \"fault in: frames=N\n"
    "sent=N dropped=N ...\"), ustat arp, ustat route. Signals: SIGUSR1 prints\n"
    "the counters on stderr; SIGINT or SIGTERM stops.\n";

enum {
    OPT_TAP = 256,
    OPT_ADDR,
    OPT_GW,
    OPT_MAC,
    OPT_MTU,
    OPT_PCAP,
    OPT_TRACE,
    OPT_CTL,
    OPT_SEED,
    OPT_RTO_MIN,
    OPT_MSL,
    OPT_CC,
    OPT_LOG,
    OPT_MAX_UID,
    OPT_MAX_PROCESS,
    OPT_TCP_MEM_MAX,
    OPT_HELP,
    OPT_VERSION,
    OPT_FAULT, /* every option of fault_opt.h: the name tells which */
};

static const struct option long_options[] = {
    {"tap", required_argument, NULL, OPT_TAP},
    {"addr", required_argument, NULL, OPT_ADDR},
    {"gw", required_argument, NULL, OPT_GW},
    {"mac", required_argument, NULL, OPT_MAC},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"pcap", required_argument, NULL, OPT_PCAP},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"ctl", required_argument, NULL, OPT_CTL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"rto-min", required_argument, NULL, OPT_RTO_MIN},
    {"msl", required_argument, NULL, OPT_MSL},
    {"cc", required_argument, NULL, OPT_CC},
    {"log", required_argument, NULL, OPT_LOG},
    {"max-sockets-per-uid", required_argument, NULL, OPT_MAX_UID},
    {"max-sockets-per-process", required_argument, NULL, OPT_MAX_PROCESS},
    {"tcp-mem-max", required_argument, NULL, OPT_TCP_MEM_MAX},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {"loss", required_argument, NULL, OPT_FAULT},
    {"dup", required_argument, NULL, OPT_FAULT},
    {"reorder", required_argument, NULL, OPT_FAULT},
    {"corrupt", required_argument, NULL, OPT_FAULT},
    {"delay", required_argument, NULL, OPT_FAULT},
    {"rate", required_argument, NULL, OPT_FAULT},
    {"fault-seed", required_argument, NULL, OPT_FAULT},
    {NULL, 0, NULL, 0},
};

/* ustackd's names of the two directions of its device */
static const char *const fault_dirs[2] = {"in", "out"};

/* An unsigned number, decimal or 0x hex, nothing around it. 0 or -1. */
static int
parse_u64(const char *s, uint64_t *v)
{
    int base = 10;
    char *end;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    /* strtoull would also take leading spaces, a sign, or nothing at all */
    if (base == 10 ? !isdigit((unsigned char)*s) : !isxdigit((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long long n = strtoull(s, &end, base);
    if (errno || *end != '\0')
        return -1;
    *v = n;
    return 0;
}

static int
parse_tap(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    size_t len = strlen(arg);

    if (len == 0 || len >= IFNAMSIZ) {
        snprintf(err, errlen, "--tap '%s': an interface name is 1 to %d characters", arg,
                 IFNAMSIZ - 1);
        return -EINVAL;
    }
    a->tap = arg;
    return 0;
}

/* An address we can take as our own on a link with this prefix. */
static const char *
addr_problem(uint32_t addr, uint8_t prefix_len)
{
    uint32_t host_mask = prefix_len == 32 ? 0 : 0xffffffffu >> prefix_len;

    if (addr == 0)
        return "is unspecified";
    if ((addr >> 24) == 127)
        return "is a loopback address";
    if ((addr >> 28) >= 0xe)
        return "is multicast or reserved";
    if (prefix_len <= 30 && (addr & host_mask) == 0)
        return "is the network address of its prefix";
    if (prefix_len <= 30 && (addr & host_mask) == host_mask)
        return "is the broadcast address of its prefix";
    return NULL;
}

static int
parse_addr(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    const char *slash = strchr(arg, '/');
    uint64_t len;
    uint32_t addr;
    uint8_t prefix_len;

    if (!slash) {
        snprintf(err, errlen, "--addr '%s' needs a prefix length, e.g. 10.0.0.2/24", arg);
        return -EINVAL;
    }
    if (parse_u64(slash + 1, &len) < 0 || len < 1 || len > 32) {
        snprintf(err, errlen, "--addr '%s': prefix length must be 1..32", arg);
        return -EINVAL;
    }
    if (ip_prefix_parse(arg, &addr, &prefix_len) < 0) {
        snprintf(err, errlen,
                 "--addr '%s' is not an address A.B.C.D/LEN, e.g. 10.0.0.2/24", arg);
        return -EINVAL;
    }
    const char *problem = addr_problem(addr, prefix_len);
    if (problem) {
        snprintf(err, errlen, "--addr '%s' %s", arg, problem);
        return -EINVAL;
    }
    a->cfg.addr = addr;
    a->cfg.prefix_len = prefix_len;
    return 0;
}

static int
parse_gw(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    uint32_t gw;

    if (ip_parse(arg, &gw) < 0) {
        snprintf(err, errlen, "--gw '%s' is not an address A.B.C.D", arg);
        return -EINVAL;
    }
    a->cfg.gateway = gw;
    return 0; /* on-link is checked once --addr is known */
}

static int
parse_mac(const char *arg, uint8_t mac[6], char *err, size_t errlen)
{
    static const uint8_t zero[6];

    if (mac_parse(arg, mac) < 0) {
        snprintf(err, errlen, "--mac '%s' is not a MAC address like 02:00:00:00:00:02",
                 arg);
        return -EINVAL;
    }
    if (mac[0] & 0x01) {
        snprintf(err, errlen,
                 "--mac '%s' is a multicast address (low bit of the first byte)", arg);
        return -EINVAL;
    }
    if (memcmp(mac, zero, 6) == 0) {
        snprintf(err, errlen, "--mac '%s' is all zeros", arg);
        return -EINVAL;
    }
    return 0;
}

static int
parse_mtu(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    uint64_t mtu;

    if (parse_u64(arg, &mtu) < 0 || mtu < MTU_MIN || mtu > MTU_MAX) {
        snprintf(err, errlen, "--mtu '%s' must be a number from %d to %d", arg, MTU_MIN,
                 MTU_MAX);
        return -EINVAL;
    }
    a->cfg.mtu = (uint16_t)mtu;
    return 0;
}

static int
parse_ctl(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    size_t len = strlen(arg);

    /* sockaddr_un.sun_path holds 108 bytes with the terminating NUL */
    if (len == 0 || len > 107) {
        snprintf(err, errlen, "--ctl '%s': a socket path is 1 to 107 characters", arg);
        return -EINVAL;
    }
    a->ctl = arg;
    return 0;
}

static int
parse_seed(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    if (parse_u64(arg, &a->cfg.seed) < 0) {
        snprintf(err, errlen, "--seed '%s' is not a number (decimal or 0x hex, 64 bits)",
                 arg);
        return -EINVAL;
    }
    return 0;
}

/* --rto-min, --msl, --max-sockets-*: a whole number from lo to hi into *out. */
static int
parse_range(const char *opt, const char *arg, uint64_t lo, uint64_t hi, uint32_t *out,
            char *err, size_t errlen)
{
    uint64_t v;

    if (parse_u64(arg, &v) < 0 || v < lo || v > hi) {
        snprintf(err, errlen, "--%s '%s' must be a number from %llu to %llu", opt, arg,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

/* --tcp-mem-max: bytes, with an optional K, M or G (powers of 1024). */
static int
parse_mem(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    static const char units[] = "KMG";
    char num[32];
    size_t n = strlen(arg);
    unsigned shift = 0;
    uint64_t v;

    if (n > 0 && n < sizeof(num)) {
        const char *u = strchr(units, toupper((unsigned char)arg[n - 1]));
        if (u && *u) {
            shift = 10 * (unsigned)(u - units + 1);
            n--;
        }
        memcpy(num, arg, n);
        num[n] = '\0';
    }
    if (n == 0 || n >= sizeof(num) || parse_u64(num, &v) < 0 || v == 0 ||
        v > (UINT64_MAX >> 2) >> shift) {
        snprintf(err, errlen, "--tcp-mem-max '%s' must be a number of bytes, e.g. 64M",
                 arg);
        return -EINVAL;
    }
    a->cfg.tcp_mem_max = v << shift;
    return 0;
}

static int
parse_cc(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    if (!stack_tcp_cc_known(arg)) {
        snprintf(err, errlen, "--cc '%s': TCP congestion control is cubic or reno", arg);
        return -EINVAL;
    }
    a->cfg.tcp_cc = arg;
    return 0;
}

static int
parse_log(const char *arg, struct ustackd_args *a, char *err, size_t errlen)
{
    int level = log_level_parse(arg);

    if (level < 0) {
        snprintf(err, errlen, "--log '%s': level is error, warn, info or debug", arg);
        return -EINVAL;
    }
    a->cfg.log_level = level;
    return 0;
}

/* What getopt_long refused, in words. */
static void
explain_getopt(int c, int argc, char **argv, char *err, size_t errlen)
{
    const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";

    if (c == ':')
        snprintf(err, errlen, "option '%s' needs a value (try --help)", arg);
    else if (optopt)
        snprintf(err, errlen, "unknown option '-%c' (try --help)", optopt);
    else
        snprintf(err, errlen, "unknown option '%s' (try --help)", arg);
}

/* Checks that need several options. */
static int
check_combined(struct ustackd_args *a, char *err, size_t errlen)
{
    struct stack_config *c = &a->cfg;
    char gw[16], addr[16];

    if (!a->tap) {
        snprintf(err, errlen, "--tap NAME is required (try --help)");
        return -EINVAL;
    }
    if (c->addr == 0) {
        snprintf(err, errlen, "--addr A.B.C.D/LEN is required (try --help)");
        return -EINVAL;
    }
    if (c->gateway) {
        uint32_t mask = 0xffffffffu << (32 - c->prefix_len);
        ip_fmt(c->gateway, gw);
        ip_fmt(c->addr, addr);
        if (c->gateway == c->addr) {
            snprintf(err, errlen, "--gw %s is our own address", gw);
            return -EINVAL;
        }
        if ((c->gateway & mask) != (c->addr & mask) ||
            addr_problem(c->gateway, c->prefix_len)) {
            snprintf(err, errlen, "--gw %s is not a host on %s/%u", gw, addr,
                     c->prefix_len);
            return -EINVAL;
        }
    }
    return 0;
}

int
args_parse(int argc, char **argv, struct ustackd_args *a, char *err, size_t errlen)
{
    bool have_mac = false, have_seed = false;
    int c, idx = 0, rc = 0;

    memset(a, 0, sizeof(*a));
    a->ctl = CTL_DEFAULT_PATH;
    stack_config_defaults(&a->cfg);
    a->cfg.addr = 0;
    a->cfg.gateway = 0;
    a->cfg.log_out = stderr;
    a->cfg.log_level = LOG_INFO;

    opterr = 0; /* we print our own messages */
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, ":h", long_options, &idx)) != -1) {
        switch (c) {
        case OPT_TAP: rc = parse_tap(optarg, a, err, errlen); break;
        case OPT_ADDR: rc = parse_addr(optarg, a, err, errlen); break;
        case OPT_GW: rc = parse_gw(optarg, a, err, errlen); break;
        case OPT_MAC:
            rc = parse_mac(optarg, a->cfg.mac, err, errlen);
            have_mac = true;
            break;
        case OPT_MTU: rc = parse_mtu(optarg, a, err, errlen); break;
        case OPT_PCAP: a->pcap = optarg; break;
        case OPT_TRACE: a->trace = optarg; break;
        case OPT_CTL: rc = parse_ctl(optarg, a, err, errlen); break;
        case OPT_SEED:
            rc = parse_seed(optarg, a, err, errlen);
            have_seed = true;
            break;
        case OPT_RTO_MIN:
            rc = parse_range("rto-min", optarg, 1, 60000, &a->cfg.tcp_rto_min_ms, err,
                             errlen);
            break;
        case OPT_MSL:
            rc = parse_range("msl", optarg, 1, 600, &a->cfg.tcp_msl_s, err, errlen);
            break;
        case OPT_CC: rc = parse_cc(optarg, a, err, errlen); break;
        case OPT_LOG: rc = parse_log(optarg, a, err, errlen); break;
        case OPT_MAX_UID:
            rc = parse_range("max-sockets-per-uid", optarg, 1, SLOTS_LIMIT_MAX,
                             &a->socks.per_uid, err, errlen);
            break;
        case OPT_MAX_PROCESS:
            rc = parse_range("max-sockets-per-process", optarg, 1, SLOTS_LIMIT_MAX,
                             &a->socks.per_process, err, errlen);
            break;
        case OPT_TCP_MEM_MAX: rc = parse_mem(optarg, a, err, errlen); break;
        case OPT_FAULT:
            rc = fault_opt_parse(&a->fault, long_options[idx].name, optarg, fault_dirs,
                                 err, errlen);
            break;
        case OPT_HELP:
        case 'h': fputs(usage_text, stdout); return 1;
        case OPT_VERSION:
            printf("ustackd %s (control protocol version %d)\n", USTACK_VERSION, CTL_VERSION);
            return 1;
        default: explain_getopt(c, argc, argv, err, errlen); return -EINVAL;
        }
    }
    if (rc < 0)
        return rc;
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (try --help)", argv[optind]);
        return -EINVAL;
    }
    rc = check_combined(a, err, errlen);
    if (rc < 0)
        return rc;

    if (!have_mac)
        mac_from_addr(a->cfg.addr, a->cfg.mac);
    if (!have_seed) {
        uint64_t seed;
        errno = 0;
        if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
            int e = errno ? errno : EIO;
            snprintf(err, errlen,
                     "cannot draw a random seed (getrandom: %s); give --seed N",
                     strerror(e));
            return -e;
        }
        a->cfg.seed = seed;
    }
    if (!a->fault.have_seed)
        a->fault.seed = a->cfg.seed;
    return 0;
}
