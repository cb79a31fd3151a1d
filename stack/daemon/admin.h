/*
 * admin.h - what ustackd tells about itself: its counters, ARP cache,
 * routes and faults as text, and the faults changed while it runs.
 *
 * Owns: the texts behind SIGUSR1 and the control requests CTL_TEXT
 * (ustat -s, ustat arp, ustat route, ustack-ctl fault show) and
 * CTL_FAULT (ustack-ctl fault ...), in one place so that the signal and
 * the socket print the same lines. ctl.c calls these through struct
 * ctl_admin; ustackd.c fills struct admin.
 */
#ifndef USTACK_DAEMON_ADMIN_H
#define USTACK_DAEMON_ADMIN_H

#include <stdio.h>

#include "ctl_proto.h"
#include "stack.h"

struct ctl_server;
struct sock_table;
struct dev;

struct admin {
    struct stack *s;
    struct ctl_server *ctl;
    struct sock_table *socks;
    struct dev *fault; /* the fault middleware around the TAP */
    const struct stack_config *cfg;
    const char *ifname;
};

/* Every counter: the engine's non-zero ones, the control socket's, the
 * socket table's, and one "fault DIR: ..." line per direction. */
void admin_counters(const struct admin *a, FILE *f);
/* struct ctl_admin's text: ctx is a struct admin. */
void admin_text(void *ctx, enum ctl_text_what what, FILE *f);
/* struct ctl_admin's fault_set: spec is fault_opt_parse_words's line.
 * 0 (the settings now on f), or -EINVAL (why on f), -ENOMEM. */
int admin_fault_set(void *ctx, const char *spec, FILE *f);

#endif
