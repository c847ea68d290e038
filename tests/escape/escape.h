/* Shared by the C escape guests (expect.sh describes the suite). Each guest
 * tries one way out; when it gets there and has checked that it did, it
 * calls escaped(), which prints the marker and exits 99, an escape's own
 * status (expect.sh counts either as an escape). Otherwise it reports what it got
 * on stderr and ends with refused(): 0 when the call failed with exactly the
 * errno vx is meant to give, 1 for any other errno, 2 when a call succeeded
 * but gained nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline void escaped(void) {
    fputs("ESCAPED\n", stdout);
    fflush(stdout);
    _exit(99);
}

/* Ends a guest whose attempt `what` failed with errno `got`: 0 when that is
 * `want`, else 1 (`want` 0: a step that was meant to work). */
static inline int refused(const char* what, int got, int want) {
    if (want) fprintf(stderr, "%s: %s (errno %d), want %s\n", what, strerror(got), got, strerror(want));
    else fprintf(stderr, "%s: %s (errno %d), a step that should have worked\n", what, strerror(got), got);
    return got == want ? 0 : 1;
}

/* Ends a guest whose call `what` succeeded but led nowhere. */
static inline int gained_nothing(const char* what) {
    fprintf(stderr, "%s succeeded but gained nothing\n", what);
    return 2;
}

static inline const char* env_or_die(const char* name) {
    const char* value = getenv(name);
    if (!value || !*value) {
        fprintf(stderr, "no %s in the environment\n", name);
        exit(3);
    }
    return value;
}

/* The absolute host path of the file outside every grant. */
static inline const char* secret_path(void) { return env_or_die("VX_SECRET"); }

/* The directory that holds it (the host parent of the working directory). */
static inline const char* secret_dir(void) {
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", secret_path());
    char* slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    return dir;
}

/* The host process outside the guest's tree. */
static inline pid_t host_pid(void) { return (pid_t)atoi(env_or_die("VX_HOST_PID")); }

/* 1 when fd reads as the secret (expect.sh writes "the host's secret PID"). */
static inline int reads_secret(int fd) {
    char buffer[256];
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    if (n <= 0) return 0;
    buffer[n] = '\0';
    return strncmp(buffer, "the host's secret", 17) == 0;
}

/* Opens `path` and escapes if it is the secret; else ends the guest:
 * refused(...) for the failed open with `want`. */
static inline int open_secret_via(const char* what, const char* path, int flags, int want) {
    int fd = open(path, flags);
    if (fd < 0) return refused(what, errno, want);
    if (reads_secret(fd)) escaped();
    return gained_nothing(what);
}

/* For the guests that need a writable working directory. expect.sh grants
 * the working directory read-only (/work), so these declare
 *     vx-args: --mount .:/work/w:rw
 * which grants the same host directory (vxrun's cwd) writable as /work/w.
 * Natively there is no "w" and the guest stays where it is: either way its
 * working directory is the host directory whose parent holds the secret. */
static inline void enter_writable_cwd(void) {
    if (chdir("w") != 0 && errno != ENOENT) perror("chdir w");
}

/* 1 once host process `pid` is dead (gone or a zombie), waiting up to 1 s. */
static inline int host_process_died(pid_t pid) {
    for (int i = 0; i < 100; ++i) {
        char path[64], stat_line[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY);
        if (fd < 0) return 1;
        ssize_t n = read(fd, stat_line, sizeof stat_line - 1);
        close(fd);
        if (n <= 0) return 1;
        stat_line[n] = '\0';
        const char* state = strrchr(stat_line, ')');
        if (state && (state[2] == 'Z' || state[2] == 'X')) return 1;
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    return 0;
}
