/* certlib/src/region.c: the GB/T 2260 table and the hook adding newer codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certlib/ident.h"
#include "certlib/region.h"

static void test_builtin(void **state)
{
    (void)state;
    assert_true(certlib_region_exists(NULL, 330902));
    assert_true(certlib_region_exists(NULL, 412723)); /* retired in 2000, still on identity cards */
    assert_false(certlib_region_exists(NULL, 235407));
    assert_false(certlib_region_exists(NULL, 1000000));
    assert_int_equal(certlib_regions_count(NULL), 7042);

    certlib_region_info info;
    assert_int_equal(certlib_region_lookup(NULL, 412723, &info), CERTLIB_OK);
    assert_string_equal(info.name, "商水县");
    assert_int_equal(info.first, 198012);
    assert_int_equal(info.last, 199912);
    assert_int_equal(certlib_region_lookup(NULL, 235407, &info), CERTLIB_E_IDENT_REGION);
}

static void test_describe(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(certlib_region_describe(NULL, 330902, buf, sizeof(buf)), strlen("浙江省 舟山市 定海区"));
    assert_string_equal(buf, "浙江省 舟山市 定海区");
    certlib_region_describe(NULL, 110105, buf, sizeof(buf)); /* 110100 市辖区 is a placeholder */
    assert_string_equal(buf, "北京市 朝阳区");
    certlib_region_describe(NULL, 330000, buf, sizeof(buf));
    assert_string_equal(buf, "浙江省");
    certlib_region_describe(NULL, 235407, buf, sizeof(buf)); /* unknown county: the levels that exist */
    assert_string_equal(buf, "黑龙江省");
    assert_int_equal(certlib_region_describe(NULL, 990101, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    /* snprintf semantics: truncated but terminated, and the full length reported. */
    size_t need = certlib_region_describe(NULL, 330902, buf, 5);
    assert_int_equal(need, strlen("浙江省 舟山市 定海区"));
    assert_true(strlen(buf) < 5);
}

static void test_added_codes(void **state)
{
    (void)state;
    certlib_regions *regions;
    assert_int_equal(certlib_regions_new(&regions), CERTLIB_OK);
    assert_int_equal(certlib_regions_add(regions, 330999, "新区", strlen("新区")), CERTLIB_OK);
    assert_int_equal(certlib_regions_add(regions, 330902, "定海区（改）", strlen("定海区（改）")),
                     CERTLIB_OK);
    assert_int_equal(certlib_regions_add(regions, 99, "x", 1), CERTLIB_E_REGION_CODE);
    assert_int_equal(certlib_regions_add(regions, 330998, "\xff", 1), CERTLIB_E_IDENT_ENCODING);
    assert_int_equal(certlib_regions_count(regions), 7043);
    assert_true(certlib_region_exists(regions, 330999));
    assert_false(certlib_region_exists(NULL, 330999)); /* the built-in table is untouched */

    certlib_region_info info;
    assert_int_equal(certlib_region_lookup(regions, 330902, &info), CERTLIB_OK);
    assert_string_equal(info.name, "定海区（改）");

    /* A number from the new county passes only with the extended table. */
    certlib_ident_opts opts = {.regions = regions};
    certlib_ident r;
    const char *number = "330999199001010015";
    assert_int_equal(certlib_ident_check(number, 18, NULL, &r), CERTLIB_E_IDENT_REGION);
    assert_int_equal(certlib_ident_check(number, 18, &opts, &r), CERTLIB_OK);
    certlib_regions_free(regions);
}

static void test_load_tsv(void **state)
{
    (void)state;
    char path[] = "/tmp/regions-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# newer codes\ncode\tfirst\tlast\tname\n330998\t202101\t202101\t测试县\n33099\t1\t1\tbad\n");
    fclose(f);
    certlib_regions *regions;
    size_t bad_line = 0;
    assert_int_equal(certlib_regions_new(&regions), CERTLIB_OK);
    assert_int_equal(certlib_regions_load_tsv(regions, path, &bad_line), CERTLIB_E_REGION_CODE);
    assert_int_equal(bad_line, 4);
    assert_true(certlib_region_exists(regions, 330998));
    assert_int_equal(certlib_regions_load_tsv(regions, "/nonexistent/x.tsv", NULL), CERTLIB_E_IO_OPEN);
    certlib_regions_free(regions);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_added_codes),
        cmocka_unit_test(test_load_tsv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
