/*
 * fault_opt.c - the fault options of ustackd and lossy-link. See
 * fault_opt.h.
 *
 * Owns: turning "--loss in:5,out:0.5" into two fault_line_configs, with
 * one line naming the option and what was expected for every mistake.
 * Numbers are read as fixed point by hand (no strtod: "1e3", "nan", " 5"
 * and "5%" are refused, and 0.1% is exactly 1000 ppm).
 */
#include "dev/fault_opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_ITEM_MAX 64 /* one "dir:value" item, longest */

const char *const fault_opt_names[] = {"loss",  "dup",  "reorder",    "corrupt",
                                       "delay", "rate", "fault-seed", NULL};

/* "12.345" with at most `decimals` digits after the point, as an integer
 * in units of 10^-decimals; the whole part at most 9 digits. 0 or -1. */
static int
parse_fixed(const char *s, size_t len, int decimals, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0, whole = 0;
    int frac = 0;

    while (i < len && isdigit((unsigned char)s[i]) && whole < 9)
        v = v * 10 + (uint64_t)(s[i++] - '0'), whole++;
    if (whole == 0)
        return -1;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && isdigit((unsigned char)s[i]) && frac < decimals)
            v = v * 10 + (uint64_t)(s[i++] - '0'), frac++;
        if (frac == 0)
            return -1;
    }
    if (i != len)
        return -1;
    for (; frac < decimals; frac++)
        v *= 10;
    *out = v;
    return 0;
}

static int
parse_percent(const char *s, size_t len, uint32_t *field, char *why, size_t whylen)
{
    uint64_t ppm; /* percent with 4 decimals is parts per million */

    if (parse_fixed(s, len, 4, &ppm) < 0 || ppm > FAULT_PPM_MAX) {
        snprintf(why, whylen, "a percentage from 0 to 100, at most 4 decimals");
        return -1;
    }
    *field = (uint32_t)ppm;
    return 0;
}

static int
parse_delay(const char *s, size_t len, struct fault_line_config *c, char *why,
            size_t whylen)
{
    const char *slash = memchr(s, '/', len);
    size_t dlen = slash ? (size_t)(slash - s) : len;
    uint64_t delay_us, jitter_us = 0;

    if (parse_fixed(s, dlen, 3, &delay_us) < 0 ||
        (slash && parse_fixed(slash + 1, len - dlen - 1, 3, &jitter_us) < 0) ||
        delay_us > FAULT_DELAY_MAX_US) {
        snprintf(why, whylen,
                 "MS[/JITTER] in milliseconds, 0 to 60000, at most 3 decimals");
        return -1;
    }
    if (jitter_us > delay_us) {
        snprintf(why, whylen, "the jitter must not exceed the delay");
        return -1;
    }
    c->delay_us = (uint32_t)delay_us;
    c->jitter_us = (uint32_t)jitter_us;
    return 0;
}

static int
parse_rate(const char *s, size_t len, struct fault_line_config *c, char *why,
           size_t whylen)
{
    uint64_t bps; /* Mbit/s with 6 decimals is bit/s */

    if (parse_fixed(s, len, 6, &bps) < 0 ||
        (bps && (bps < FAULT_RATE_MIN_BPS || bps > FAULT_RATE_MAX_BPS))) {
        snprintf(why, whylen, "Mbit/s from 0.001 to 1000000 (0: no limit)");
        return -1;
    }
    c->rate_bps = bps;
    return 0;
}

/* One value of option `name` into c. 0, or -1 with why. */
static int
parse_value(const char *name, const char *s, size_t len, struct fault_line_config *c,
            char *why, size_t whylen)
{
    if (strcmp(name, "loss") == 0)
        return parse_percent(s, len, &c->drop_ppm, why, whylen);
    if (strcmp(name, "dup") == 0)
        return parse_percent(s, len, &c->dup_ppm, why, whylen);
    if (strcmp(name, "reorder") == 0)
        return parse_percent(s, len, &c->reorder_ppm, why, whylen);
    if (strcmp(name, "corrupt") == 0)
        return parse_percent(s, len, &c->corrupt_ppm, why, whylen);
    if (strcmp(name, "delay") == 0)
        return parse_delay(s, len, c, why, whylen);
    return parse_rate(s, len, c, why, whylen);
}

