/* Processes: fork and wait (exit statuses and deaths by signal), a pipe
 * between parent and child, signals sent between processes (handled,
 * default, blocked until sigsuspend), SIGCHLD, process groups, vfork and
 * posix_spawn's clone. Output must match the reference run line for line. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_seen, chld_seen;
static void on_usr1(int sig) { (void)sig; usr1_seen++; }
static void on_chld(int sig) { (void)sig; chld_seen++; }

static void report(const char* what, int status) {
    if (WIFEXITED(status)) printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else printf("%s: status 0x%x\n", what, status);
}

static pid_t start(void (*child)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child();
        _exit(0);
    }
    return pid;
}

static void exit_7(void) { _exit(7); }
static void segfault(void) { *(volatile int*)0 = 1; }
static void wait_for_term(void) { pause(); }
static void abort_now(void) { abort(); }

static int pipe_fds[2];
static void write_to_pipe(void) {
    close(pipe_fds[0]);
    for (int i = 0; i < 1000; ++i) dprintf(pipe_fds[1], "line %d from pid-relative child\n", i);
    close(pipe_fds[1]);
}

static void handle_usr1_then_exit(void) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    signal(SIGUSR1, on_usr1);
    write(pipe_fds[1], "r", 1);  /* ready: the parent may signal now */
    while (!usr1_seen) sigsuspend(&old);
    _exit(40 + usr1_seen);
}

int main(void) {
    int status;
    pid_t pid = start(exit_7);
    printf("waitpid returns the child: %d\n", waitpid(pid, &status, 0) == pid);
    report("exit_7", status);
    printf("no children left: %s\n", waitpid(-1, &status, 0) < 0 && errno == ECHILD ? "ECHILD" : "?");

    pid = start(segfault);
    waitpid(pid, &status, 0);
    report("segfault", status);
    pid = start(abort_now);
    waitpid(pid, &status, 0);
    report("abort", status);

    pid = start(wait_for_term);
    usleep(20000);
    printf("kill: %d\n", kill(pid, SIGTERM));
    waitpid(pid, &status, 0);
    report("sigterm", status);
    printf("kill a reaped child: %s\n", kill(pid, SIGTERM) < 0 && errno == ESRCH ? "ESRCH" : "?");

    pipe(pipe_fds);
    pid = start(write_to_pipe);
    close(pipe_fds[1]);
    FILE* in = fdopen(pipe_fds[0], "r");
    char line[128];
    int lines = 0;
    while (fgets(line, sizeof line, in)) lines++;
    fclose(in);
    waitpid(pid, &status, 0);
    printf("lines through the pipe: %d\n", lines);
    report("writer", status);

    pipe(pipe_fds);
    pid = start(handle_usr1_then_exit);
    char ready;
    read(pipe_fds[0], &ready, 1);
    kill(pid, SIGUSR1);
    waitpid(pid, &status, 0);
    report("usr1 handler", status);
    close(pipe_fds[0]);
    close(pipe_fds[1]);

    signal(SIGCHLD, on_chld);
    pid = start(exit_7);
    while (!chld_seen) usleep(1000);
    printf("SIGCHLD delivered: %d\n", chld_seen);
    waitpid(pid, &status, WNOHANG);
    report("after SIGCHLD", status);
    signal(SIGCHLD, SIG_DFL);

    printf("getppid in child is our pid: ");
    fflush(stdout);
    pid_t parent = getpid();
    if ((pid = fork()) == 0) _exit(getppid() == parent ? 0 : 1);
    waitpid(pid, &status, 0);
    printf("%s\n", WEXITSTATUS(status) == 0 ? "yes" : "no");

    printf("process group of a child: ");
    fflush(stdout);
    if ((pid = fork()) == 0) {
        setpgid(0, 0);
        _exit(getpgrp() == getpid() ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    printf("%s\n", WEXITSTATUS(status) == 0 ? "its own" : "wrong");

    pid = vfork();
    if (pid == 0) _exit(9);
    waitpid(pid, &status, 0);
    report("vfork", status);

    /* posix_spawn clones with CLONE_VM|CLONE_VFORK onto a stack of its own.
     * The program does not exist: Linux, sharing memory with the child,
     * reports ENOENT; where the child gets a copy (vx, qemu) it exits 127. */
    char* argv[] = {"/no/such/program", NULL};
    int spawned = posix_spawn(&pid, argv[0], NULL, NULL, argv, NULL);
    if (spawned == 0) waitpid(pid, &status, 0);
    printf("posix_spawn of a missing program fails: %s\n",
           spawned == ENOENT || (spawned == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127) ? "yes" : "no");

    /* A child that stops itself, seen stopped, then continued. */
    if ((pid = fork()) == 0) {
        raise(SIGSTOP);
        _exit(12);
    }
    waitpid(pid, &status, WUNTRACED);
    printf("stopped: %s, by signal %d\n", WIFSTOPPED(status) ? "yes" : "no", WIFSTOPPED(status) ? WSTOPSIG(status) : 0);
    kill(pid, SIGCONT);
    waitpid(pid, &status, 0);
    report("continued", status);

    int children = 0;
    for (int i = 0; i < 20; ++i) {
        if ((pid = fork()) == 0) _exit(i);
        children++;
    }
    int sum = 0;
    while ((pid = wait(&status)) > 0) sum += WEXITSTATUS(status), children--;
    printf("20 children reaped, statuses sum to %d, %d left\n", sum, children);
    return 0;
}
