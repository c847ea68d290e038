/* execve and the process tree under vxrun, checked by the guest itself.
 * run: exec_guest HOST_PID, with this binary granted at /bin/prog, a script
 * at /scripts (see exec.sh). As a child it is started in other roles
 * (argv[1]). Exits with the number of checks that failed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void expect(const char* what, int ok) {
    printf("%-60s %s\n", what, ok ? "ok" : "<-- WRONG");
    failures += !ok;
}

static void expect_errno(const char* what, int result, int want) {
    char line[160];
    snprintf(line, sizeof line, "%s: %s", what, result < 0 ? strerror(errno) : "succeeded");
    expect(line, result < 0 && errno == want);
}

/* Runs argv[0] with execve in a child; returns what it wrote to stdout. */
static char* run(const char* path, char* const argv[]) {
    static char out[512];
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execve(path, argv, (char*[]){"FROM=parent", NULL});
        printf("execve failed: %s", strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    close(p[1]);
    ssize_t n, len = 0;
    while ((n = read(p[0], out + len, sizeof out - 1 - len)) > 0) len += n;
    out[len] = 0;
    close(p[0]);
    waitpid(pid, NULL, 0);
    return out;
}

/* The roles a child runs in after execve. */
static int role(int argc, char** argv) {
    if (strcmp(argv[1], "echo") == 0) {
        char exe[64] = {0};
        readlink("/proc/self/exe", exe, sizeof exe - 1);
        printf("echo");
        for (int i = 2; i < argc; ++i) printf(" %s", argv[i]);
        printf(" [exe %s] [env %s]", exe, getenv("FROM") ? getenv("FROM") : "-");
        return 0;
    }
    if (strcmp(argv[1], "fds") == 0) {  /* fds KEPT CLOSED: which survived execve */
        int kept = fcntl(atoi(argv[2]), F_GETFD), closed = fcntl(atoi(argv[3]), F_GETFD);
        printf("kept %s, cloexec one %s", kept >= 0 ? "open" : "closed", closed >= 0 ? "open" : "closed");
        return 0;
    }
    if (strcmp(argv[1], "signals") == 0) {
        struct sigaction term, usr2;
        sigaction(SIGTERM, NULL, &term);
        sigaction(SIGUSR2, NULL, &usr2);
        printf("handled one %s, ignored one %s", term.sa_handler == SIG_DFL ? "default" : "kept",
               usr2.sa_handler == SIG_IGN ? "ignored" : "lost");
        return 0;
    }
    return 100;
}

static void on_term(int sig) { (void)sig; }

int main(int argc, char** argv) {
    if (argc > 2 || (argc == 2 && !(argv[1][0] >= '0' && argv[1][0] <= '9'))) return role(argc, argv);
    pid_t host_parent = argc == 2 ? atoi(argv[1]) : 0;

    char* r = run("/proc/self/exe", (char*[]){"x", "echo", "hello", NULL});
    expect("execve /proc/self/exe", strncmp(r, "echo hello [exe ", 16) == 0 && strstr(r, "[env parent]"));
    r = run("/bin/prog", (char*[]){"prog", "echo", "granted", NULL});
    expect("execve of a granted program", strcmp(r, "echo granted [exe /bin/prog] [env parent]") == 0);
    r = run("/scripts/script", (char*[]){"script", "a1", NULL});
    expect("execve of a #! script: interpreter, its argument, the script",
           strcmp(r, "echo /scripts/script a1 [exe /bin/prog] [env parent]") == 0);
    if (failures) printf("  (last output: %s)\n", r);

    int kept = open("/bin/prog", O_RDONLY), closed = open("/bin/prog", O_RDONLY | O_CLOEXEC);
    char kept_s[8], closed_s[8];
    snprintf(kept_s, sizeof kept_s, "%d", kept);
    snprintf(closed_s, sizeof closed_s, "%d", closed);
    r = run("/bin/prog", (char*[]){"prog", "fds", kept_s, closed_s, NULL});
    expect("close-on-exec descriptors close, others stay", strcmp(r, "kept open, cloexec one closed") == 0);
    int flags = fcntl(closed, F_GETFD);
    expect("F_GETFD reports FD_CLOEXEC", flags == FD_CLOEXEC);
    fcntl(closed, F_SETFD, 0);
    expect("F_SETFD clears it", fcntl(closed, F_GETFD) == 0);

    signal(SIGTERM, on_term);
    signal(SIGUSR2, SIG_IGN);
    r = run("/bin/prog", (char*[]){"prog", "signals", NULL});
    expect("execve: handlers reset, ignored signals stay ignored", strcmp(r, "handled one default, ignored one ignored") == 0);
    signal(SIGUSR2, SIG_DFL);

    expect_errno("execve of a host program outside the grants (/bin/sh)", execve("/bin/sh", (char*[]){"sh", NULL}, NULL), ENOENT);
    expect_errno("execve of /proc/self/cwd/.. tricks", execve("/proc/self/root/bin/sh", (char*[]){"sh", NULL}, NULL), ENOENT);
    expect_errno("execve of a file without execute permission", execve("/scripts/data.txt", (char*[]){"d", NULL}, NULL), EACCES);
    expect_errno("execve of a text file that is no program", execve("/scripts/not_a_program", (char*[]){"n", NULL}, NULL), ENOEXEC);
    expect_errno("execve of a directory", execve("/scripts", (char*[]){"d", NULL}, NULL), EACCES);
    expect_errno("execve with argv outside memory", execve("/bin/prog", (char**)0xfffff000, NULL), EFAULT);
    expect_errno("execve of a #! loop", execve("/scripts/loop", (char*[]){"loop", NULL}, NULL), ELOOP);

    if (host_parent) {
        expect_errno("kill the host process that started vxrun", kill(host_parent, SIGTERM), ESRCH);
    }
    expect_errno("kill(-1): no other process in the tree", kill(-1, SIGUSR2), ESRCH);
    expect_errno("kill a pid outside the tree", kill(4000, SIGTERM), ESRCH);
    expect("getppid of the first process is 0", getppid() == 0);
    expect("getpid of the first process is 1", getpid() == 1);

    /* A grandchild dies with its parent (it is never left running); its pid
     * then names nothing, even once the host reuses the number. */
    int report[2];
    pipe(report);
    pid_t middle = fork();
    if (middle == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            pause();
            _exit(0);
        }
        write(report[1], &grandchild, sizeof grandchild);
        _exit(0);
    }
    pid_t grandchild = 0;
    read(report[0], &grandchild, sizeof grandchild);
    waitpid(middle, NULL, 0);
    int gone = 0;
    for (int i = 0; i < 200 && !gone; ++i) {  /* its death (SIGKILL) is asynchronous */
        gone = kill(grandchild, 0) < 0 && errno == ESRCH;
        if (!gone) usleep(5000);
    }
    expect("an orphaned grandchild is gone, its pid unknown", grandchild > 1 && gone);

    /* A fork bomb ends at the tree's limit with EAGAIN; the host is fine. */
    int forked = 0, error = 0;
    int hold[2];
    pipe(hold);
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) { error = errno; break; }
        if (pid == 0) {
            char c;
            close(hold[1]);
            read(hold[0], &c, 1);  /* until the parent lets go */
            _exit(0);
        }
        if (++forked > 10000) break;
    }
    close(hold[1]);
    while (wait(NULL) > 0) {}
    char line[96];
    snprintf(line, sizeof line, "fork until the limit: %d children, then %s", forked, strerror(error));
    expect(line, error == EAGAIN && forked > 10 && forked < 10000);
    expect("after reaping them, fork works again", run("/proc/self/exe", (char*[]){"x", "echo", "again", NULL})[0] == 'e');
    return failures;
}
