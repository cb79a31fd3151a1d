/*
 * loop.c - epoll tags, the clock. See loop.h.
 */
#include "daemon/loop.h"

#include <sys/epoll.h>
#include <time.h>

uint64_t
loop_tag(enum loop_kind kind, uint32_t slot, uint32_t id)
{
    return (uint64_t)kind << 56 | (uint64_t)(slot & 0xffffff) << 32 | id;
}

enum loop_kind
loop_tag_kind(uint64_t tag)
{
    return (enum loop_kind)(tag >> 56);
}

uint32_t
loop_tag_slot(uint64_t tag)
{
    return (uint32_t)(tag >> 32) & 0xffffff;
}

uint32_t
loop_tag_id(uint64_t tag)
{
    return (uint32_t)tag;
}

int
loop_watch(int epoll_fd, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = {.events = events, .data.u64 = tag};

    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

int
loop_rewatch(int epoll_fd, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = {.events = events, .data.u64 = tag};

    return epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
}

void
loop_unwatch(int epoll_fd, int fd)
{
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

uint64_t
loop_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
