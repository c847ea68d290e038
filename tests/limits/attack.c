/* Resource attacks on vxrun's limits (tests/limits/run.sh runs each under
 * its limit). attack MODE [ARGS]:
 *
 *   output CALL BYTES        writes BYTES to stdout (0: forever), 4 KiB a call,
 *                            through CALL: write or writev
 *   output-exec BYTES        writes BYTES to stdout, then execs itself to
 *                            write BYTES more (the count goes on across execve)
 *   output-file CALL PATH BYTES   the same to the file PATH, through write,
 *                            writev, pwrite or sendfile (from a file beside it)
 *   grow CALL PATH BYTES     makes the file PATH BYTES long (0: grows forever),
 *                            through write, append (write with O_APPEND),
 *                            pwrite or ftruncate; then checks the size and
 *                            that RLIMIT_FSIZE says BYTES
 *   fds LIMIT                opens /dev/null until EMFILE: exit 0 when that
 *                            came at exactly LIMIT descriptors, as
 *                            RLIMIT_NOFILE says, and dup2/F_DUPFD at LIMIT
 *                            fail as on Linux; 1 otherwise
 *   fds-upto COUNT           opens /dev/null until COUNT descriptors are open
 *   fork LIMIT DIR           a fork bomb: every process forks until EAGAIN;
 *                            when all LIMIT are there, prints "peak LIMIT" and
 *                            waits for DIR/go, then exits 0 (its descendants
 *                            die with it); 1 if the count is not LIMIT
 *   brk|mmap MIB [LIMIT]     grows memory by 1 MiB at a time and touches it,
 *                            MIB times (0: forever); exit 3 when the call
 *                            fails, 0 when done; 4 when RLIMIT_AS and
 *                            RLIMIT_DATA do not say LIMIT MiB
 *   brk-count MIB            as brk, writing an "m" to stdout for every MiB
 *   stack HEAP STACK         touches HEAP MiB of brk heap, says so on stdout,
 *                            then recurses through STACK MiB of stack (4000-
 *                            byte frames, all written); exit 0 when done
 * The attacks write nothing to stdout or stderr but what they say they
 * write, so that the output limit counts just that.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 4096
static char block[CHUNK];

static int say(const char *text) { return (int)write(1, text, strlen(text)); }

static int fail(const char *what) {
    char line[200];
    snprintf(line, sizeof line, "attack: %s: %s\n", what, strerror(errno));
    say(line);
    return 2;
}

/* One CHUNK to fd through `call` (at `offset` for pwrite; `source` is the
 * file sendfile reads). The bytes written, or -1. */
static ssize_t put(const char *call, int fd, off_t offset, int source) {
    if (!strcmp(call, "write")) return write(fd, block, CHUNK);
    if (!strcmp(call, "writev")) {
        struct iovec v[2] = {{block, CHUNK / 2}, {block + CHUNK / 2, CHUNK / 2}};
        return writev(fd, v, 2);
    }
    if (!strcmp(call, "pwrite")) return pwrite(fd, block, CHUNK, offset);
    if (!strcmp(call, "sendfile")) {
        off_t from = 0;
        return sendfile(fd, source, &from, CHUNK);
    }
    errno = EINVAL;
    return -1;
}

static int flood(const char *call, int fd, long long bytes, int source) {
    for (long long done = 0; bytes == 0 || done < bytes;) {
        ssize_t n = put(call, fd, (off_t)done, source);
        if (n <= 0) return fail(call);
        done += n;
    }
    return 0;
}

/* `processes` processes (this one and its children) flood stdout at once:
 * the output limit holds for them together. */
static int flood_tree(int processes) {
    for (int i = 1; i < processes; ++i)
        if (fork() == 0) break;
    return flood("write", 1, 0, -1);
}

