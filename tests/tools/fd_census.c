/* fd_census OUT: writes to OUT one line per descriptor number the guest can
 * use ("FD INODE TYPE"), trying every number up to its limit, then
 * "complete", and waits to be killed. host_descriptors.sh compares it with
 * the host descriptors of the vxrun running it. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char* type_of(mode_t mode) {
    if (S_ISREG(mode)) return "file";
    if (S_ISDIR(mode)) return "directory";
    if (S_ISCHR(mode)) return "character-device";
    if (S_ISFIFO(mode)) return "pipe";
    if (S_ISSOCK(mode)) return "socket";
    return "other";
}

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 3;
    int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) return 4;
    char line[128];
    for (unsigned fd = 0; fd < limit.rlim_cur; ++fd) {
        struct stat st;
        if ((int)fd == out || fstat((int)fd, &st) != 0) continue;
        int n = snprintf(line, sizeof line, "%u %llu %s\n", fd, (unsigned long long)st.st_ino, type_of(st.st_mode));
        if (write(out, line, (size_t)n) != n) return 5;
    }
    if (write(out, "complete\n", 9) != 9) return 5;
    close(out);
    struct timespec wait = {60, 0};
    nanosleep(&wait, NULL);
    return 0;
}
