/* Guests that block in every way the Linux personality waits on the host,
 * and guests that press on the host mappings (VMAs) their memory makes.
 * pressure.sh runs each case and says what must come of it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int quiet_pipe(int fds[2]) { /* its write end stays open: reads never return */
    if (pipe(fds) != 0) exit(2);
    return fds[0];
}

static void on_usr1(int signo) { (void)signo; }

static int block(const char *mode, char **argv) {
    int fds[2];
    if (!strcmp(mode, "pause")) {
        signal(SIGUSR1, on_usr1);
        pause();
    } else if (!strcmp(mode, "sigsuspend")) {
        signal(SIGUSR1, on_usr1);
        sigset_t none;
        sigemptyset(&none);
        sigsuspend(&none);
    } else if (!strcmp(mode, "sigtimedwait")) {
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, 0);
        sigwaitinfo(&usr1, 0);
    } else if (!strcmp(mode, "wait4")) {
        pid_t child = fork();
        if (child == 0) {
            for (;;) pause();
        }
        waitpid(child, 0, 0);
    } else if (!strcmp(mode, "futex")) {
        static int word;
        syscall(SYS_futex, &word, FUTEX_WAIT, 0, 0, 0, 0);
    } else if (!strcmp(mode, "poll")) {
        struct pollfd p = {quiet_pipe(fds), POLLIN, 0};
        poll(&p, 1, -1);
    } else if (!strcmp(mode, "ppoll")) {
        struct pollfd p = {quiet_pipe(fds), POLLIN, 0};
        ppoll(&p, 1, 0, 0);
    } else if (!strcmp(mode, "select")) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(quiet_pipe(fds), &r);
        select(fds[0] + 1, &r, 0, 0, 0);
    } else if (!strcmp(mode, "pselect6")) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(quiet_pipe(fds), &r);
        pselect(fds[0] + 1, &r, 0, 0, 0, 0);
    } else if (!strcmp(mode, "read-pipe")) {
        char byte;
        read(quiet_pipe(fds), &byte, 1);
    } else if (!strcmp(mode, "read-stdin")) { /* a terminal, when pressure.sh gives one */
        char byte;
        if (!isatty(0)) return 4;
        read(0, &byte, 1);
    } else if (!strcmp(mode, "write-pipe")) { /* nobody reads: it fills, then blocks */
        static char chunk[4096];
        quiet_pipe(fds);
        for (;;)
            if (write(fds[1], chunk, sizeof chunk) < 0) break;
    } else if (!strcmp(mode, "flock") || !strcmp(mode, "ofd-lock")) {
        int a = open("/tmp/lock", O_RDWR | O_CREAT, 0600), b = open("/tmp/lock", O_RDWR);
        if (a < 0 || b < 0) return 5;
        if (!strcmp(mode, "flock")) {
            if (flock(a, LOCK_EX) != 0) return 6;
            flock(b, LOCK_EX);
        } else {
            struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            if (fcntl(a, F_OFD_SETLK, &whole) != 0) return 6;
            fcntl(b, F_OFD_SETLKW, &whole);
        }
    } else if (!strcmp(mode, "nanosleep")) {
        struct timespec forever = {100000, 0};
        nanosleep(&forever, 0);
    } else if (!strcmp(mode, "clock-nanosleep")) {
        struct timespec forever = {100000, 0};
        clock_nanosleep(CLOCK_MONOTONIC, 0, &forever, 0);
    } else if (!strcmp(mode, "exec-loop")) { /* the image again and again */
        for (;;) execv("/proc/self/exe", argv);
    } else {
        return -1;
    }
    return 3; /* it came back: the case's status says it did not block */
}

/* ---- host mappings ---- */

enum { kPage = 4096 };

/* Splits `pages` pages at `base` (mapped read-write) with mprotect, every
 * other page read-only, until the guest's mappings give out: the number of
 * splits made; errno says why it stopped. */
static long fragment(char *base, long pages) {
    long splits = 0;
    for (long p = 1; p + 1 < pages; p += 2) {
        if (mprotect(base + p * kPage, kPage, PROT_READ) != 0) return splits;
        ++splits;
    }
    errno = 0;
    return splits;
}

