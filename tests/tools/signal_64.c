/* Signal 64 (SIGRTMAX) is the host's under vx (docs/linux-personality.md):
 * every way of sending it is EINVAL, to another process or to itself, and
 * nothing arrives; sigaction accepts it, as Linux does; 63 still travels.
 * Run under vxrun only (Linux delivers 64): exits with the number of checks
 * that failed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static int report[2];

static void expect(const char* what, int ok) {
    printf("%-58s %s\n", what, ok ? "ok" : "<-- WRONG");
    failures += !ok;
}

static void refused_einval(const char* what, long result) {
    char line[120];
    snprintf(line, sizeof line, "%s: %s", what, result == 0 ? "succeeded" : strerror(errno));
    expect(line, result == -1 && errno == EINVAL);
}

static void on_signal(int signo) {
    char byte = (char)signo;
    write(report[1], &byte, 1);
}

int main(void) {
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;
    expect("sigaction(64) is accepted", sigaction(64, &act, NULL) == 0);
    expect("sigaction(64) reads back the handler", sigaction(64, NULL, &old) == 0 && old.sa_handler == on_signal);
    expect("sigaction(63) is accepted", sigaction(63, &act, NULL) == 0);
    if (pipe(report) != 0) return 100;

    pid_t child = fork();
    if (child == 0) {  /* handlers survive fork: each signal that arrives is reported */
        write(report[1], "r", 1);
        for (;;) pause();
    }
    char byte = 0;
    expect("the child started", child > 0 && read(report[0], &byte, 1) == 1 && byte == 'r');

    refused_einval("kill(child, 64)", kill(child, 64));
    refused_einval("tkill(child, 64)", syscall(SYS_tkill, child, 64));
    refused_einval("tgkill(child, child, 64)", syscall(SYS_tgkill, child, child, 64));
    refused_einval("kill(0, 64) (the group)", kill(0, 64));
    refused_einval("kill(-1, 64) (everyone)", kill(-1, 64));
    refused_einval("kill(self, 64)", kill(getpid(), 64));
    refused_einval("tgkill(self, self, 64)", syscall(SYS_tgkill, getpid(), getpid(), 64));
    refused_einval("kill(child, 65)", kill(child, 65));
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = 64;
    info.si_code = SI_QUEUE;
    long queued = syscall(SYS_rt_sigqueueinfo, getpid(), 64, &info);
    expect("rt_sigqueueinfo(self, 64): ENOSYS (no rt_sigqueueinfo at all)", queued == -1 && errno == ENOSYS);

    /* 63 still reaches the child, and is the first (and only) thing it reports. */
    expect("kill(child, 63) succeeds", kill(child, 63) == 0);
    expect("the child got 63 and nothing before it", read(report[0], &byte, 1) == 1 && byte == 63);
    expect("kill(self, 63) succeeds", kill(getpid(), 63) == 0);
    expect("the guest itself got 63", read(report[0], &byte, 1) == 1 && byte == 63);

    kill(child, SIGKILL);
    int status = 0;
    expect("the child died of SIGKILL", waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
                                             WTERMSIG(status) == SIGKILL);
    return failures;
}
