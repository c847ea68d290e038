/* A signal handler that uses x87, SSE and MXCSR, then returns: the code it
 * interrupted (at a fault, with live vector registers) must find its own
 * registers and rounding mode unchanged. The handler also sees the
 * interrupted state through the frame's fpstate. */
#pragma GCC target("sse2")
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int* page;
static int handler_saw_mxcsr_rounding = -1;

static void on_segv(int sig, siginfo_t* info, void* ctx) {
    (void)sig; (void)info;
    ucontext_t* uc = ctx;
    /* The interrupted MXCSR as the frame recorded it (rounding bits 13-14). */
    if (uc->uc_mcontext.fpregs) {
        uint32_t mxcsr = ((uint32_t*)uc->uc_mcontext.fpregs)[(112 + 24) / 4];
        handler_saw_mxcsr_rounding = (mxcsr >> 13) & 3;
    }
    /* Clobber what the interrupted code holds. */
    uint32_t round_to_nearest = 0x1f80;
    asm volatile("ldmxcsr %0" ::"m"(round_to_nearest));
    asm volatile("pcmpeqd %%xmm0, %%xmm0\n\txorps %%xmm1, %%xmm1\n\tfldz\n\tfldz\n\tfaddp" ::: "xmm0", "xmm1", "st");
    mprotect((void*)page, 4096, PROT_READ | PROT_WRITE);  /* the store then succeeds */
}

int main(void) {
    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    uint32_t xmm0[4], xmm1[4], round_down = 0x1f80 | (1 << 13), mxcsr_after;
    double st0;
    static const uint32_t pattern0[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
    static const uint32_t pattern1[4] = {0x55555555, 0x66666666, 0x77777777, 0x88888888};
    static const double pi = 3.14159;
    asm volatile(
        "ldmxcsr %[down]\n\t"
        "movups %[p0], %%xmm0\n\t"
        "movups %[p1], %%xmm1\n\t"
        "fldl %[pi]\n\t"
        "movl $1, (%[page])\n\t"  /* faults: the handler runs here */
        "fstpl %[st0]\n\t"
        "movups %%xmm0, %[x0]\n\t"
        "movups %%xmm1, %[x1]\n\t"
        "stmxcsr %[after]\n\t"
        : [x0] "=m"(xmm0), [x1] "=m"(xmm1), [st0] "=m"(st0), [after] "=m"(mxcsr_after)
        : [p0] "m"(pattern0), [p1] "m"(pattern1), [pi] "m"(pi), [down] "m"(round_down), [page] "r"(page)
        : "xmm0", "xmm1", "memory");

    printf("page written after the handler: %d\n", *page);
    printf("xmm0 kept: %s\n", memcmp(xmm0, pattern0, 16) == 0 ? "yes" : "no");
    printf("xmm1 kept: %s\n", memcmp(xmm1, pattern1, 16) == 0 ? "yes" : "no");
    printf("st0 kept: %.5f\n", st0);
    printf("rounding mode kept: %s\n", ((mxcsr_after >> 13) & 3) == 1 ? "round down" : "lost");
    printf("handler saw the interrupted rounding mode: %d\n", handler_saw_mxcsr_rounding);
    return 0;
}
