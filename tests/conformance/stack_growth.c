/* The stack as it grows (Linux's grow-down stack, RLIMIT_STACK 8 MiB): deep
 * recursion, 1 MiB local arrays written from either end, read() into stack
 * memory below anything the program touched, a signal frame written below
 * the stack's edge, and a recursion past 8 MiB, which dies of SIGSEGV. Each
 * part runs in a child of its own, so that each starts from the stack the
 * program started with (its first 128 KiB or so).
 * vx-flags: -fno-stack-clash-protection
 * (Big frames stay untouched until the program writes them.) */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define KiB 1024u
#define MiB (1024u * 1024u)

/* About 1 KiB of stack a level, all of it written. */
__attribute__((noinline)) static unsigned recurse(unsigned levels) {
    volatile unsigned char frame[1000];
    memset((unsigned char *)frame, (int)levels, sizeof frame);
    if (levels == 0) return 0;
    return recurse(levels - 1) + frame[sizeof frame - 1];
}

static int deep_recursion(void) {
    unsigned levels = 7000;  /* about 7 MiB */
    printf("recursion through %u KiB-frames: sum %u\n", levels, recurse(levels));
    return 0;
}

static int overflow(void) {
    /* As vxrun gives it, whatever the limit this program was started with. */
    struct rlimit stack = {8 * MiB, 8 * MiB};
    setrlimit(RLIMIT_STACK, &stack);
    printf("recursing without end\n");
    fflush(stdout);
    return (int)recurse(1u << 20);  /* 1 GiB: never returns */
}

__attribute__((noinline)) static int array_top_down(void) {
    volatile unsigned char a[MiB];
    for (unsigned i = MiB; i-- > 0;) a[i] = (unsigned char)(i * 7);
    unsigned sum = 0;
    for (unsigned i = 0; i < MiB; ++i) sum = sum * 31 + a[i];
    printf("1 MiB array written from the top: sum %u\n", sum);
    return 0;
}

__attribute__((noinline)) static int array_bottom_up(void) {
    volatile unsigned char a[MiB];
    for (unsigned i = 0; i < MiB; ++i) a[i] = (unsigned char)(i * 13);
    unsigned sum = 0;
    for (unsigned i = 0; i < MiB; ++i) sum = sum * 31 + a[i];
    printf("1 MiB array written from the bottom: sum %u\n", sum);
    return 0;
}

static unsigned char pattern[64 * KiB];  /* a pipe's capacity */

static int fill_pipe(int p[2]) {
    for (unsigned i = 0; i < sizeof pattern; ++i) pattern[i] = (unsigned char)(i * 31 + 5);
    if (pipe(p) != 0 || write(p[1], pattern, sizeof pattern) != (ssize_t)sizeof pattern) return -1;
    return close(p[1]);
}

__attribute__((noinline)) static int read_into_local_array(void) {
    unsigned char buffer[512 * KiB];
    int p[2];
    if (fill_pipe(p) != 0) return 2;
    ssize_t n = read(p[0], buffer, sizeof buffer);
    printf("read into a 512 KiB local array: %zd bytes, %s\n", n,
           n == (ssize_t)sizeof pattern && !memcmp(buffer, pattern, sizeof pattern) ? "as written" : "NOT as written");
    return 0;
}

/* read(fd, esp - below, count), made with esp where it is: nothing is
 * pushed in between, so the buffer lies below all the program touched. */
static long read_below_esp(int fd, unsigned below, unsigned count, unsigned char **buffer) {
    long result;
    unsigned char *at;
    __asm__ volatile("mov %%esp, %%ecx\n\t"
                     "sub %[below], %%ecx\n\t"
                     "int $0x80"
                     : "=a"(result), "=&c"(at)
                     : "0"(3L /* read */), "b"(fd), [below] "S"(below), "d"(count)
                     : "memory");
    *buffer = at;
    return result;
}

static int read_below_the_stack(void) {
    int p[2];
    if (fill_pipe(p) != 0) return 2;
    unsigned char *buffer;
    long n = read_below_esp(p[0], 2 * MiB, sizeof pattern, &buffer);
    printf("read 2 MiB below esp: %ld bytes, %s\n", n,
           n == (long)sizeof pattern && !memcmp(buffer, pattern, sizeof pattern) ? "as written" : "NOT as written");
    return 0;
}

static volatile uintptr_t handler_sp;
static void on_usr1(int signo) {
    volatile char here = (char)signo;
    handler_sp = (uintptr_t)&here;
}

/* kill(getpid(), signo) made with esp at `sp`, whose page it writes first:
 * the stack then ends just below esp, and the signal's frame goes below. */
static long kill_with_esp_at(uintptr_t sp, int signo) {
    long result;
    __asm__ volatile("mov %%esp, %%esi\n\t"
                     "mov %%edx, %%esp\n\t"
                     "movl $0, (%%esp)\n\t"
                     "int $0x80\n\t"
                     "mov %%esi, %%esp"
                     : "=a"(result)
                     : "0"(37L /* kill */), "b"(getpid()), "c"(signo), "d"(sp)
                     : "esi", "memory");
    return result;
}

static int signal_at_the_edge(void) {
    struct sigaction action = {0};
    action.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &action, NULL) != 0) return 2;
    char here;
    /* 256 bytes above a 64 KiB boundary (a granule the stack grows by), 1 MiB down. */
    const uintptr_t sp = (((uintptr_t)&here - MiB) & ~(uintptr_t)0xffff) + 256;
    long result = kill_with_esp_at(sp, SIGUSR1);
    printf("signal with esp 256 bytes above the stack's edge: kill %ld, handler %s\n", result,
           !handler_sp ? "did not run" : handler_sp < sp - 256 ? "ran below the edge" : "ran ABOVE the edge");
    return 0;
}

static void in_child(const char *name, int (*part)(void)) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int status = part();
        fflush(stdout);
        _exit(status);
    }
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child) {
        printf("%s: no child\n", name);
    } else if (WIFSIGNALED(status)) {
        printf("%s: killed by signal %d%s\n", name, WTERMSIG(status), WTERMSIG(status) == SIGSEGV ? " (SIGSEGV)" : "");
    } else {
        printf("%s: exit %d\n", name, WEXITSTATUS(status));
    }
}

int main(void) {
    in_child("deep recursion", deep_recursion);
    in_child("array from the top", array_top_down);
    in_child("array from the bottom", array_bottom_up);
    in_child("read into a local array", read_into_local_array);
    in_child("read below esp", read_below_the_stack);
    in_child("signal at the edge", signal_at_the_edge);
    in_child("overflow", overflow);
    return 0;
}
