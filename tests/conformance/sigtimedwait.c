/* rt_sigtimedwait: a blocked signal taken without its handler, from the
 * process itself and from a child; a timeout; a set with nothing pending. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int handled;
static void on_signal(int signo) { handled = signo; }

int main(void) {
    signal(SIGUSR1, on_signal);
    signal(SIGUSR2, on_signal);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, 0);

    kill(getpid(), SIGUSR2);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int got = sigwaitinfo(&set, &info);
    printf("from itself: %s, si_signo %s, from itself %d, handler ran %d\n", got > 0 ? strsignal(got) : strerror(errno),
           strsignal(info.si_signo), info.si_pid == getpid(), handled);

    struct timespec short_wait = {0, 20 * 1000 * 1000};
    got = sigtimedwait(&set, &info, &short_wait);
    printf("nothing pending, 20 ms: %d (%s)\n", got, got < 0 ? strerror(errno) : "");

    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    memset(&info, 0, sizeof info);
    got = sigwaitinfo(&set, &info);
    printf("from the child: %s, si_code SI_USER %d, from the child %d, handler ran %d\n",
           got > 0 ? strsignal(got) : strerror(errno), info.si_code == SI_USER, info.si_pid == child, handled);
    waitpid(child, 0, 0);

    struct timespec bad = {0, 2000000000};
    got = sigtimedwait(&set, &info, &bad);
    printf("bad timeout: %d (%s)\n", got, got < 0 ? strerror(errno) : "");
    return 0;
}