/* "dir:value" items, comma-separated, each direction at most once. */
static int
parse_per_dir(struct fault_opts *o, const char *name, const char *arg,
              const char *const dirs[2], char *why, size_t whylen)
{
    struct fault_line_config next[2] = {o->dir[0], o->dir[1]};
    bool seen[2] = {false, false};
    const char *p = arg;

    for (;;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        int d = -1;
        for (int i = 0; i < 2 && d < 0; i++) {
            size_t n = strlen(dirs[i]);
            if ((size_t)(end - p) > n && strncmp(p, dirs[i], n) == 0 && p[n] == ':')
                d = i;
        }
        if (d < 0) {
            snprintf(why, whylen, "each item is %s:VALUE or %s:VALUE", dirs[0], dirs[1]);
            return -1;
        }
        if (seen[d]) {
            snprintf(why, whylen, "%s is given twice", dirs[d]);
            return -1;
        }
        seen[d] = true;
        size_t skip = strlen(dirs[d]) + 1;
        if (parse_value(name, p + skip, (size_t)(end - p) - skip, &next[d], why, whylen) <
            0)
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    o->dir[0] = next[0];
    o->dir[1] = next[1];
    return 0;
}

static int
parse_seed(const char *s, uint64_t *v)
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

static bool
fault_opt_known(const char *name)
{
    for (int i = 0; fault_opt_names[i]; i++)
        if (strcmp(name, fault_opt_names[i]) == 0)
            return true;
    return false;
}

int
fault_opt_parse(struct fault_opts *o, const char *name, const char *arg,
                const char *const dirs[2], char *err, size_t errlen)
{
    char why[128];

    if (!fault_opt_known(name))
        return -ENOENT;
    if (strcmp(name, "fault-seed") == 0) {
        if (parse_seed(arg, &o->seed) < 0) {
            snprintf(err, errlen,
                     "--fault-seed '%s' is not a number (decimal or 0x hex, 64 bits)",
                     arg);
            return -EINVAL;
        }
        o->have_seed = true;
        return 0;
    }
    int rc;
    if (strchr(arg, ':')) {
        rc = parse_per_dir(o, name, arg, dirs, why, sizeof(why));
    } else {
        struct fault_line_config c = o->dir[0];
        rc = parse_value(name, arg, strlen(arg), &c, why, sizeof(why));
        if (rc == 0) {
            /* the same value both ways: parse it into the second too */
            parse_value(name, arg, strlen(arg), &o->dir[1], why, sizeof(why));
            o->dir[0] = c;
        }
    }
    if (rc < 0) {
        snprintf(err, errlen, "--%s '%.*s': %s", name, FAULT_ITEM_MAX, arg, why);
        return -EINVAL;
    }
    o->any = true;
    return 0;
}

#define FAULT_WORDS_MAX 1024 /* a line of words, longest */

/* value without the '%' that may follow each percentage: "10%" and
 * "in:5%,out:1%" read as "10" and "in:5,out:1". */
static void
strip_percent(const char *name, const char *v, char *out, size_t cap)
{
    bool pct = strcmp(name, "delay") != 0 && strcmp(name, "rate") != 0;
    size_t n = 0;

    for (size_t i = 0; v[i] && n + 1 < cap; i++)
        if (!(pct && v[i] == '%' && (v[i + 1] == '\0' || v[i + 1] == ',')))
            out[n++] = v[i];
    out[n] = '\0';
}

/* The next word of *p (split at spaces and tabs) into w; false at the end. */
static bool
next_word(const char **p, char *w, size_t cap)
{
    const char *s = *p;
    size_t n = 0;

    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return false;
    while (*s && *s != ' ' && *s != '\t') {
        if (n + 1 < cap)
            w[n++] = *s;
        s++;
    }
    w[n] = '\0';
    *p = s;
    return true;
}

int
fault_opt_parse_words(struct fault_opts *o, const char *line, const char *const dirs[2],
                      char *err, size_t errlen)
{
    struct fault_opts next = *o;
    char name[FAULT_WORDS_MAX], value[FAULT_WORDS_MAX], clean[FAULT_WORDS_MAX];
    const char *p = line;
    bool any = false;

    if (strlen(line) >= FAULT_WORDS_MAX) {
        snprintf(err, errlen, "the settings are longer than %d characters",
                 FAULT_WORDS_MAX - 1);
        return -EINVAL;
    }
    while (next_word(&p, name, sizeof(name))) {
        any = true;
        if (strcmp(name, "off") == 0) {
            memset(next.dir, 0, sizeof(next.dir));
            continue;
        }
        char *n = name[0] == '-' && name[1] == '-' ? name + 2 : name;
        char *eq = strchr(n, '=');
        if (eq) {
            *eq = '\0';
            snprintf(value, sizeof(value), "%s", eq + 1);
        } else if (!next_word(&p, value, sizeof(value))) {
            snprintf(err, errlen, "'%.64s' wants a value", n);
            return -EINVAL;
        }
        if (strcmp(n, "fault-seed") == 0 || !fault_opt_known(n)) {
            snprintf(
                err, errlen,
                "'%.64s' is not one of off, loss, dup, reorder, corrupt, delay, rate", n);
            return -EINVAL;
        }
        strip_percent(n, value, clean, sizeof(clean));
        if (fault_opt_parse(&next, n, clean, dirs, err, errlen) < 0)
            return -EINVAL;
    }
    if (!any) {
        snprintf(err, errlen, "no settings given");
        return -EINVAL;
    }
    *o = next;
    return 0;
}

/* v / 10^decimals with its trailing zeros cut: 100000 with 4 -> "10" */
static void
fmt_fixed(uint64_t v, unsigned decimals, char *buf, size_t len)
{
    uint64_t scale = 1;

    for (unsigned i = 0; i < decimals; i++)
        scale *= 10;
    uint64_t frac = v % scale;
    if (!frac) {
        snprintf(buf, len, "%llu", (unsigned long long)(v / scale));
        return;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        decimals--;
    }
    snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(v / scale), (int)decimals,
             (unsigned long long)frac);
}

void
fault_opt_fmt(const struct fault_line_config *c, char *buf, size_t len)
{
    char loss[24], dup[24], reo[24], cor[24], delay[24], jitter[24], rate[40];

    fmt_fixed(c->drop_ppm, 4, loss, sizeof(loss));
    fmt_fixed(c->dup_ppm, 4, dup, sizeof(dup));
    fmt_fixed(c->reorder_ppm, 4, reo, sizeof(reo));
    fmt_fixed(c->corrupt_ppm, 4, cor, sizeof(cor));
    fmt_fixed(c->delay_us, 3, delay, sizeof(delay));
    fmt_fixed(c->jitter_us, 3, jitter, sizeof(jitter));
    if (c->rate_bps) {
        fmt_fixed(c->rate_bps, 6, rate, sizeof(rate) - 8);
        strcat(rate, "Mbit");
    } else {
        snprintf(rate, sizeof(rate), "unlimited");
    }
    snprintf(
        buf, len,
        "loss %s%% dup %s%% reorder %s%% corrupt %s%% delay %sms jitter %sms rate %s",
        loss, dup, reo, cor, delay, jitter, rate);
}
