/*
 * admin.c - ustackd's texts about itself and live fault settings. See
 * admin.h.
 *
 * The ARP cache is printed as `ip neigh` prints the kernel's, the routes
 * as `ip route` (the subnet on the TAP, and the default route when there
 * is a gateway: the engine has no other routes).
 */
#include "daemon/admin.h"

#include <errno.h>
#include <string.h>

#include "daemon/ctl.h"
#include "daemon/sock.h"
#include "dev/dev.h"
#include "dev/fault_opt.h"
#include "wire/addr.h"

static const char *const admin_fault_dirs[2] = {"in", "out"};

void
admin_counters(const struct admin *a, FILE *f)
{
    fprintf(f, "ustackd: counters\n");
    stats_print(stack_stats(a->s), f);
    fprintf(f, "ustackd: control socket and sockets\n");
    ctl_stats_print(a->ctl, f);
    sock_stats_print(a->socks, f);
    if (a->fault) {
        fprintf(f, "ustackd: faults\n");
        fault_print(a->fault, f);
    }
}

static void
admin_arp(const struct admin *a, FILE *f)
{
    struct stack_neigh n[256];
    size_t count = stack_neighbours(a->s, n, sizeof(n) / sizeof(n[0]));

    if (count > sizeof(n) / sizeof(n[0]))
        count = sizeof(n) / sizeof(n[0]);
    for (size_t i = 0; i < count; i++) {
        char ip[IP_STR_LEN], mac[MAC_STR_LEN];
        ip_fmt(n[i].addr, ip);
        if (n[i].reachable)
            fprintf(f, "%s dev %s lladdr %s REACHABLE expires %ums", ip, a->ifname,
                    mac_fmt(n[i].mac, mac), n[i].left_ms);
        else
            fprintf(f, "%s dev %s INCOMPLETE probes %u", ip, a->ifname, n[i].tries);
        if (n[i].queued)
            fprintf(f, " queued %u", n[i].queued);
        fputc('\n', f);
    }
}

static void
admin_routes(const struct admin *a, FILE *f)
{
    const struct stack_config *c = a->cfg;
    uint32_t mask = c->prefix_len ? ~0u << (32 - c->prefix_len) : 0;
    char net[IP_STR_LEN], src[IP_STR_LEN], gw[IP_STR_LEN];

    if (c->gateway)
        fprintf(f, "default via %s dev %s\n", ip_fmt(c->gateway, gw), a->ifname);
    fprintf(f, "%s/%u dev %s proto kernel scope link src %s mtu %u\n",
            ip_fmt(c->addr & mask, net), c->prefix_len, a->ifname, ip_fmt(c->addr, src),
            c->mtu);
}

static void
admin_faults(const struct admin *a, FILE *f)
{
    struct fault_line_config cfg[2];
    char words[256];

    if (!a->fault || fault_get(a->fault, &cfg[0], &cfg[1]) < 0)
        return;
    for (int i = 0; i < 2; i++) {
        fault_opt_fmt(&cfg[i], words, sizeof(words));
        fprintf(f, "%-5s%s\n", i == 0 ? "in:" : "out:", words);
    }
    fault_print(a->fault, f);
}

void
admin_text(void *ctx, enum ctl_text_what what, FILE *f)
{
    const struct admin *a = ctx;

    switch (what) {
    case CTL_TEXT_COUNTERS: admin_counters(a, f); break;
    case CTL_TEXT_ARP: admin_arp(a, f); break;
    case CTL_TEXT_ROUTES: admin_routes(a, f); break;
    case CTL_TEXT_FAULTS: admin_faults(a, f); break;
    default: break;
    }
}

int
admin_fault_set(void *ctx, const char *spec, FILE *f)
{
    const struct admin *a = ctx;
    struct fault_opts o = {0};
    char err[256];

    if (!a->fault || fault_get(a->fault, &o.dir[0], &o.dir[1]) < 0) {
        fprintf(f, "ustackd has no fault middleware");
        return -EOPNOTSUPP;
    }
    if (fault_opt_parse_words(&o, spec, admin_fault_dirs, err, sizeof(err)) < 0) {
        fprintf(f, "%s", err);
        return -EINVAL;
    }
    int rc = fault_set(a->fault, &o.dir[0], &o.dir[1]);
    if (rc < 0) {
        fprintf(f, "the faults could not be changed: %s", strerror(-rc));
        return rc;
    }
    admin_faults(a, f);
    return 0;
}
