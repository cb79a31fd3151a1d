/*
 * addr.c - address text forms. See addr.h.
 */
#include "wire/addr.h"

#include <stdio.h>
#include <stdlib.h>

#include "stack.h"

int
ip_parse(const char *str, uint32_t *addr)
{
    uint32_t a = 0;
    const char *p = str;

    for (int i = 0; i < 4; i++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*p++ - '0');
            digits++;
        }
        if (v > 255 || digits > 3)
            return -1;
        a = a << 8 | v;
        if (i < 3 && *p++ != '.')
            return -1;
    }
    if (*p != '\0')
        return -1;
    *addr = a;
    return 0;
}

int
ip_prefix_parse(const char *str, uint32_t *addr, uint8_t *prefix_len)
{
    char buf[32];
    const char *slash = NULL;
    size_t n = 0;

    for (const char *p = str; *p; p++, n++)
        if (*p == '/')
            slash = p;
    if (!slash || n >= sizeof(buf) || (size_t)(slash - str) >= sizeof(buf))
        return -1;
    snprintf(buf, sizeof(buf), "%.*s", (int)(slash - str), str);
    char *end;
    long len = strtol(slash + 1, &end, 10);
    /* digits only: strtol alone would take " 24" and "+24" */
    if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || len < 1 || len > 32)
        return -1;
    if (ip_parse(buf, addr) < 0)
        return -1;
    *prefix_len = (uint8_t)len;
    return 0;
}

static int
hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
mac_parse(const char *str, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int hi = hex_digit(str[0]);
        if (hi < 0) /* before reading str[1]: str[0] may be the NUL */
            return -1;
        int lo = hex_digit(str[1]);
        if (lo < 0)
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
        str += 2;
        if (i < 5 && *str++ != ':')
            return -1;
    }
    return *str == '\0' ? 0 : -1;
}

void
mac_from_addr(uint32_t addr, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = mac[2] = 0;
    mac[3] = (uint8_t)(addr >> 16);
    mac[4] = (uint8_t)(addr >> 8);
    mac[5] = (uint8_t)addr;
}

const char *
ip_fmt(uint32_t a, char buf[IP_STR_LEN])
{
    snprintf(buf, IP_STR_LEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
             (a >> 8) & 0xff, a & 0xff);
    return buf;
}

const char *
mac_fmt(const uint8_t m[6], char buf[MAC_STR_LEN])
{
    snprintf(buf, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
             m[3], m[4], m[5]);
    return buf;
}