static char *map(long pages, int prot) {
    char *m = mmap(0, pages * kPage, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return m;
}

/* mprotect splits past the limit: ENOMEM, and the guest goes on. */
static int mprotect_splits(void) {
    char *region = map(20000, PROT_READ | PROT_WRITE);
    long splits = fragment(region, 20000);
    if (errno != ENOMEM) {
        printf("splitting stopped after %ld splits with errno %d, not ENOMEM\n", splits, errno);
        return 1;
    }
    /* munmap in the middle of the unsplit rest is a split too */
    int unmapped = munmap(region + 19990 * kPage, kPage);
    int unmap_errno = errno;
    if (unmapped == 0 || unmap_errno != ENOMEM) {
        printf("munmap splitting a mapping at the limit: %d (%s), not ENOMEM\n", unmapped, strerror(unmap_errno));
        return 1;
    }
    /* Going on: joining the pieces again gives mappings back. */
    if (mprotect(region, 20000 * kPage, PROT_READ | PROT_WRITE) != 0) {
        perror("mprotect of the whole region");
        return 1;
    }
    region[7 * kPage] = 1;
    if (fragment(region, 40) != 19) {
        printf("could not split again after joining\n");
        return 1;
    }
    printf("ENOMEM after %ld splits, for munmap too; joined and split again\n", splits);
    return 0;
}

/* Code in three adjacent read-write-execute pages (write-protected as one
 * host mapping once run), then the mappings fragmented to the limit, then
 * writes into the middle code page: by the host (uname) and by the guest. */
static int code_write_at_limit(void) {
    unsigned char *code = (unsigned char *)map(3, PROT_READ | PROT_WRITE | PROT_EXEC);
    for (int p = 0; p < 3; ++p) {
        code[p * kPage] = 0xb8; /* mov $p, %eax; ret */
        memcpy(code + p * kPage + 1, &p, 4);
        code[p * kPage + 5] = 0xc3;
        if (((int (*)(void))(code + p * kPage))() != p) return 2;
    }
    char *region = map(20000, PROT_READ | PROT_WRITE);
    long splits = fragment(region, 20000);
    if (errno != ENOMEM) return 2;
    struct utsname *name = (struct utsname *)(code + kPage + 64);
    int r = uname(name);
    if (r != 0) {
        printf("uname into the middle code page: %s\n", strerror(errno));
        return 1;
    }
    code[kPage + 1] = 7; /* and the guest's own write: the next call sees it */
    int seven = ((int (*)(void))(code + kPage))();
    printf("after %ld splits: uname into the middle code page gave %s; the rewritten code returns %d\n", splits,
           name->sysname, seven);
    return seven == 7 && !strcmp(name->sysname, "Linux") ? 0 : 1;
}

/* Code in the middle of read-write-execute runs, page after page, once the
 * mappings are at the limit: each needs its page write-protected, which
 * splits its run; past what the engine may add, the run must stop. */
static int protect_code_at_limit(void) {
    const int pages = 400;
    unsigned char *code = (unsigned char *)map(pages, PROT_READ | PROT_WRITE | PROT_EXEC);
    for (int p = 0; p < pages; ++p) code[p * kPage] = 0xc3; /* ret */
    char *region = map(20000, PROT_READ | PROT_WRITE);
    long splits = fragment(region, 20000);
    if (errno != ENOMEM) return 2;
    printf("%ld splits\n", splits);
    fflush(stdout);
    for (int p = 1; p < pages; p += 2) ((void (*)(void))(code + p * kPage))();
    printf("ran code on %d pages without running out of host mappings\n", pages / 2);
    return 1;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "mprotect-splits")) return mprotect_splits();
    if (!strcmp(mode, "code-write-at-limit")) return code_write_at_limit();
    if (!strcmp(mode, "protect-code-at-limit")) return protect_code_at_limit();
    int r = block(mode, argv);
    if (r >= 0) return r;
    fprintf(stderr, "usage: pressure_attack pause|sigsuspend|sigtimedwait|wait4|futex|poll|ppoll|select|pselect6|read-pipe|"
                    "read-stdin|write-pipe|flock|ofd-lock|nanosleep|clock-nanosleep|exec-loop|"
                    "mprotect-splits|code-write-at-limit|protect-code-at-limit\n");
    return 2;
}
