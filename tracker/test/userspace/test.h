/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the host tests: the check counter and the state reset. */
#ifndef MT_TEST_H
#define MT_TEST_H

#include <stdio.h>

extern int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

/* Empty lists, zero counters, empty log (test_modtrack.c). */
void reset(void);

/* test_loads.c */
void test_loads(void);

#endif /* MT_TEST_H */