static int output_file(const char *call, const char *path, long long bytes) {
    int source = -1;
    if (!strcmp(call, "sendfile")) {  /* from a file of one CHUNK (its 4 KiB count as output too) */
        char from[4096];
        snprintf(from, sizeof from, "%s.source", path);
        source = open(from, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (source < 0 || pwrite(source, block, CHUNK, 0) != CHUNK) return fail("the source file");
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fail(path);
    return flood(call, fd, bytes, source);
}

static int grow(const char *call, const char *path, long long bytes) {
    int append = !strcmp(call, "append");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | (append ? O_APPEND : 0), 0644);
    if (fd < 0) return fail(path);
    if (append) call = "write";
    if (!strcmp(call, "ftruncate")) {
        for (long long size = CHUNK; bytes == 0 || size <= bytes; size += CHUNK)
            if (ftruncate(fd, (off_t)size) != 0) return fail("ftruncate");
    } else {
        for (long long done = 0; bytes == 0 || done < bytes; done += CHUNK)
            if (put(call, fd, (off_t)done, -1) != CHUNK) return fail(call);
    }
    struct stat st;
    struct rlimit limit;
    if (fstat(fd, &st) != 0 || st.st_size != bytes) return fail("the size it grew to");
    if (getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur != (rlim_t)bytes) return fail("RLIMIT_FSIZE");
    return 0;
}

static int open_descriptors(void) {
    int open_count = 0;
    for (int fd = 0; fd < 4096; ++fd) open_count += fcntl(fd, F_GETFD) >= 0;
    return open_count;
}

static int fds(int limit) {
    int opened = 0;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) break;
        if (++opened > 100000) break;
    }
    int error = errno, count = open_descriptors();
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    int dup2_at_limit = dup2(0, limit) < 0 ? errno : 0;
    int dupfd_at_limit = fcntl(0, F_DUPFD, limit) < 0 ? errno : 0;
    close(limit - 1);
    int dup2_below = dup2(0, limit - 1);
    char line[300];
    snprintf(line, sizeof line,
             "%s after %d descriptors (%d opened); RLIMIT_NOFILE %ld/%ld; dup2 at it %s, F_DUPFD at it %s, dup2 "
             "below it %d\n",
             strerrorname_np(error), count, opened, (long)nofile.rlim_cur, (long)nofile.rlim_max,
             strerrorname_np(dup2_at_limit), strerrorname_np(dupfd_at_limit), dup2_below);
    say(line);
    return error == EMFILE && count == limit && (int)nofile.rlim_cur == limit && dup2_at_limit == EBADF &&
                   dupfd_at_limit == EINVAL && dup2_below == limit - 1
               ? 0
               : 1;
}

static int fds_upto(int count) {
    while (open_descriptors() < count)
        if (open("/dev/null", O_RDONLY) < 0) return fail("open");
    return 0;
}

