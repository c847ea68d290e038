/* Asynchronous signals reach a guest that makes no system call: a timer's
 * (alarm, setitimer of real and of CPU time) and another process's (kill),
 * each while the guest spins in a loop of its own; and a signal whose
 * default action ends the process ends a spinning child. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int signo) { caught = signo; }

static void spin_until_caught(const char* what) {
    while (!caught) {
    }
    printf("%s: caught signal %d\n", what, (int)caught);
    caught = 0;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGALRM, on_signal);
    signal(SIGVTALRM, on_signal);
    signal(SIGUSR1, on_signal);
    signal(SIGINT, on_signal);

    alarm(1);
    spin_until_caught("alarm");

    struct itimerval real = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &real, NULL);
    spin_until_caught("setitimer(ITIMER_REAL)");

    struct itimerval cpu = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_VIRTUAL, &cpu, NULL);
    spin_until_caught("setitimer(ITIMER_VIRTUAL)");

    const pid_t parent = getpid();
    for (int signo = SIGUSR1; signo; signo = signo == SIGUSR1 ? SIGINT : 0) {
        const pid_t child = fork();
        if (child == 0) {
            usleep(50000);
            kill(parent, signo);
            _exit(0);
        }
        spin_until_caught(signo == SIGUSR1 ? "kill(SIGUSR1) from a child" : "kill(SIGINT) from a child");
        waitpid(child, NULL, 0);
    }

    const pid_t spinner = fork();
    if (spinner == 0) {
        signal(SIGTERM, SIG_DFL);
        for (;;) {
        }
    }
    usleep(50000);
    kill(spinner, SIGTERM);
    int status = 0;
    waitpid(spinner, &status, 0);
    printf("a spinning child sent SIGTERM: %s %d\n", WIFSIGNALED(status) ? "killed by" : "exited",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return 0;
}
