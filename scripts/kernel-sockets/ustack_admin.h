/*
 * scripts/kernel-sockets/ustack_admin.h - what the apps use of
 * socket_api/ustack_admin.h, for their kernel-socket build (see ustack.h
 * here). There is no daemon: us_ctl_path() names none, and us_list() is
 * left out (ustat has no kernel build).
 */
#ifndef USTACK_ADMIN_H
#define USTACK_ADMIN_H

static inline const char *
us_ctl_path(void)
{
    return "(none: a kernel-socket build)";
}

#endif
