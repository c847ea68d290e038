/* Signal handlers: a SIGSEGV handler that sees the faulting address and
 * jumps out, a SIGFPE handler, raise() with a handler that returns, the mask
 * while a handler runs, and SA_RESETHAND. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf recover;
static volatile void* fault_address;
static volatile int usr1_count, blocked_inside;

static void on_segv(int sig, siginfo_t* info, void* uc) {
    (void)uc;
    fault_address = info->si_addr;
    printf("handler: signal %d, code %s\n", sig, info->si_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
    siglongjmp(recover, 1);
}

static void on_fpe(int sig, siginfo_t* info, void* uc) {
    (void)uc;
    printf("handler: signal %d, code %s\n", sig, info->si_code == FPE_INTDIV ? "FPE_INTDIV" : "other");
    siglongjmp(recover, 2);
}

static void on_usr1(int sig) {
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    blocked_inside = sigismember(&now, SIGUSR1);
    ++usr1_count;
    (void)sig;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(recover, 1) == 0) {
        *(volatile int*)0x1234 = 1;
        puts("not reached");
    }
    printf("recovered; fault address %p\n", (void*)fault_address);

    sa.sa_sigaction = on_fpe;
    sigaction(SIGFPE, &sa, NULL);
    volatile int zero = 0;
    if (sigsetjmp(recover, 1) == 0) printf("%d\n", 7 / zero);
    puts("recovered from a division by zero");

    signal(SIGUSR1, on_usr1);
    int registers_before = 12345;
    raise(SIGUSR1);
    raise(SIGUSR1);
    printf("SIGUSR1 handled %d times, blocked inside: %s, locals kept: %d\n", usr1_count,
           blocked_inside ? "yes" : "no", registers_before);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("after SA_RESETHAND: %d; raising again ends us\n", usr1_count);
    fflush(stdout);
    raise(SIGUSR2);
    puts("not reached");
    return 0;
}
