/*
 * test_ustat.c - ustat's options and lines (apps/lib/ss_fmt.c): the
 * command line as ss takes it, which states each option shows, and the
 * words of -i, -o, -e, -p and the columns, from rows made by hand.
 */
/* cmocka needs these before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ss_fmt.h"
#include "proto/tcp.h"

/* the wire carries enum tcp_state's numbers: the engine's own, so that a
 * change there shows here */
enum {
    CLOSED = TCP_CLOSED,
    LISTEN = TCP_LISTEN,
    SYN_SENT = TCP_SYN_SENT,
    SYN_RECV = TCP_SYN_RECEIVED,
    ESTAB = TCP_ESTABLISHED,
    FW1 = TCP_FIN_WAIT_1,
    FW2 = TCP_FIN_WAIT_2,
    CLOSE_WAIT = TCP_CLOSE_WAIT,
    CLOSING = TCP_CLOSING,
    LAST_ACK = TCP_LAST_ACK,
    TIME_WAIT = TCP_TIME_WAIT
};

static int
parse(struct ss_opts *o, const char *line, char *err, size_t len)
{
    char copy[256], *argv[16] = {"ustat"};
    int argc = 1;

    snprintf(copy, sizeof(copy), "%s", line);
    for (char *w = strtok(copy, " "); w && argc < 15; w = strtok(NULL, " "))
        argv[argc++] = w;
    return ss_parse_args(argc, argv, o, err, len);
}

