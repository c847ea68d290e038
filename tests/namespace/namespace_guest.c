/* Runs inside vxrun with /data granted read-only and /scratch read-write
 * (see run.sh). Each line is one attempt and what it got; exits with the
 * number of attempts that did not get what Linux-with-grants must give. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void expect(const char* what, int result, int want_errno) {
    int got = result < 0 ? errno : 0;
    int ok = got == want_errno;
    printf("%-44s %s%s\n", what, got ? strerror(got) : "ok", ok ? "" : "   <-- WRONG");
    failures += !ok;
}

static int open_and_check(const char* path, const char* want) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0 || strncmp(buf, want, strlen(want)) != 0) { errno = EBADMSG; return -1; }
    return 0;
}

int main(void) {
    expect("read /data/file.txt", open_and_check("/data/file.txt", "hello"), 0);
    expect("read /data/inner_link (inside)", open_and_check("/data/inner_link", "hello"), 0);
    expect("open /data/../outside/secret.txt", open("/data/../outside/secret.txt", O_RDONLY), ENOENT);
    expect("open /data/sub/../../outside/secret.txt", open("/data/sub/../../outside/secret.txt", O_RDONLY), ENOENT);
    expect("open /data/abs_link (absolute, points out)", open("/data/abs_link", O_RDONLY), ENOENT);
    expect("open /data/rel_link (relative, points out)", open("/data/rel_link", O_RDONLY), ENOENT);
    expect("open /data/dir_link/secret.txt", open("/data/dir_link/secret.txt", O_RDONLY), ENOENT);
    expect("open /etc/passwd", open("/etc/passwd", O_RDONLY), ENOENT);
    expect("open /proc/self/maps", open("/proc/self/maps", O_RDONLY), ENOENT);
    expect("open /proc/self/root/etc/passwd", open("/proc/self/root/etc/passwd", O_RDONLY), ENOENT);
    expect("create /data/new.txt (read-only grant)", open("/data/new.txt", O_CREAT | O_WRONLY, 0644), EROFS);
    expect("open /data/file.txt for writing", open("/data/file.txt", O_WRONLY), EROFS);
    expect("unlink /data/file.txt", unlink("/data/file.txt"), EROFS);
    expect("mkdir /data/d", mkdir("/data/d", 0755), EROFS);
    expect("rename /data/file.txt -> /scratch/x", rename("/data/file.txt", "/scratch/x"), EXDEV);

    expect("mkdir /scratch/d", mkdir("/scratch/d", 0755), 0);
    int fd = open("/scratch/d/f.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    expect("create /scratch/d/f.txt", fd, 0);
    expect("write it", (int)write(fd, "written by the guest\n", 21) == 21 ? 0 : -1, 0);
    close(fd);
    expect("read it back", open_and_check("/scratch/d/f.txt", "written by the guest"), 0);
    expect("rename it to /scratch/kept.txt", rename("/scratch/d/f.txt", "/scratch/kept.txt"), 0);
    expect("rmdir /scratch/d", rmdir("/scratch/d"), 0);
    expect("create a symlink's target outside", open("/scratch/out_link", O_CREAT | O_WRONLY, 0644), ENOENT);

    expect("chdir /data", chdir("/data"), 0);
    char cwd[64];
    expect("getcwd is /data", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/data") == 0 ? 0 : -1, 0);
    expect("read file.txt (relative)", open_and_check("file.txt", "hello"), 0);
    expect("open ../../outside/secret.txt (relative)", open("../../outside/secret.txt", O_RDONLY), ENOENT);
    int dir = open("/data/sub", O_RDONLY | O_DIRECTORY);
    expect("open /data/sub as a directory", dir, 0);
    expect("openat(sub, ../../outside/secret.txt)", openat(dir, "../../outside/secret.txt", O_RDONLY), ENOENT);
    expect("openat(sub, ../file.txt)", openat(dir, "../file.txt", O_RDONLY) >= 0 ? 0 : -1, 0);

    int original = open("/data/file.txt", O_RDONLY);
    char c;
    expect("read one byte", (int)read(original, &c, 1) == 1 ? 0 : -1, 0);
    int copy = dup(original), onto = dup2(original, 100), above = fcntl(original, F_DUPFD, 200);
    expect("dup, dup2 onto 100, F_DUPFD from 200", copy > 2 && onto == 100 && above >= 200 ? 0 : -1, 0);
    expect("a duplicate shares the offset", (int)read(onto, &c, 1) == 1 && c == 'e' ? 0 : -1, 0);
    close(original);
    expect("read from a closed fd", (int)read(original, &c, 1), EBADF);
    expect("the duplicate still reads", (int)read(copy, &c, 1) == 1 && c == 'l' ? 0 : -1, 0);

    struct stat st;
    expect("stat /data/file.txt is 6 bytes", stat("/data/file.txt", &st) == 0 && st.st_size == 6 ? 0 : -1, 0);
    expect("lstat /data/abs_link is a symlink", lstat("/data/abs_link", &st) == 0 && S_ISLNK(st.st_mode) ? 0 : -1, 0);
    expect("stat /outside/secret.txt", stat("/outside/secret.txt", &st), ENOENT);
    expect("stat / is a directory (on the way to grants)", stat("/", &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1, 0);
    expect("stat /data/.. is that directory too", stat("/data/..", &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1, 0);
    expect("create /top.txt in the synthetic root", open("/top.txt", O_CREAT | O_WRONLY, 0644), ENOENT);
    expect("access /data/file.txt W_OK", access("/data/file.txt", W_OK), EROFS);

    int entries = 0;
    DIR* d = opendir("/data");
    for (struct dirent* e; d && (e = readdir(d));) entries += e->d_name[0] != '.';
    expect("list /data: 6 entries", entries == 6 ? 0 : -1, 0);
    rewinddir(d);
    struct dirent* first = readdir(d);
    char first_name[256];
    strcpy(first_name, first ? first->d_name : "");
    long mark = telldir(d);
    struct dirent* second = readdir(d);
    char second_name[256];
    strcpy(second_name, second ? second->d_name : "");
    seekdir(d, mark);
    struct dirent* again = readdir(d);
    expect("telldir/seekdir come back to an entry", again && strcmp(again->d_name, second_name) == 0 ? 0 : -1, 0);
    closedir(d);
    return failures;
}
