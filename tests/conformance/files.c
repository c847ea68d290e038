/* File I/O in the working directory (granted read-write under vxrun):
 * directories, positioned reads and writes, truncation, renames relative to
 * directory descriptors, symlinks, modes and times, readdir, select, file and
 * shared mappings, realloc's mremap; then an alternate signal stack and
 * timers. compare.sh also compares the files it leaves behind. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char* what, int ok) { printf("%-50s %s\n", what, ok ? "ok" : "FAILED"); }

static int compare_names(const void* a, const void* b) { return strcmp(*(char**)a, *(char**)b); }

static void list(const char* dir) {
    DIR* d = opendir(dir);
    char* names[64];
    int n = 0;
    for (struct dirent* e; (e = readdir(d)) && n < 64;)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    printf("%s:", dir);
    for (int i = 0; i < n; ++i) printf(" %s", names[i]), free(names[i]);
    printf("\n");
}

static volatile sig_atomic_t depth_at_overflow, alarms;
static void on_overflow(int sig) {
    (void)sig;
    stack_t now;
    sigaltstack(NULL, &now);
    depth_at_overflow = now.ss_flags & SS_ONSTACK ? 1 : -1;
    _exit(depth_at_overflow == 1 ? 0 : 1);
}
static int recurse(int n) {
    volatile char pad[1024];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}
static void on_alarm(int sig) { (void)sig; alarms++; }

int main(void) {
    umask(022);
    check("mkdir d", mkdir("d", 0755) == 0);
    int fd = open("d/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0666);
    check("create d/a.txt", fd >= 0);
    check("write", write(fd, "0123456789", 10) == 10);
    check("pwrite at 20 (leaves a hole)", pwrite(fd, "XY", 2, 20) == 2);
    char buf[32] = {0};
    check("pread at 3", pread(fd, buf, 4, 3) == 4 && memcmp(buf, "3456", 4) == 0);
    struct stat st;
    fstat(fd, &st);
    printf("size after pwrite: %lld, mode %o\n", (long long)st.st_size, st.st_mode & 0777);
    check("ftruncate to 15", ftruncate(fd, 15) == 0 && fstat(fd, &st) == 0 && st.st_size == 15);
    close(fd);

    int dir = open("d", O_RDONLY | O_DIRECTORY);
    check("renameat d/a.txt -> d/b.txt", renameat(dir, "a.txt", dir, "b.txt") == 0);
    check("mkdirat d/sub", mkdirat(dir, "sub", 0700) == 0);
    check("openat d/sub/c", (fd = openat(dir, "sub/c", O_CREAT | O_WRONLY, 0600)) >= 0);
    dprintf(fd, "in sub\n");
    close(fd);
    check("symlinkat d/link -> b.txt", symlinkat("b.txt", dir, "link") == 0);
    char target[64] = {0};
    check("readlinkat d/link", readlinkat(dir, "link", target, sizeof target) == 5 && strcmp(target, "b.txt") == 0);
    check("readlink of a regular file is EINVAL", readlink("d/b.txt", target, sizeof target) < 0 && errno == EINVAL);
    check("stat through the link", stat("d/link", &st) == 0 && st.st_size == 15);
    check("lstat sees the link", lstat("d/link", &st) == 0 && S_ISLNK(st.st_mode));
    check("chmod 600", chmod("d/b.txt", 0600) == 0 && stat("d/b.txt", &st) == 0 && (st.st_mode & 0777) == 0600);
    struct timespec times[2] = {{1000000000, 0}, {1234567890, 0}};
    check("utimensat sets the mtime", utimensat(AT_FDCWD, "d/b.txt", times, 0) == 0 &&
                                           stat("d/b.txt", &st) == 0 && st.st_mtime == 1234567890);
    check("faccessat R_OK", faccessat(dir, "b.txt", R_OK, 0) == 0);
    check("unlinkat d/link", unlinkat(dir, "link", 0) == 0);
    check("rmdir of a non-empty directory fails", unlinkat(dir, "sub", AT_REMOVEDIR) < 0 && errno == ENOTEMPTY);
    check("fchdir d, then a relative open", fchdir(dir) == 0 && access("b.txt", F_OK) == 0 && chdir("..") == 0);
    close(dir);
    list("d");
    list("d/sub");

    /* A private mapping of a file sees its bytes. */
    fd = open("d/b.txt", O_RDONLY);
    char* map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    check("mmap of a file reads its bytes", map != MAP_FAILED && memcmp(map, "0123456789", 10) == 0);
    munmap(map, 4096);
    close(fd);

    /* Shared anonymous memory stays shared with a forked child. */
    int* shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *shared = 1;
    pid_t pid = fork();
    if (pid == 0) { *shared = 42; _exit(0); }
    waitpid(pid, NULL, 0);
    printf("the child's write to shared memory: %d\n", *shared);

    /* realloc of large blocks moves them with mremap. */
    size_t size = 1 << 20;
    unsigned char* big = malloc(size);
    for (size_t i = 0; i < size; ++i) big[i] = (unsigned char)(i * 7);
    for (int round = 0; round < 5; ++round) {
        size *= 2;
        big = realloc(big, size);
    }
    int intact = 1;
    for (size_t i = 0; i < (1 << 20); ++i) intact &= big[i] == (unsigned char)(i * 7);
    check("realloc to 32 MiB keeps the first MiB", intact);
    free(big);

    /* select on a pipe. */
    int p[2];
    pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval zero = {0, 0};
    check("select: an empty pipe is not readable", select(p[0] + 1, &r, NULL, NULL, &zero) == 0);
    write(p[1], "x", 1);
    FD_SET(p[0], &r);
    check("select: then it is", select(p[0] + 1, &r, NULL, NULL, NULL) == 1 && FD_ISSET(p[0], &r));

    /* Timers: alarm, then setitimer, each waking pause. */
    signal(SIGALRM, on_alarm);
    alarm(1);
    pause();
    struct itimerval t = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &t, NULL);
    pause();
    printf("alarms: %d\n", alarms);

    /* A stack overflow handled on an alternate stack (in a child: it dies). */
    pid = fork();
    if (pid == 0) {
        stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
        sigaltstack(&ss, NULL);
        struct sigaction sa = {0};
        sa.sa_handler = on_overflow;
        sa.sa_flags = SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
        recurse(0);
        _exit(2);
    }
    int status;
    waitpid(pid, &status, 0);
    check("stack overflow handled on the alternate stack", WIFEXITED(status) && WEXITSTATUS(status) == 0);

    FILE* out = fopen("result.txt", "w");
    fprintf(out, "written with stdio: %d %s\n", 42, "done");
    fclose(out);
    return 0;
}
