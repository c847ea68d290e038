/* Attacks on the limits the engine enforces, one per mode (argv[1]): code
 * that never calls its host, long string instructions, blocking calls, a
 * translator kept busy with code it has never seen, and code rewriting
 * itself. Each runs forever unless a limit stops it; "count N" runs N loop
 * iterations and exits 0, for the runs that stay within a limit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef int (*function)(void);

static void *map(size_t bytes, int prot) {
    void *p = mmap(0, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return p;
}

static void spin(void) {
    for (;;) __asm__ volatile("" ::: "memory");
}

static int count(long iterations) {
    volatile long n = 0;
    for (long i = 0; i < iterations; ++i) n += i;
    return 0;
}

/* One rep movsb of 128 MiB after another. */
static void rep_movs(int through_host) {
    char *buffer = map(256u << 20, PROT_READ | PROT_WRITE);
    for (;;) {
        void *from = buffer, *to = buffer + (128u << 20);
        unsigned n = 128u << 20;
        if (through_host)  /* with a ds: prefix, which the host carries out itself */
            __asm__ volatile(".byte 0x3e\n\trep movsb" : "+S"(from), "+D"(to), "+c"(n) :: "memory");
        else
            __asm__ volatile("rep movsb" : "+S"(from), "+D"(to), "+c"(n) :: "memory");
    }
}

static void blocked_read(void) {
    int fds[2];
    char byte;
    if (pipe(fds) != 0) exit(2);
    read(fds[0], &byte, 1);  /* its write end stays open: never returns */
    exit(3);
}

static void long_sleep(void) {
    struct timespec forever = {100000, 0};
    nanosleep(&forever, 0);
    exit(3);
}

/* 1 Mi instructions of straight-line code (add $1, %eax), run again and again. */
static void straight_line_code(void) {
    const size_t n = 1u << 20;
    uint8_t *code = map(3 * n + 1, PROT_READ | PROT_WRITE);
    for (size_t i = 0; i < n; ++i) memcpy(code + 3 * i, "\x83\xc0\x01", 3);
    code[3 * n] = 0xc3;
    mprotect(code, 3 * n + 1, PROT_READ | PROT_EXEC);
    for (;;) ((function)code)();
}

/* 256 Ki distinct functions (inc %eax; ret), called in turn through a pointer. */
static void many_branch_targets(void) {
    const size_t n = 256u << 10;
    uint8_t *code = map(2 * n, PROT_READ | PROT_WRITE);
    for (size_t i = 0; i < n; ++i) memcpy(code + 2 * i, "\x40\xc3", 2);
    mprotect(code, 2 * n, PROT_READ | PROT_EXEC);
    for (;;)
        for (size_t i = 0; i < n; ++i) ((function)(code + 2 * i))();
}

/* Code rewritten before every call: mov $i, %eax; ret. */
static void rewrite_storm(void) {
    uint8_t *code = map(4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    for (int i = 0;; ++i) {
        code[0] = 0xb8;
        memcpy(code + 1, &i, 4);
        code[5] = 0xc3;
        if (((function)code)() != i) exit(4);
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "spin")) spin();
    if (!strcmp(mode, "count") && argc == 3) return count(atol(argv[2]));
    if (!strcmp(mode, "rep-movs")) rep_movs(0);
    if (!strcmp(mode, "rep-movs-host")) rep_movs(1);
    if (!strcmp(mode, "blocked-read")) blocked_read();
    if (!strcmp(mode, "sleep")) long_sleep();
    if (!strcmp(mode, "straight-line")) straight_line_code();
    if (!strcmp(mode, "branch-targets")) many_branch_targets();
    if (!strcmp(mode, "rewrite")) rewrite_storm();
    fprintf(stderr, "usage: engine_attack spin|count N|rep-movs|rep-movs-host|blocked-read|sleep|"
                    "straight-line|branch-targets|rewrite\n");
    return 2;
}
