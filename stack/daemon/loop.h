/*
 * loop.h - what ustackd's modules share about its event loop.
 *
 * Owns: the tag every descriptor carries in the daemon's epoll set, the
 * daemon's clock, and its log lines.
 *
 * A tag says which source an event is about: the TAP, the timerfd, the
 * signalfd, the control socket, or one control client or application
 * socket, named by its slot in its table and its id. A slot can be freed
 * and taken again within one batch of events (a socket closed by one
 * event, another opened by the next); the id, never the same twice in a
 * row for one slot, tells a stale event from a fresh one, and the stale
 * one is ignored.
 */
#ifndef USTACK_DAEMON_LOOP_H
#define USTACK_DAEMON_LOOP_H

#include <stdint.h>

#include "core/log.h"

enum loop_kind {
    LOOP_DEV = 1, /* the TAP (or the capture around it) */
    LOOP_TIMER,   /* timerfd armed to stack_poll_at() */
    LOOP_SIGNAL,  /* signalfd */
    LOOP_CTL,     /* the control socket: new clients */
    LOOP_CLIENT,  /* one control connection (ctl.c) */
    LOOP_SOCK,    /* the daemon's end of one application socket (sock.c) */
};

/* kind in bits 56..63, slot in 32..55, id in 0..31 */
uint64_t loop_tag(enum loop_kind kind, uint32_t slot, uint32_t id);
enum loop_kind loop_tag_kind(uint64_t tag);
uint32_t loop_tag_slot(uint64_t tag);
uint32_t loop_tag_id(uint64_t tag);

/* epoll_ctl ADD / MOD with these events and this tag: 0 or -1 with errno. */
int loop_watch(int epoll_fd, int fd, uint32_t events, uint64_t tag);
int loop_rewatch(int epoll_fd, int fd, uint32_t events, uint64_t tag);
void loop_unwatch(int epoll_fd, int fd);

/* CLOCK_MONOTONIC in microseconds: the time the engine is given. */
uint64_t loop_now_us(void);

/* A log line from the daemon, stamped like the engine's (same clock, the
 * same base), e.g. "[    3.201554] ctl   debug client 4 pid 812: BIND -> 0". */
#define DLOG(lg, lvl_, module, ...)                                                      \
    ((lg)->out && (lvl_) <= (lg)->level                                                  \
         ? log_line((lg), (lvl_), loop_now_us(), (module), __VA_ARGS__)                  \
         : (void)0)

#endif
