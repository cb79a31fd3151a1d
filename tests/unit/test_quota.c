/*
 * test_quota.c - the daemon's socket table at scale (stack/daemon/slots.c)
 * and its quotas (stack/daemon/quota.c): slots taken and given back in
 * O(1) past the old fixed 1,024, reused newest first, the limit as
 * -ENFILE; per-process and per-uid quotas as -EMFILE, the table as
 * -ENFILE, one program at its quota leaving room for another's, counts
 * given back; the defaults drawn from the descriptor limit.
 */
/* cmocka needs these before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "daemon/quota.h"
#include "daemon/slots.h"

static int marker[100000];

static void
test_slots_grow_past_1024(void **state)
{
    struct slots t;

    (void)state;
    slots_init(&t, 100000);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(slots_take(&t, &marker[i]), i);
    assert_int_equal(t.count, 100000);
    assert_ptr_equal(slots_get(&t, 99999), &marker[99999]);
    assert_null(slots_get(&t, 100000));
    /* the limit: -ENFILE, nothing changes */
    assert_int_equal(slots_take(&t, &marker[0]), -ENFILE);
    assert_int_equal(t.count, 100000);
    slots_free(&t);
}

static void
test_slots_free_list(void **state)
{
    struct slots t;

    (void)state;
    slots_init(&t, 1000);
    for (int i = 0; i < 10; i++)
        assert_int_equal(slots_take(&t, &marker[i]), i);
    slots_put(&t, 3);
    slots_put(&t, 7);
    slots_put(&t, 7); /* twice: no harm */
    assert_null(slots_get(&t, 3));
    assert_int_equal(t.count, 8);
    /* newest freed first, then the never used */
    assert_int_equal(slots_take(&t, &marker[20]), 7);
    assert_int_equal(slots_take(&t, &marker[21]), 3);
    assert_int_equal(slots_take(&t, &marker[22]), 10);
    assert_ptr_equal(slots_get(&t, 3), &marker[21]);
    assert_int_equal(slots_end(&t), 11);
    slots_free(&t);
}

static void
test_slots_limit_cap(void **state)
{
    struct slots t;

    (void)state;
    slots_init(&t, UINT32_MAX);
    assert_int_equal(t.limit, SLOTS_LIMIT_MAX); /* what an epoll tag holds */
    slots_init(&t, 3);
    for (int i = 0; i < 3; i++)
        assert_true(slots_take(&t, &marker[i]) >= 0);
    assert_int_equal(slots_take(&t, &marker[3]), -ENFILE);
    slots_put(&t, 1);
    assert_int_equal(slots_take(&t, &marker[3]), 1);
    slots_free(&t);
}

static void
test_quota_process_then_uid_then_table(void **state)
{
    struct quota_limits l = {.table = 10, .per_uid = 6, .per_process = 4};
    struct quota q;

    (void)state;
    quota_init(&q, &l);
    for (int i = 0; i < 4; i++)
        assert_int_equal(quota_charge(&q, 1000, 42), 0);
    /* the process's quota: EMFILE, as RLIMIT_NOFILE */
    assert_int_equal(quota_charge(&q, 1000, 42), -EMFILE);
    assert_int_equal(quota_of_pid(&q, 42), 4);
    /* another process of the same uid, up to the uid's quota */
    assert_int_equal(quota_charge(&q, 1000, 43), 0);
    assert_int_equal(quota_charge(&q, 1000, 43), 0);
    assert_int_equal(quota_charge(&q, 1000, 43), -EMFILE);
    assert_int_equal(quota_of_uid(&q, 1000), 6);
    /* another uid, up to the table: ENFILE, as file-max */
    for (int i = 0; i < 4; i++)
        assert_int_equal(quota_charge(&q, 0, 100 + i), 0);
    assert_int_equal(quota_charge(&q, 0, 200), -ENFILE);
    assert_int_equal(q.total, 10);
    /* given back: room again */
    quota_release(&q, 1000, 42);
    assert_int_equal(quota_of_pid(&q, 42), 3);
    assert_int_equal(quota_charge(&q, 0, 200), 0);
    quota_free(&q);
}

/* One program holds its quota; another uid's opens and closes 1,000. */
static void
test_quota_one_program_leaves_room(void **state)
{
    struct quota_limits l = {0};
    struct quota q;
    int held = 0;

    (void)state;
    quota_limits_default(&l, 20000);
    quota_init(&q, &l);
    while (quota_charge(&q, 65534, 777) == 0)
        held++;
    assert_int_equal(held, (int)l.per_process);
    assert_int_equal(quota_charge(&q, 65534, 777), -EMFILE);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(quota_charge(&q, 0, 888), 0);
        quota_release(&q, 0, 888);
    }
    assert_int_equal(quota_of_pid(&q, 888), 0);
    assert_int_equal(q.uid.keys, 1); /* a count at 0 is forgotten */
    assert_int_equal(q.total, (uint32_t)held);
    quota_free(&q);
}

static void
test_quota_defaults(void **state)
{
    struct quota_limits l = {0};

    (void)state;
    quota_limits_default(&l, 20000);
    assert_int_equal(l.table, 20000 - QUOTA_FD_RESERVE);
    assert_int_equal(l.per_uid, l.table / 2);
    assert_int_equal(l.per_process, l.table / 4);
    /* set by the options: kept, but never above the table */
    l = (struct quota_limits){.per_uid = 100, .per_process = 1000000};
    quota_limits_default(&l, 1024);
    assert_int_equal(l.table, 1024 - QUOTA_FD_RESERVE);
    assert_int_equal(l.per_uid, 100);
    assert_int_equal(l.per_process, l.table);
    /* a tiny limit still leaves one of each */
    l = (struct quota_limits){0};
    quota_limits_default(&l, 3);
    assert_true(l.table >= 1 && l.per_uid >= 1 && l.per_process >= 1);
    /* no limit: what a slot number holds */
    l = (struct quota_limits){0};
    quota_limits_default(&l, UINT64_MAX);
    assert_int_equal(l.table, SLOTS_LIMIT_MAX);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_grow_past_1024),
        cmocka_unit_test(test_slots_free_list),
        cmocka_unit_test(test_slots_limit_cap),
        cmocka_unit_test(test_quota_process_then_uid_then_table),
        cmocka_unit_test(test_quota_one_program_leaves_room),
        cmocka_unit_test(test_quota_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
