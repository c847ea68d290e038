/* Runs inside vxrun with one host directory D granted several times (see
 * grants.sh): D read-write at /data, D/sub read-only at /data/sub (nested),
 * D/a/b/nested read-only at /data/a/b/nested, D again read-only at
 * /ro_again, the file D/ro_file read-only at /ro_file, D/rwsub read-write
 * at /rw_inner, and E read-only at
 * /only/deep/grant (so /, /only and /only/deep are synthetic). Every attack tries to write a read-only grant's
 * file by another path; each is paired with a control that does the same
 * where it is allowed, so that a refusal cannot come from the mechanism
 * not working at all. Exits with the number of wrong results. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static int failures;

static void expect(const char* what, int result, int want_errno) {
    int got = result < 0 ? errno : 0;
    int ok = got == want_errno;
    printf("%-58s %s%s\n", what, got ? strerror(got) : "ok", ok ? "" : "   <-- WRONG");
    failures += !ok;
}

static int ok_if(int condition) {
    if (condition) return 0;
    errno = EBADMSG;
    return -1;
}

/* open, and close what opened: 0 or -1 with errno. */
static int try_open(const char* path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

static int write_file(const char* path, const char* text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    int n = (int)write(fd, text, strlen(text));
    close(fd);
    return n == (int)strlen(text) ? 0 : -1;
}

static int reads(const char* path, const char* want) {
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return ok_if(n >= 0 && strncmp(buf, want, strlen(want)) == 0);
}

static int lists(const char* dir, const char* want) {
    char got[256] = "";
    DIR* d = opendir(dir);
    if (!d) return -1;
    /* Sorted by name: the few entries are put in order by insertion. */
    char names[16][64];
    int n = 0;
    for (struct dirent* e; (e = readdir(d)) && n < 16;) {
        if (e->d_name[0] == '.') continue;
        int i = n++;
        while (i > 0 && strcmp(names[i - 1], e->d_name) > 0) strcpy(names[i], names[i - 1]), --i;
        snprintf(names[i], sizeof names[i], "%s", e->d_name);
    }
    closedir(d);
    for (int i = 0; i < n; ++i) strcat(strcat(got, i ? " " : ""), names[i]);
    if (strcmp(got, want) != 0) printf("  %s lists \"%s\"\n", dir, got);
    return ok_if(strcmp(got, want) == 0);
}

int main(void) {
    /* Symlinks made in the read-write grant, pointing into the nested
     * read-only one: resolved in the guest's namespace, they end there. */
    expect("control: write /data/target through a symlink", symlink("target", "/data/to_target") == 0 &&
                                                                  write_file("/data/to_target", "via link") == 0 &&
                                                                  reads("/data/target", "via link") == 0 ? 0 : -1, 0);
    expect("symlink /data/rel -> sub/victim", symlink("sub/victim", "/data/rel"), 0);
    expect("read through it", reads("/data/rel", "original"), 0);
    expect("write through it (relative target)", try_open("/data/rel", O_WRONLY), EROFS);
    expect("truncate through it", try_open("/data/rel", O_WRONLY | O_TRUNC), EROFS);
    expect("symlink /data/abs -> /data/sub/victim", symlink("/data/sub/victim", "/data/abs"), 0);
    expect("write through it (absolute target)", try_open("/data/abs", O_RDWR), EROFS);
    expect("symlink /data/c1 -> c2 -> c3 -> rel", symlink("c2", "/data/c1") == 0 && symlink("c3", "/data/c2") == 0 &&
                                                      symlink("rel", "/data/c3") == 0 ? 0 : -1, 0);
    expect("write through the chain", try_open("/data/c1", O_WRONLY | O_APPEND), EROFS);
    expect("symlink /data/subdir -> sub (a directory)", symlink("sub", "/data/subdir"), 0);
    expect("write /data/subdir/victim", try_open("/data/subdir/victim", O_WRONLY), EROFS);
    expect("create /data/subdir/new", try_open("/data/subdir/new", O_WRONLY | O_CREAT), EROFS);
    expect("symlink /data/dangle -> sub/brand_new", symlink("sub/brand_new", "/data/dangle"), 0);
    expect("create through the dangling symlink", try_open("/data/dangle", O_WRONLY | O_CREAT), EROFS);
    expect("control: create through a dangling symlink in rw", symlink("made", "/data/dangle_rw") == 0 &&
                                                                 try_open("/data/dangle_rw", O_WRONLY | O_CREAT) == 0 &&
                                                                 access("/data/made", F_OK) == 0 ? 0 : -1, 0);
    expect("O_NOFOLLOW on the symlink", try_open("/data/rel", O_RDONLY | O_NOFOLLOW), ELOOP);
    struct stat st;
    expect("lstat sees the symlink", ok_if(lstat("/data/rel", &st) == 0 && S_ISLNK(st.st_mode)), 0);
    expect("chmod through the symlink", chmod("/data/rel", 0666), EROFS);
    expect("truncate(2) through the symlink", truncate("/data/rel", 0), EROFS);
    expect("utimes through the symlink", utimes("/data/rel", NULL), EROFS);
    expect("access W_OK through the symlink", access("/data/rel", W_OK), EROFS);
    expect("control: access W_OK of /data/target", access("/data/target", W_OK), 0);
    expect("a symlink that climbs above /", symlink("../../../../../etc/passwd", "/data/climb") == 0 &&
                                               open("/data/climb", O_RDONLY) < 0 ? -1 : 0, ENOENT);

    /* Loops. */
    expect("symlink loop a -> b -> a", symlink("loop_b", "/data/loop_a") == 0 && symlink("loop_a", "/data/loop_b") == 0 &&
                                           open("/data/loop_a", O_RDONLY) < 0 ? -1 : 0, ELOOP);
    expect("symlink to itself", symlink("self", "/data/self") == 0 && open("/data/self", O_RDONLY) < 0 ? -1 : 0, ELOOP);
    expect("a loop in the middle of a path", try_open("/data/loop_a/x", O_RDONLY), ELOOP);
    char name[32], next[32];
    for (int i = 0; i < 41; ++i) {  /* l0 -> l1 -> ... -> l40 -> target */
        snprintf(name, sizeof name, "/data/l%d", i);
        snprintf(next, sizeof next, i == 40 ? "target" : "l%d", i + 1);
        symlink(next, name);
    }
    expect("control: 40 symlinks are followed (l1)", reads("/data/l1", "via link"), 0);
    expect("41 are too many (l0)", try_open("/data/l0", O_RDONLY), ELOOP);

    /* .. out of the nested read-only grant into its read-write parent and back. */
    expect("control: create /data/sub/../up1", try_open("/data/sub/../up1", O_WRONLY | O_CREAT), 0);
    expect("write /data/sub/../sub/victim", try_open("/data/sub/../sub/victim", O_WRONLY), EROFS);
    expect("write /data/sub/dir/../../sub/victim", try_open("/data/sub/dir/../../sub/victim", O_WRONLY), EROFS);
    int sub = open("/data/sub/dir", O_RDONLY | O_DIRECTORY);
    expect("open /data/sub/dir", sub, 0);
    expect("control: openat(sub/dir, ../../up2, O_CREAT)", ok_if(openat(sub, "../../up2", O_WRONLY | O_CREAT, 0644) >= 0), 0);
    expect("openat(sub/dir, deep, O_WRONLY)", openat(sub, "deep", O_WRONLY), EROFS);
    expect("openat(sub/dir, ../victim, O_WRONLY)", openat(sub, "../victim", O_WRONLY), EROFS);
    expect("openat(sub/dir, ../../sub/victim, O_WRONLY)", openat(sub, "../../sub/victim", O_WRONLY), EROFS);
    int file_fd = open("/data/sub/victim", O_RDONLY);
    expect("openat(a file's descriptor, ..)", openat(file_fd, "..", O_RDONLY), ENOTDIR);
    expect("openat(a file's descriptor, ../victim)", openat(file_fd, "../victim", O_WRONLY), ENOTDIR);
    expect("chdir /data/sub/dir", chdir("/data/sub/dir"), 0);
    expect("control: create ../../up3 (relative to the cwd)", try_open("../../up3", O_WRONLY | O_CREAT), 0);
    expect("write ../victim (relative to the cwd)", try_open("../victim", O_WRONLY), EROFS);
    char cwd[64];
    expect("getcwd is /data/sub/dir", ok_if(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/data/sub/dir") == 0), 0);
    expect("chdir ../../.. to /", ok_if(chdir("../../..") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0), 0);
    expect("chdir .. at / stays at /", ok_if(chdir("..") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0), 0);

    /* Deeper than a resolution keeps directories open for, and back. */
    char deep[512] = "/data", climb[1024];
    int made = 0;
    for (int i = 0; i < 40; ++i) made += (strcat(deep, "/n"), mkdir(deep, 0755) == 0);
    expect("control: mkdir 40 nested directories", ok_if(made == 40), 0);
    strcpy(climb, deep);
    for (int i = 0; i < 40; ++i) strcat(climb, "/..");
    strcat(climb, "/target");
    expect("read 40 levels down and 40 .. up", reads(climb, "via link"), 0);
    strcpy(strstr(climb, "/target"), "/sub/victim");
    expect("write 40 levels down, 40 .. up, into sub", try_open(climb, O_WRONLY), EROFS);

    /* Hard links and renames between the grants. */
    expect("control: link within the rw grant", link("/data/target", "/data/target.link"), 0);
    expect("link ro victim -> /data/stolen", link("/data/sub/victim", "/data/stolen"), EXDEV);
    expect("linkat through the symlink, AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "/data/rel", AT_FDCWD, "/data/stolen",
                                                                    AT_SYMLINK_FOLLOW), EXDEV);
    expect("link within the ro grant", link("/data/sub/victim", "/data/sub/victim2"), EROFS);
    expect("link an rw file into the ro grant", link("/data/target", "/data/sub/planted"), EXDEV);
    expect("link a directory", link("/data/sub/dir", "/data/dirlink"), EXDEV);
    expect("control: rename within the rw grant", rename("/data/up1", "/data/up1.renamed"), 0);
    expect("rename ro victim -> /data/moved", rename("/data/sub/victim", "/data/moved"), EXDEV);
    expect("rename ro victim within its grant", rename("/data/sub/victim", "/data/sub/moved"), EROFS);
    expect("rename an rw file over the ro victim", rename("/data/target.link", "/data/subdir/victim"), EXDEV);
    expect("rename the mount point /data/sub", rename("/data/sub", "/data/sub2"), EBUSY);
    expect("rename over the mount point", rename("/data/up1.renamed", "/data/sub"), EBUSY);
    expect("rmdir the mount point", rmdir("/data/sub"), EBUSY);

    /* A parent of a nested read-only grant renamed: the grant's root is
     * still known by what it is. */
    expect("control: write /data/a/b/plain", write_file("/data/a/b/plain", "rw"), 0);
    expect("rename /data/a -> /data/a2", rename("/data/a", "/data/a2"), 0);
    expect("read /data/a2/b/nested/file", reads("/data/a2/b/nested/file", "nested"), 0);
    expect("write /data/a2/b/nested/file", try_open("/data/a2/b/nested/file", O_WRONLY), EROFS);
    expect("create /data/a2/b/nested/new", try_open("/data/a2/b/nested/new", O_WRONLY | O_CREAT), EROFS);
    expect("unlink /data/a2/b/nested/file", unlink("/data/a2/b/nested/file"), EROFS);
    expect("rename the grant's root by its new path", rename("/data/a2/b/nested", "/data/a2/b/n2"), EBUSY);
    expect("control: write /data/a2/b/plain", write_file("/data/a2/b/plain", "still rw"), 0);
    expect("the mount point still reads", reads("/data/a/b/nested/file", "nested"), 0);

    /* O_PATH descriptors. */
    int path_fd = open("/data/sub/victim", O_PATH);
    expect("open ro victim O_PATH", path_fd, 0);
    expect("openat(O_PATH fd, \"\", O_WRONLY)", openat(path_fd, "", O_WRONLY), ENOENT);
    expect("linkat(O_PATH fd, AT_EMPTY_PATH) into rw", linkat(path_fd, "", AT_FDCWD, "/data/flinked", AT_EMPTY_PATH), EXDEV);
    snprintf(name, sizeof name, "/proc/self/fd/%d", path_fd);
    expect("open /proc/self/fd/N for writing", try_open(name, O_WRONLY), ENOENT);
    expect("write to the O_PATH descriptor", (int)write(path_fd, "x", 1), EBADF);
    int sub_path = open("/data/sub", O_PATH | O_DIRECTORY);
    expect("openat(O_PATH dir of ro grant, victim, O_WRONLY)", openat(sub_path, "victim", O_WRONLY), EROFS);
    expect("control: openat(O_PATH dir /data, new, O_CREAT)",
           ok_if(openat(open("/data", O_PATH | O_DIRECTORY), "opath_new", O_WRONLY | O_CREAT, 0644) >= 0), 0);

    /* The same host directory granted read-write (/data) and read-only (/ro_again). */
    expect("read /ro_again/target (made through /data)", reads("/ro_again/target", "via link"), 0);
    expect("write /ro_again/target", try_open("/ro_again/target", O_WRONLY), EROFS);
    expect("create /ro_again/new", try_open("/ro_again/new", O_WRONLY | O_CREAT), EROFS);
    expect("write /ro_again/sub/victim", try_open("/ro_again/sub/victim", O_WRONLY), EROFS);
    expect("rename /data/target -> /ro_again/x", rename("/data/target", "/ro_again/x"), EXDEV);
    expect("control: write /data/target again", write_file("/data/target", "via link"), 0);

    /* A file of the read-write grant granted by itself, read-only. */
    expect("read /data/ro_file", reads("/data/ro_file", "file grant"), 0);
    expect("write /data/ro_file", try_open("/data/ro_file", O_WRONLY), EROFS);
    expect("write /ro_file", try_open("/ro_file", O_WRONLY), EROFS);
    expect("link /data/ro_file -> /data/ro_copy", link("/data/ro_file", "/data/ro_copy"), EXDEV);
    expect("rename /data/ro_file", rename("/data/ro_file", "/data/ro_moved"), EBUSY);
    expect("unlink /data/ro_file", unlink("/data/ro_file"), EBUSY);
    expect("control: unlink /data/target.link", unlink("/data/target.link"), 0);

    /* D/rwsub is granted read-write by itself too, at /rw_inner: through
     * /data it is /data's, as a bind mount's subdirectory would be. */
    expect("control: rename /data/rwsub/f -> /data/rwsub_f", rename("/data/rwsub/f", "/data/rwsub_f"), 0);
    expect("control: write /rw_inner/x", write_file("/rw_inner/x", "inner"), 0);
    expect("read it as /data/rwsub/x", reads("/data/rwsub/x", "inner"), 0);
    expect("rename /rw_inner/x -> /data/x (another grant)", rename("/rw_inner/x", "/data/x"), EXDEV);

    /* The synthetic directories. */
    struct stat root1, root2, data, only, up;
    expect("stat /", stat("/", &root1), 0);
    expect("stat / again: the same", ok_if(stat("/", &root2) == 0 && root1.st_dev == root2.st_dev &&
                                           root1.st_ino == root2.st_ino && root1.st_nlink == root2.st_nlink &&
                                           root1.st_mtime == root2.st_mtime), 0);
    expect("/ is a 0555 directory, root's, linked >= 2", ok_if(S_ISDIR(root1.st_mode) && (root1.st_mode & 07777) == 0555 &&
                                                              root1.st_uid == 0 && root1.st_gid == 0 && root1.st_nlink >= 2), 0);
    expect("/ is no grant's directory", ok_if(stat("/data", &data) == 0 && data.st_dev != root1.st_dev), 0);
    expect("/only/.. is /", ok_if(stat("/only", &only) == 0 && stat("/only/..", &up) == 0 &&
                                  up.st_ino == root1.st_ino && only.st_ino != root1.st_ino && S_ISDIR(only.st_mode)), 0);
    int root_fd = open("/", O_RDONLY | O_DIRECTORY);
    expect("fstat of / as a descriptor: the same", ok_if(fstat(root_fd, &root2) == 0 && root2.st_ino == root1.st_ino &&
                                                           root2.st_dev == root1.st_dev), 0);
    expect("openat(/, data/sub/victim, O_WRONLY)", openat(root_fd, "data/sub/victim", O_WRONLY), EROFS);
    expect("ls /", lists("/", "data dev only ro_again ro_file rw_inner"), 0);
    expect("ls /only", lists("/only", "deep"), 0);
    expect("ls /only/deep/grant", lists("/only/deep/grant", "e.txt"), 0);
    expect("mkdir /only (exists)", mkdir("/only", 0755), EEXIST);
    expect("mkdir /only/x (nothing else can be there)", mkdir("/only/x", 0755), ENOENT);
    expect("rmdir /only", rmdir("/only"), EBUSY);
    expect("rename /only -> /data/only", rename("/only", "/data/only"), EBUSY);
    expect("fchdir to /only, then stat deep", ok_if(fchdir(open("/only", O_RDONLY | O_DIRECTORY)) == 0 &&
                                                    stat("deep/grant/e.txt", &st) == 0 && getcwd(cwd, sizeof cwd) &&
                                                    strcmp(cwd, "/only") == 0), 0);
    expect("write deep/grant/e.txt from there", try_open("deep/grant/e.txt", O_WRONLY), EROFS);
    expect("open ../data/target from there", reads("../data/target", "via link"), 0);
    return failures;
}
