/* setjmp/longjmp across frames, thread-local variables, errno, recursion. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf escape;
static __thread int tls_counter = 5;
static __thread char tls_name[16] = "thread-local";

static int dive(int depth) {
    if (depth == 0) longjmp(escape, 42);
    return dive(depth - 1) + 1;
}

int main(void) {
    int value = setjmp(escape);
    if (value == 0) {
        dive(1000);
        puts("not reached");
    }
    printf("longjmp returned %d\n", value);
    for (int i = 0; i < 10; ++i) tls_counter += i;
    printf("%s %d\n", tls_name, tls_counter);
    errno = 0;
    strtol("99999999999999999999", NULL, 10);
    printf("errno after overflow: %s\n", errno == ERANGE ? "ERANGE" : "other");
    return 0;
}
