/* The checks of the C API's test programs (C99): each failed one is printed
 * with where it is and vx_last_error(), and counted; finish() says how many
 * failed and is the program's exit status. */
#ifndef VX_TESTS_CAPI_CHECK_H
#define VX_TESTS_CAPI_CHECK_H

#include <stdio.h>

#include "vx/vx.h"

/* Checks that failed (threads may count theirs apart: CHECK_COUNTING). */
static int failures;

#define CHECK_COUNTING(counter, condition)                                                \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            fprintf(stderr, "%s:%d: %s: failed: %s (last error: %s)\n", __FILE__, __LINE__, \
                    __func__, #condition, vx_last_error());                                \
            ++(counter);                                                                  \
        }                                                                                 \
    } while (0)
#define CHECK(condition) CHECK_COUNTING(failures, condition)
/* A status: what was expected, or a failure naming both. */
#define CHECK_STATUS(call, expected)                                                      \
    do {                                                                                  \
        vx_status got_ = (call);                                                          \
        if (got_ != (expected)) {                                                         \
            fprintf(stderr, "%s:%d: %s: %s gave %s, not %s (last error: %s)\n", __FILE__,  \
                    __LINE__, __func__, #call, vx_status_name(got_), #expected,             \
                    vx_last_error());                                                     \
            ++failures;                                                                   \
        }                                                                                 \
    } while (0)
#define CHECK_OK(call) CHECK_STATUS(call, VX_OK)

static int finish(void) {
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("every check passed\n");
    return 0;
}

#endif
