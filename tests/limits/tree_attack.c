/* Attacks on the limits by a tree of processes: each process on its own
 * stays under the limit, together they would not (tests/limits/tree.sh runs
 * each under its limit; a limit reached anywhere ends the whole run).
 * tree_attack MODE [ARGS]:
 *
 *   cpu-sequential N SECONDS  N children one after another, each spinning
 *                            for SECONDS of its own CPU time, then exiting;
 *                            prints "survived" when all are done
 *   cpu-concurrent N         N children spinning at once, forever
 *   fuel N K                 N children at once, each forever running chunks
 *                            of 2K+1 instructions (a counted loop) and
 *                            writing "d" after each
 *   fuel-sequential N CHUNKS K   N children one after another, each running
 *                            CHUNKS such chunks, then exiting
 *   cow N MIB                a MIB MiB heap, touched, then N children that
 *                            each rewrite all of it and hold it for a second
 *   shared N MIB HOW         MIB MiB written, then made read-only (one host
 *                            copy for every process that inherits it), and
 *                            N children that hold it; then, by HOW:
 *                              hold    the children hold it for a second and
 *                                      exit: prints "fits"
 *                              remap   the parent unmaps it (the children
 *                                      still hold it) and writes MIB MiB anew
 *                              write   each child makes it writable and
 *                                      rewrites it
 *                            prints "survived" when an attack was let through
 *   killed N MIB             a MIB MiB heap; N times: a child that waits, the
 *                            heap written again, the child killed with
 *                            SIGKILL and reaped; prints "fits" at the end
 *   file-seek PATH           one descriptor to PATH shared by 4 processes:
 *                            one moves its position between 0 and 64 GiB,
 *                            three write 64 KiB at a time, forever
 *   file-append N PATH       N processes append 1 MiB at once through one
 *                            O_APPEND descriptor to PATH
 *   sendfile PATH            sendfile of up to 5 MiB from PATH to stdout,
 *                            forever, while a child truncates PATH and grows
 *                            it to 5 MiB again, forever
 *   child-output BLOCKED     a child floods stdout; the parent waits for it
 *                            (BLOCKED 1) or spins (0), then prints "survived"
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char block[1 << 20];

static void say(const char *text) { write(1, text, strlen(text)); }

static double own_cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void wait_all(void) {
    int status;
    while (wait(&status) > 0) {
    }
}

static volatile unsigned sink;
static void spin_forever(void) {
    for (;;) ++sink;
}

static int cpu_sequential(int n, double seconds) {
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child == 0) {
            double start = own_cpu_seconds();
            while (own_cpu_seconds() - start < seconds) ++sink;
            _exit(0);
        }
        int status;
        waitpid(child, &status, 0);
    }
    say("survived\n");
    return 0;
}

static int cpu_concurrent(int n) {
    for (int i = 0; i < n; ++i)
        if (fork() == 0) spin_forever();
    wait_all();
    say("survived\n");
    return 0;
}

/* 2K+1 instructions: mov, then K times dec and jnz. */
static void chunk(unsigned k) {
    __asm__ volatile("mov %0, %%ecx\n1: dec %%ecx\njnz 1b" : : "r"(k) : "ecx", "cc");
}

static int fuel(int n, unsigned k) {
    for (int i = 0; i < n; ++i)
        if (fork() == 0)
            for (;;) {
                chunk(k);
                write(1, "d", 1);
            }
    wait_all();
    say("survived\n");
    return 0;
}

static int fuel_sequential(int n, int chunks, unsigned k) {
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child == 0) {
            for (int c = 0; c < chunks; ++c) {
                chunk(k);
                write(1, "d", 1);
            }
            _exit(0);
        }
        int status;
        waitpid(child, &status, 0);
    }
    say("survived\n");
    return 0;
}

static int cow(int n, long mib) {
    size_t bytes = (size_t)mib << 20;
    char *heap = malloc(bytes);
    if (!heap) return 3;
    memset(heap, 1, bytes);
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child < 0) return 4;
        if (child == 0) {
            volatile char *page = heap;  /* every page written: a copy of each */
            for (size_t at = 0; at < bytes; at += 4096) page[at] = (char)(2 + i);
            sleep(1);
            _exit(0);
        }
    }
    wait_all();
    say("survived\n");
    return 0;
}

static char *written_region(size_t bytes, char value) {
    char *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return NULL;
    memset(region, value, bytes);
    return region;
}

