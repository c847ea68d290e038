/* deep_tmp DEPTH OUTSIDE [wait]: builds in /tmp what a remover must survive:
 * a chain of DEPTH directories with a file and symlinks to OUTSIDE (a host
 * directory holding "keep") at its bottom, a directory the guest can no
 * longer read, and a symlink to OUTSIDE at the top. With "wait", a child
 * process waits too, and the guest prints "ready" and waits to be killed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void must(int ok, const char* what) {
    if (!ok) {
        perror(what);
        exit(1);
    }
}

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    int depth = atoi(argv[1]);
    const char* outside = argv[2];
    char keep[4096];
    snprintf(keep, sizeof keep, "%s/keep", outside);
    must(chdir("/tmp") == 0, "chdir /tmp");
    must(symlink(outside, "out") == 0, "symlink out");
    for (int i = 0; i < depth; ++i) must(mkdir("d", 0700) == 0 && chdir("d") == 0, "mkdir d");
    int fd = open("file", O_WRONLY | O_CREAT, 0600);
    must(fd >= 0 && write(fd, "x\n", 2) == 2 && close(fd) == 0, "file");
    must(symlink(outside, "out") == 0 && symlink(keep, "keep") == 0, "symlinks at the bottom");
    must(chdir("/tmp") == 0 && mkdir("locked", 0700) == 0, "mkdir locked");
    fd = open("locked/inside", O_WRONLY | O_CREAT, 0600);
    must(fd >= 0 && close(fd) == 0 && symlink(keep, "locked/keep") == 0, "locked/inside");
    must(chmod("locked", 0) == 0 && chmod("d", 0) == 0, "chmod 0");
    printf("built %d levels\n", depth);
    if (argc > 3 && strcmp(argv[3], "wait") == 0) {
        if (fork() == 0) {
            for (;;) pause();
        }
        printf("ready\n");
        fflush(stdout);
        for (;;) pause();
    }
    return 0;
}
