/*
 * log.h - leveled, timestamped log lines.
 *
 * Owns: how the engine talks to a human. Every line carries the injected
 * time (never the wall clock), the module and a one-line message, e.g.
 *   [    1.204311] arp   debug  resolved 10.0.0.1 is 6a:..:01
 */
#ifndef USTACK_CORE_LOG_H
#define USTACK_CORE_LOG_H

#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

struct log {
    FILE *out;        /* NULL: silent */
    int level;        /* lines above this level are skipped */
    uint64_t base_us; /* time printed as now - base */
};

/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int log_level_parse(const char *name);

void log_line(const struct log *lg, int level, uint64_t now_us,
              const char *module, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