static void nap(void) {
    struct timespec t = {0, 10 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static int fork_bomb(int limit, const char *dir) {
    /* Counters all the processes share: started, and done (saw EAGAIN). */
    volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) return fail("mmap");
    struct rlimit nproc;
    if (getrlimit(RLIMIT_NPROC, &nproc) != 0 || (int)nproc.rlim_cur != limit) return fail("RLIMIT_NPROC");
    __sync_fetch_and_add(&shared[0], 1);
    const pid_t first = getpid();
    int error = 0;
    for (int tries = 0; tries < 100000; ++tries) {
        pid_t pid = fork();
        if (pid == 0) {
            __sync_fetch_and_add(&shared[0], 1);
            continue;  /* the child forks on too */
        }
        if (pid < 0) {
            error = errno;
            break;
        }
    }
    __sync_fetch_and_add(&shared[1], 1);
    if (getpid() != first) {
        for (;;) pause();  /* holds its slot until its parent dies (and so it) */
    }
    /* All there when every one started has stopped forking, and stays so
     * (a child may be forked but not have counted itself yet). */
    for (int i = 0, steady = 0; i < 1000 && steady < 20; ++i) {
        steady = shared[1] == shared[0] ? steady + 1 : 0;
        nap();
    }
    char line[200];
    snprintf(line, sizeof line, "peak %d (%d stopped forking), then %s\n", shared[0], shared[1], strerrorname_np(error));
    say(line);
    char go[4096];
    snprintf(go, sizeof go, "%s/go", dir);
    for (int i = 0; i < 2000 && access(go, F_OK) != 0; ++i) nap();
    return shared[0] == limit && shared[1] == limit && error == EAGAIN ? 0 : 1;
}

static int report_each_mib;  /* an "m" on stdout for every MiB allocated */

static int memory_bomb(int use_mmap, long mib, long limit_mib) {
    const size_t step = 1u << 20;
    struct rlimit as, data;
    if (limit_mib && (getrlimit(RLIMIT_AS, &as) != 0 || getrlimit(RLIMIT_DATA, &data) != 0 ||
                      as.rlim_cur != (rlim_t)limit_mib << 20 || data.rlim_cur != (rlim_t)limit_mib << 20))
        return 4;
    for (long i = 0; mib == 0 || i < mib; ++i) {
        char *p;
        if (use_mmap) {
            p = mmap(NULL, step, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) return 3;
        } else {
            p = sbrk((intptr_t)step);
            if (p == (void *)-1) return 3;
        }
        for (size_t at = 0; at < step; at += 4096) p[at] = 1;
        if (report_each_mib) write(1, "m", 1);
    }
    return 0;
}

/* One frame of about 4 KiB a level, written whole: every page of the stack
 * it goes through is touched. */
__attribute__((noinline)) static unsigned recurse(unsigned levels) {
    volatile char frame[4000];
    memset((char *)frame, (int)levels, sizeof frame);
    if (levels == 0) return frame[0];
    return recurse(levels - 1) + frame[sizeof frame - 1];
}

static int heap_then_stack(long heap_mib, long stack_mib) {
    if (memory_bomb(0, heap_mib, 0) != 0) return 3;
    char line[64];
    snprintf(line, sizeof line, "heap %ld MiB touched\n", heap_mib);
    say(line);
    unsigned levels = (unsigned)(stack_mib << 20) / 4096;
    volatile unsigned sum = recurse(levels);
    (void)sum;
    return 0;
}

/* `children` children allocate `mib` MiB each at once and hold it for a
 * second while this process waits for them: the memory limit holds for the
 * tree together, so those it has no room for are stopped. */
static int memory_tree(int children, long mib) {
    report_each_mib = 1;
    for (int i = 0; i < children; ++i)
        if (fork() == 0) {
            int status = memory_bomb(1, mib, 0);
            sleep(1);
            return status;
        }
    int status, killed = 0;
    while (wait(&status) > 0) killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    char line[64];
    snprintf(line, sizeof line, "\n%d children stopped by SIGKILL\n", killed);
    say(line);
    return 0;
}

int main(int argc, char **argv) {
    memset(block, 'x', sizeof block);
    if (argc < 3) return 2;
    const char *mode = argv[1];
    if (!strcmp(mode, "output") && argc == 4) return flood(argv[2], 1, atoll(argv[3]), -1);
    if (!strcmp(mode, "output-tree") && argc == 3) return flood_tree(atoi(argv[2]));
    if (!strcmp(mode, "memory-tree") && argc == 4) return memory_tree(atoi(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "output-file") && argc == 5) return output_file(argv[2], argv[3], atoll(argv[4]));
    if (!strcmp(mode, "grow") && argc == 5) return grow(argv[2], argv[3], atoll(argv[4]));
    if (!strcmp(mode, "fds")) return fds(atoi(argv[2]));
    if (!strcmp(mode, "fds-upto")) return fds_upto(atoi(argv[2]));
    if (!strcmp(mode, "fork") && argc == 4) return fork_bomb(atoi(argv[2]), argv[3]);
    if (!strcmp(mode, "output-exec")) {
        int status = flood("write", 1, atoll(argv[2]), -1);
        if (status) return status;
        execv("/proc/self/exe", (char *[]){argv[0], "output", "write", argv[2], NULL});
        return fail("execv");
    }
    if (!strcmp(mode, "brk")) return memory_bomb(0, atol(argv[2]), argc > 3 ? atol(argv[3]) : 0);
    if (!strcmp(mode, "brk-count")) {
        report_each_mib = 1;
        return memory_bomb(0, atol(argv[2]), 0);
    }
    if (!strcmp(mode, "stack") && argc == 4) return heap_then_stack(atol(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "mmap")) return memory_bomb(1, atol(argv[2]), argc > 3 ? atol(argv[3]) : 0);
    return 2;
}