static void
test_args(void **state)
{
    (void)state;
    struct ss_opts o;
    char err[128];

    assert_int_equal(parse(&o, "", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_LIST);
    assert_true(o.tcp && o.udp && !o.all && !o.listening);
    assert_int_equal(parse(&o, "-tan", err, sizeof(err)), 0);
    assert_true(o.tcp && !o.udp && o.all && o.numeric);
    assert_int_equal(parse(&o, "-t -l -i -e -o -p", err, sizeof(err)), 0);
    assert_true(o.tcp && o.listening && o.info && o.extended && o.timers && o.processes);
    assert_int_equal(parse(&o, "--udp --listening --processes", err, sizeof(err)), 0);
    assert_true(o.udp && !o.tcp && o.listening && o.processes);
    assert_int_equal(parse(&o, "-s", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_SUMMARY);
    assert_int_equal(parse(&o, "-ts", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_SUMMARY);
    assert_int_equal(parse(&o, "-h", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_HELP);
    assert_int_equal(parse(&o, "--help", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_HELP);
    assert_int_equal(parse(&o, "arp", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_ARP);
    assert_int_equal(parse(&o, "route", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_ROUTE);
    assert_int_equal(parse(&o, "sockets", err, sizeof(err)), 0);
    assert_int_equal(o.cmd, SS_CMD_SOCKETS);

    const struct {
        const char *line, *why;
    } bad[] = {
        {"-x", "'-x'"},
        {"-tx", "'-x'"},
        {"--bogus", "'--bogus'"},
        {"bogus", "not a command"},
        {"arp route", "one command"},
        {"-s arp", "one command"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(parse(&o, bad[i].line, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].why))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].line, err, bad[i].why);
    }
    /* --help documents every option */
    const char *const opts[] = {"-t", "-u", "-l", "-a", "-n",  "-i",    "-e",
                                "-o", "-p", "-s", "-h", "arp", "route", "sockets"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (!strstr(ss_usage, opts[i]))
            fail_msg("--help does not mention %s", opts[i]);
}

static void
test_states(void **state)
{
    (void)state;
    const char *const want[] = {"UNCONN",  "LISTEN",     "SYN-SENT",   "SYN-RECV",
                                "ESTAB",   "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
                                "CLOSING", "LAST-ACK",   "TIME-WAIT"};
    struct ss_opts def = {0}, l = {.listening = true}, a = {.all = true};

    for (uint32_t s = 0; s <= TIME_WAIT; s++)
        assert_string_equal(ss_state_name(s), want[s]);
    assert_string_equal(ss_state_name(11), "UNKNOWN");
    assert_string_equal(ss_state_name(TCP_SYN_RECEIVED), "SYN-RECV");
    assert_string_equal(ss_state_name(TCP_TIME_WAIT), "TIME-WAIT");
    assert_string_equal(ss_state_name(TCP_ESTABLISHED), "ESTAB");
    assert_string_equal(ss_state_name(TCP_NSTATES), "UNKNOWN");
    assert_string_equal(ss_state_name(0xffffffff), "UNKNOWN");
    for (uint32_t s = 0; s <= TIME_WAIT; s++) {
        /* as ss: the default leaves out listeners, TIME-WAIT, SYN-RECV */
        bool shown = s != CLOSED && s != LISTEN && s != TIME_WAIT && s != SYN_RECV;
        assert_int_equal(ss_state_shown(&def, s), shown);
        assert_int_equal(ss_state_shown(&l, s), s == LISTEN);
        assert_true(ss_state_shown(&a, s));
    }
    struct ctl_sock_info unconn = {.state = 1}, conn = {.state = 2};
    assert_false(ss_udp_shown(&def, &unconn));
    assert_true(ss_udp_shown(&def, &conn));
    assert_true(ss_udp_shown(&l, &unconn));
    assert_false(ss_udp_shown(&l, &conn));
    assert_true(ss_udp_shown(&a, &unconn) && ss_udp_shown(&a, &conn));
}

static void
test_words(void **state)
{
    (void)state;
    char b[512];
    struct ctl_conn_info ci = {0};

    assert_string_equal(ss_endpoint(0x0a000002, 7, b, sizeof(b)), "10.0.0.2:7");
    assert_string_equal(ss_endpoint(0, 0, b, sizeof(b)), "0.0.0.0:*");
    assert_string_equal(ss_duration(0, b, sizeof(b)), "0ms");
    assert_string_equal(ss_duration(200, b, sizeof(b)), "200ms");
    assert_string_equal(ss_duration(1200, b, sizeof(b)), "1.200sec");
    assert_string_equal(ss_duration(59000, b, sizeof(b)), "59sec");
    assert_string_equal(ss_duration(120000, b, sizeof(b)), "2min");
    assert_string_equal(ss_duration(125000, b, sizeof(b)), "2min5sec");

    assert_string_equal(ss_timer(&ci, b, sizeof(b)), "");
    ci.timer = 1;
    ci.timer_ms = 200;
    assert_string_equal(ss_timer(&ci, b, sizeof(b)), "timer:(on,200ms,0)");
    ci.timer = 3;
    ci.timer_ms = 59999;
    assert_string_equal(ss_timer(&ci, b, sizeof(b)), "timer:(timewait,59sec,0)");
    ci.timer = 4;
    ci.timer_ms = 1600;
    ci.timer_retries = 2;
    assert_string_equal(ss_timer(&ci, b, sizeof(b)), "timer:(persist,1.600sec,2)");
    ci.timer = 2;
    assert_string_equal(ss_timer(&ci, b, sizeof(b)), "timer:(keepalive,1.600sec,2)");
    ci.timer = 5;
    assert_string_equal(ss_timer(&ci, b, sizeof(b)), "");

    assert_string_equal(ss_info(&ci, b, sizeof(b)), ""); /* no connection block */
    ci = (struct ctl_conn_info){.flags = CTL_CONN_INFO,
                                .options = 7,
                                .snd_wscale = 7,
                                .rcv_wscale = 9,
                                .rto_us = 204000,
                                .rtt_us = 1500,
                                .rttvar_us = 750,
                                .snd_mss = 1448,
                                .rcv_mss = 536,
                                .cwnd = 14480,
                                .ssthresh = 0x7fffffff,
                                .bytes_acked = 5,
                                .bytes_received = 6,
                                .total_retrans = 3,
                                .snd_wnd = 64512,
                                .rcv_wnd = 262144,
                                .unacked = 1449};
    assert_string_equal(ss_info(&ci, b, sizeof(b)),
                        "ts sack wscale:7,9 rto:204 rtt:1.5/0.75 mss:1448 rcvmss:536 "
                        "cwnd:10 bytes_acked:5 bytes_received:6 retrans:3 snd_wnd:64512 "
                        "rcv_wnd:262144 unacked:2");
    ci.options = 0;
    ci.ssthresh = 2896;
    assert_non_null(strstr(ss_info(&ci, b, sizeof(b)), "cwnd:10 ssthresh:2 "));
    assert_int_equal(strncmp(b, "rto:204 ", 8), 0);
    ss_info(&ci, b, 20); /* cut, terminated */
    assert_true(strlen(b) < 20);
}

/* line o row: what ss_conn_line writes */
static char *
line(const struct ss_opts *o, const struct ctl_conn_info *ci, const char *comm)
{
    static char out[1024];
    FILE *f = fmemopen(out, sizeof(out), "w");

    assert_non_null(f);
    ss_conn_line(o, ci, comm, f);
    fclose(f);
    return out;
}

static void
test_lines(void **state)
{
    (void)state;
    struct ss_opts o = {.tcp = true};
    struct ctl_conn_info ci = {.state = ESTAB,
                               .flags = CTL_CONN_SOCK | CTL_CONN_PID | CTL_CONN_INFO,
                               .laddr = 0x0a000002,
                               .lport = 7,
                               .raddr = 0x0a000001,
                               .rport = 40000,
                               .recv_q = 3,
                               .send_q = 1000,
                               .sock_id = 12,
                               .owner_pid = 4242,
                               .owner_uid = 1000,
                               .timer = 1,
                               .timer_ms = 200};

    assert_string_equal(
        line(&o, &ci, "unc"),
        "ESTAB      3      1000   10.0.0.2:7            10.0.0.1:40000\n");
    o = (struct ss_opts){
        .tcp = true, .processes = true, .timers = true, .extended = true};
    assert_string_equal(
        line(&o, &ci, "unc"),
        "ESTAB      3      1000   10.0.0.2:7            10.0.0.1:40000      "
        "  users:((\"unc\",pid=4242)) timer:(on,200ms,0) uid:1000 sk:12\n");
    assert_non_null(strstr(line(&o, &ci, ""), " users:((pid=4242)) "));
    /* another user's socket: no pid; an orphan: no socket at all */
    ci.flags = CTL_CONN_SOCK;
    assert_null(strstr(line(&o, &ci, "unc"), "users:"));
    ci.flags = CTL_CONN_ORPHAN;
    ci.state = FW2;
    char *l = line(&o, &ci, "");
    assert_int_equal(strncmp(l, "FIN-WAIT-2 ", 11), 0);
    assert_null(strstr(l, "users:"));
    assert_null(strstr(l, "uid:"));
    assert_non_null(strstr(l, " orphan\n"));
    /* both protocols: a Netid column; -i: a second line */
    o = (struct ss_opts){.tcp = true, .udp = true, .info = true};
    ci.flags = CTL_CONN_INFO;
    ci.rto_us = 200000;
    l = line(&o, &ci, "");
    assert_int_equal(strncmp(l, "tcp   FIN-WAIT-2 ", 17), 0);
    assert_non_null(strstr(l, "\n\t rto:200 "));

    char hdr[256];
    FILE *f = fmemopen(hdr, sizeof(hdr), "w");
    ss_header(&o, f);
    fclose(f);
    assert_int_equal(
        strncmp(hdr, "Netid State      Recv-Q Send-Q Local Address:Port", 49), 0);

    struct ctl_sock_info si = {.id = 3,
                               .owner_pid = 77,
                               .owner_uid = 0,
                               .state = 1,
                               .laddr = 0,
                               .lport = 9000,
                               .rx_queued = 12};
    o = (struct ss_opts){.udp = true, .processes = true};
    f = fmemopen(hdr, sizeof(hdr), "w");
    ss_udp_line(&o, &si, "udp-echo-server", f);
    fclose(f);
    assert_string_equal(hdr,
                        "UNCONN     12     0      0.0.0.0:9000          0.0.0.0:*      "
                        "       users:((\"udp-echo-server\",pid=77))\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