static int shared(int n, long mib, const char *how) {
    size_t bytes = (size_t)mib << 20;
    char *region = written_region(bytes, 1);
    if (!region || mprotect(region, bytes, PROT_READ) != 0) return 3;
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return 3;
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child < 0) return 4;
        if (child == 0) {
            if (!strcmp(how, "write")) {
                if (mprotect(region, bytes, PROT_READ | PROT_WRITE) != 0) _exit(5);
                memset(region, 2 + i, bytes);  /* every page a copy of its own */
            }
            char wait_for_parent;  /* until the parent has done its part */
            close(pipe_fds[1]);
            if (strcmp(how, "hold") != 0) read(pipe_fds[0], &wait_for_parent, 1);
            else sleep(1);  /* all of them at once: the tree's peak */
            _exit(region[bytes - 1] == 1 || !strcmp(how, "write") ? 0 : 6);
        }
    }
    if (!strcmp(how, "remap")) {
        if (munmap(region, bytes) != 0 || !written_region(bytes, 3)) return 7;
    }
    close(pipe_fds[1]);
    int status, failures = 0;
    while (wait(&status) > 0) failures += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (failures) return 8;
    say(!strcmp(how, "hold") ? "fits\n" : "survived\n");
    return 0;
}

static int killed(int n, long mib) {
    size_t bytes = (size_t)mib << 20;
    char *heap = written_region(bytes, 1);
    if (!heap) return 3;
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child < 0) return 4;
        if (child == 0) {
            pause();
            _exit(0);
        }
        memset(heap, 2 + i, bytes);  /* the parent's own copy again: what the child shares is its alone */
        int status;
        if (kill(child, SIGKILL) != 0 || waitpid(child, &status, 0) != child || !WIFSIGNALED(status)) return 5;
    }
    say("fits\n");
    return 0;
}

static int file_seek(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 3;
    if (fork() == 0)
        for (;;) {
            lseek(fd, 0, SEEK_SET);
            lseek(fd, (off_t)64 << 30, SEEK_SET);
        }
    for (int i = 0; i < 3; ++i)
        if (fork() == 0)
            for (;;) write(fd, block, 64 << 10);
    wait_all();
    say("survived\n");
    return 0;
}

static int file_append(int n, const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd < 0) return 3;
    volatile int *ready = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ready == MAP_FAILED) return 4;
    for (int i = 0; i < n; ++i)
        if (fork() == 0) {
            __sync_fetch_and_add(ready, 1);
            while (*ready < n) {
            }
            write(fd, block, sizeof block);
            _exit(0);
        }
    wait_all();
    say("survived\n");
    return 0;
}

static int send_file(const char *path) {
    int in = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (in < 0) return 3;
    if (write(in, block, 1024) != 1024) return 3;
    if (fork() == 0)
        for (;;) {
            ftruncate(in, 0);
            ftruncate(in, 5 << 20);
        }
    for (;;) {
        off_t at = 0;
        sendfile(1, in, &at, 5 << 20);
    }
}

static int child_output(int blocked) {
    pid_t child = fork();
    if (child == 0)
        for (;;) write(1, block, 4096);
    if (blocked) {
        int status;
        waitpid(child, &status, 0);
    } else {
        for (unsigned long long i = 0; i < (1ull << 36); ++i) ++sink;  /* minutes, in guest code only */
    }
    say("survived\n");
    return 0;
}

int main(int argc, char **argv) {
    memset(block, 'x', sizeof block);
    if (argc < 2) return 2;
    const char *mode = argv[1];
    if (!strcmp(mode, "cpu-sequential") && argc == 4) return cpu_sequential(atoi(argv[2]), atof(argv[3]));
    if (!strcmp(mode, "cpu-concurrent") && argc == 3) return cpu_concurrent(atoi(argv[2]));
    if (!strcmp(mode, "fuel") && argc == 4) return fuel(atoi(argv[2]), (unsigned)atol(argv[3]));
    if (!strcmp(mode, "fuel-sequential") && argc == 5)
        return fuel_sequential(atoi(argv[2]), atoi(argv[3]), (unsigned)atol(argv[4]));
    if (!strcmp(mode, "cow") && argc == 4) return cow(atoi(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "shared") && argc == 5) return shared(atoi(argv[2]), atol(argv[3]), argv[4]);
    if (!strcmp(mode, "killed") && argc == 4) return killed(atoi(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "file-seek") && argc == 3) return file_seek(argv[2]);
    if (!strcmp(mode, "file-append") && argc == 4) return file_append(atoi(argv[2]), argv[3]);
    if (!strcmp(mode, "sendfile") && argc == 3) return send_file(argv[2]);
    if (!strcmp(mode, "child-output") && argc == 3) return child_output(atoi(argv[2]));
    return 2;
}
