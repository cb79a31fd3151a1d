/*
 * us_admin.c - libustack's calls that look at the daemon rather than at
 * one socket: its socket table (CTL_LIST), its connections (CTL_CONNS),
 * its texts (CTL_TEXT) and its faults (CTL_FAULT), for ustat and
 * ustack-ctl. See ustack_admin.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "us_priv.h"
#include "ustack_admin.h"

static void
sock_row(const uint8_t *b, void *row)
{
    ctl_sock_info_get(b, row);
}

static void
conn_row(const uint8_t *b, void *row)
{
    ctl_conn_info_get(b, row);
}

/* A listing the daemon sends in pages (CTL_LIST, CTL_CONNS): asks page
 * after page, each row of row_len bytes on the wire decoded by get into
 * the next row_size bytes of rows, until the total or max rows. Returns
 * the total when it is more than max (the caller may ask again with room
 * for it), else the rows filled; -1 with errno. */
static int
us_paged(uint8_t type, size_t row_len, size_t page_rows,
         void (*get)(const uint8_t *b, void *row), void *rows, size_t row_size, int max)
{
    const size_t cap = page_rows * row_len;
    uint32_t first = 0, total = 0;

    if (max < 0)
        return us_fail(-EINVAL);
    if (max > 0 && !rows)
        return us_fail(-EFAULT);
    uint8_t *page = malloc(cap);
    if (!page)
        return us_fail(-ENOMEM);
    for (;;) {
        struct ctl_msg m = {.h.type = type, .u.list = {first}};
        int r = ctl_call(&m, -1, &m, NULL, page, cap);
        if (r < 0) {
            free(page);
            return us_fail(r);
        }
        total = m.u.total;
        size_t got = m.data_len / row_len;
        for (size_t i = 0; i < got && first + i < (uint32_t)max; i++)
            get(page + i * row_len, (uint8_t *)rows + (first + i) * row_size);
        first += (uint32_t)got;
        if (got == 0 || first >= total || first >= (uint32_t)max)
            break;
    }
    free(page);
    if (total > (uint32_t)max)
        return total > INT32_MAX ? INT32_MAX : (int)total;
    return (int)(first < total ? first : total); /* the tables shrank meanwhile */
}

int
us_list(struct ctl_sock_info *rows, int max)
{
    return us_paged(CTL_LIST, CTL_SOCK_INFO_LEN, CTL_LIST_MAX, sock_row, rows,
                    sizeof(*rows), max);
}

int
us_conns(struct ctl_conn_info *rows, int max)
{
    return us_paged(CTL_CONNS, CTL_CONN_INFO_LEN, CTL_CONNS_MAX, conn_row, rows,
                    sizeof(*rows), max);
}

char *
us_text(enum ctl_text_what what, size_t *len)
{
    uint8_t *page = malloc(CTL_TEXT_MAX);
    char *text = NULL;
    size_t have = 0;

    if (!page) {
        us_fail(-ENOMEM);
        return NULL;
    }
    for (;;) {
        struct ctl_msg m = {.h.type = CTL_TEXT,
                            .u.text = {(uint32_t)what, (uint32_t)have}};
        int r = ctl_call(&m, -1, &m, NULL, page, CTL_TEXT_MAX);
        if (r < 0) {
            free(page);
            free(text);
            us_fail(r);
            return NULL;
        }
        char *grown = realloc(text, have + m.data_len + 1);
        if (!grown) {
            free(page);
            free(text);
            us_fail(-ENOMEM);
            return NULL;
        }
        text = grown;
        memcpy(text + have, page, m.data_len);
        have += m.data_len;
        text[have] = '\0';
        /* the text is written anew for each page: it may have shrunk */
        if (m.data_len == 0 || have >= m.u.total)
            break;
    }
    free(page);
    if (len)
        *len = have;
    return text;
}

int
us_fault(const char *spec, char *msg, size_t msglen)
{
    char reply[CTL_FAULT_MSG_MAX];
    size_t len = spec ? strlen(spec) : 0;

    if (msglen)
        msg[0] = '\0';
    if (!spec)
        return us_fail(-EFAULT);
    if (len == 0 || len > CTL_FAULT_SPEC_MAX)
        return us_fail(-EINVAL);
    struct ctl_msg m = {
        .h.type = CTL_FAULT, .data = (const uint8_t *)spec, .data_len = len};
    struct ctl_msg rep = {0};
    int r = ctl_call(&m, -1, &rep, NULL, reply, sizeof(reply));
    if (msglen && rep.h.type == CTL_FAULT) { /* a reply came */
        size_t n = rep.data_len < msglen - 1 ? rep.data_len : msglen - 1;
        memcpy(msg, reply, n);
        msg[n] = '\0';
    }
    return r < 0 ? us_fail(r) : 0;
}
