/*
 * tap_skip.h - an honest skip for cmocka cases under CMOCKA_MESSAGE_OUTPUT=TAP.
 *
 * cmocka 1.1.x prints a case that calls skip() as "not ok N - name # SKIP",
 * which prove counts as a failure, and gives no reason. So a case that cannot
 * run here (no corpus, no /dev/kvm) is decided in main(), before the group
 * runs: TAP_SKIPPED(test_x, "why") registers, in test_x's place, a case that
 * runs nothing and whose name carries TAP's directive, so the line reads
 * "ok N - test_x # SKIP why": counted by prove as skipped, with the reason.
 * Include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_TAP_SKIP_H
#define TESTS_UNIT_TAP_SKIP_H

static inline void tap_skipped_case(void **state)
{
	(void)state; /* nothing ran: the name says "# SKIP" and why */
}

#define TAP_SKIPPED(f, why) \
	((struct CMUnitTest){ #f " # SKIP " why, tap_skipped_case, NULL, NULL, NULL })
/* f when run is true, else its skip with the reason why (a string literal). */
#define TAP_UNIT_TEST_IF(run, f, why) ((run) ? (struct CMUnitTest)cmocka_unit_test(f) : TAP_SKIPPED(f, why))

#endif
