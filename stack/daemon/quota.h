/*
 * quota.h - how many sockets the daemon, each uid and each process may
 * hold, and how many they hold.
 *
 * Owns: the three limits and the counts behind them. A socket is charged
 * to the uid and the pid of the client that made it (CTL_SOCKET) or
 * accepted it (CTL_ACCEPT), as read with SO_PEERCRED on its control
 * connection, and released when the daemon lets it go. Over the process's
 * or the uid's quota the answer is -EMFILE (as RLIMIT_NOFILE gives a
 * process); over the daemon's table, -ENFILE (as the kernel's file-max).
 *
 * The defaults follow the daemon's descriptor limit (each socket costs it
 * one descriptor): the table is that limit less QUOTA_FD_RESERVE; a uid
 * may take half of it, a process a quarter. So one user's runaway program
 * exhausts its own share, and leaves the others theirs.
 *
 * Leaves out (DEVIATION from the kernel's per-process RLIMIT_NOFILE): a
 * socket stays charged to the process that made it after it is passed to
 * another (fork, SCM_RIGHTS), and to its pid after that process exits
 * while another still holds the socket.
 */
#ifndef USTACK_DAEMON_QUOTA_H
#define USTACK_DAEMON_QUOTA_H

#include <stdint.h>
#include <sys/types.h>

#define QUOTA_FD_RESERVE 64 /* the daemon's own descriptors, and room to refuse */
#define QUOTA_BUCKETS 1024

struct quota_ent; /* one uid's or one pid's count (quota.c) */

/* A count per key (a uid or a pid), in a small hash table. */
struct quota_map {
    struct quota_ent *b[QUOTA_BUCKETS];
    uint32_t keys; /* keys with a count above 0 */
};

struct quota_limits {
    uint32_t table;       /* sockets in the daemon */
    uint32_t per_uid;     /* --max-sockets-per-uid */
    uint32_t per_process; /* --max-sockets-per-process */
};

struct quota {
    struct quota_limits lim;
    uint32_t total;
    struct quota_map uid, pid;
};

/* The defaults for a daemon that may open fd_limit descriptors; a
 * per-uid or per-process value already set (non-zero) is kept, but
 * never above the table. */
void quota_limits_default(struct quota_limits *l, uint64_t fd_limit);

void quota_init(struct quota *q, const struct quota_limits *l);
void quota_free(struct quota *q);
/* Charge one socket to uid and pid: 0, -EMFILE (the process's or the
 * uid's quota), -ENFILE (the table), -ENOMEM. */
int quota_charge(struct quota *q, uid_t uid, pid_t pid);
/* Give back what quota_charge took. */
void quota_release(struct quota *q, uid_t uid, pid_t pid);
/* Sockets charged to a uid / a pid now. */
uint32_t quota_of_uid(const struct quota *q, uid_t uid);
uint32_t quota_of_pid(const struct quota *q, pid_t pid);

#endif
