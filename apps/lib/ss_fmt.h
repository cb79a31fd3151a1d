/*
 * ss_fmt.h - ustat's options and lines, shaped like ss(8)'s.
 *
 * Owns: reading ustat's command line, which connections and sockets a set
 * of options shows, and writing each as ss writes the kernel's: state
 * names, Recv-Q/Send-Q, addresses, and the -i, -o, -e, -p words. Pure
 * functions of their arguments (the unit tests call them with rows made
 * by hand); ustat.c asks the daemon and prints.
 */
#ifndef USTACK_APPS_SS_FMT_H
#define USTACK_APPS_SS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ctl_proto.h"

enum ss_cmd {
    SS_CMD_LIST,    /* sockets and connections (the default) */
    SS_CMD_SUMMARY, /* -s */
    SS_CMD_ARP,     /* ustat arp */
    SS_CMD_ROUTE,   /* ustat route */
    SS_CMD_SOCKETS, /* ustat sockets: the daemon's socket table */
    SS_CMD_HELP,    /* -h, --help */
};

struct ss_opts {
    enum ss_cmd cmd;
    bool tcp, udp;  /* -t, -u (neither: both) */
    bool listening; /* -l: listening sockets only */
    bool all;       /* -a: every state */
    bool numeric;   /* -n: accepted (there are no names to resolve) */
    bool info;      /* -i */
    bool extended;  /* -e */
    bool timers;    /* -o */
    bool processes; /* -p */
};

/* argv as ustat takes it. 0; -1 with one line in err. */
int ss_parse_args(int argc, char **argv, struct ss_opts *o, char *err, size_t errlen);
/* The text of --help. */
extern const char ss_usage[];

/* "SYN-RECV" for TCP_SYN_RECEIVED (enum tcp_state's numbers), as ss. */
const char *ss_state_name(uint32_t state);
/* Does o show a TCP connection in this state? */
bool ss_state_shown(const struct ss_opts *o, uint32_t state);
/* "10.0.0.2:7", "0.0.0.0:*" */
const char *ss_endpoint(uint32_t addr, uint32_t port, char *buf, size_t len);
/* "timer:(on,200ms,0)"; "" for no timer. */
const char *ss_timer(const struct ctl_conn_info *ci, char *buf, size_t len);
/* "1.2sec", "200ms", "2min5sec" */
const char *ss_duration(uint32_t ms, char *buf, size_t len);
/* -i's words: "ts sack wscale:7,7 rto:204 rtt:0.1/0.05 mss:1448 ...";
 * "" for a row without a connection block (listener, SYN queue,
 * TIME-WAIT). */
const char *ss_info(const struct ctl_conn_info *ci, char *buf, size_t len);

/* The header line for o. */
void ss_header(const struct ss_opts *o, FILE *f);
/* One connection (and, with -i, its second line). comm: the owner's
 * command name for -p ("" if unknown). */
void ss_conn_line(const struct ss_opts *o, const struct ctl_conn_info *ci,
                  const char *comm, FILE *f);
/* One UDP socket of the daemon's table. */
void ss_udp_line(const struct ss_opts *o, const struct ctl_sock_info *si,
                 const char *comm, FILE *f);
/* Does o show this UDP socket? */
bool ss_udp_shown(const struct ss_opts *o, const struct ctl_sock_info *si);

#endif
