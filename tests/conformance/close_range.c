/* close_range: descriptors in a range closed, or marked close-on-exec, the
 * others left alone; the numbers it frees given out again; bad flags and a
 * reversed range refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)

static long close_range_(unsigned first, unsigned last, unsigned flags) {
    return syscall(SYS_close_range, first, last, flags);
}

static void show(const char* what, int from, int to) {
    printf("%s:", what);
    for (int fd = from; fd <= to; ++fd) {
        const int flags = fcntl(fd, F_GETFD);
        printf(" %d=%s", fd, flags < 0 ? (errno == EBADF ? "closed" : "error") : (flags & FD_CLOEXEC) ? "cloexec" : "open");
    }
    printf("\n");
}

int main(void) {
    for (int i = 0; i < 6; ++i) dup(1);  /* 3..8 */
    show("made", 3, 9);
    printf("close 4..5: %ld\n", close_range_(4, 5, 0));
    show("after", 3, 9);
    printf("cloexec 6..7: %ld\n", close_range_(6, 7, CLOSE_RANGE_CLOEXEC));
    show("after", 3, 9);
    printf("unshare 8..8: %ld\n", close_range_(8, 8, CLOSE_RANGE_UNSHARE));
    show("after", 3, 9);
    printf("dup gives %d\n", dup(1));
    long result = close_range_(7, 3, 0);
    printf("reversed: %ld %s\n", result, strerror(errno));
    result = close_range_(3, 9, 1);
    printf("bad flags: %ld %s\n", result, strerror(errno));
    printf("close 3..~0: %ld\n", close_range_(3, ~0U, 0));
    show("after", 3, 9);
    printf("stdout still open: %d\n", fcntl(1, F_GETFD) >= 0);
    return 0;
}
