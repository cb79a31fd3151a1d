/*
 * log.c - see log.h.
 */
#include "core/log.h"

#include <stdarg.h>
#include <string.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int
log_level_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void
log_line(const struct log *lg, int level, uint64_t now_us, const char *module,
         const char *fmt, ...)
{
    if (!lg->out || level > lg->level)
        return;
    uint64_t t = now_us >= lg->base_us ? now_us - lg->base_us : 0;
    va_list ap;

    fprintf(lg->out, "[%5llu.%06llu] %-5s %-5s ", (unsigned long long)(t / 1000000),
            (unsigned long long)(t % 1000000), module, level_names[level]);
    va_start(ap, fmt);
    vfprintf(lg->out, fmt, ap);
    va_end(ap);
    fputc('\n', lg->out);
}
