/* What the x87 instruction and operand pointers (FIP, FCS, FDP, FDS) read as
 * after an x87 instruction, through every way a 32-bit program can store
 * them: fnstenv, fstenv, fnsave, fxsave, xsave, xsaveopt, xsavec and a signal
 * frame's fpstate. A native i386 process sees FIP inside its own code (or 0:
 * CPUs that save them only with an exception pending), FCS 0x23 (or 0: CPUs
 * that deprecate it) and FDP its operand's address (or 0); under vx they are
 * 0 (docs/dbt-engine.md). Never a host code address, nor the host's 64-bit
 * code selector 0x33. Exits with the number of checks that failed. */
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

extern const char __executable_start[], etext[];

static int failures;
static volatile double operand = 2.5;
static uint32_t operand_address;  /* what FDP may name */

static void expect(const char* what, int ok) {
    printf("%-66s %s\n", what, ok ? "ok" : "<-- WRONG");
    failures += !ok;
}

/* An x87 instruction with a memory operand: FIP, FCS, FDP and FDS name it. */
static void touch_x87(void) {
    __asm__ volatile("fninit\n\tfldl %0\n\tfstp %%st(0)" : : "m"(operand));
}

/* The same, leaving an unmasked invalid-operation exception pending (a
 * signaling NaN loaded with IM clear): CPUs that save the pointers only then
 * (AMD's fxsave and xsave) save them now. Only non-waiting instructions may
 * follow until fninit. */
static volatile double snan;
static void touch_x87_pending(void) {
    static const uint64_t bits = 0x7ff0000000000001ull;
    static const uint16_t unmask_invalid = 0x37e;
    memcpy((void*)&snan, &bits, sizeof bits);
    operand_address = (uint32_t)&snan;
    __asm__ volatile("fninit\n\tfldcw %1\n\tfldl %0" : : "m"(snan), "m"(unmask_invalid));
}
static void clear_x87(void) { __asm__ volatile("fninit"); }

static void check(const char* how, uint32_t fip, uint16_t fcs, uint32_t fdp, uint16_t fds) {
    char line[160];
    int fip_ok = fip == 0 || (fip >= (uint32_t)__executable_start && fip < (uint32_t)etext);
    int fdp_ok = fdp == 0 || fdp == operand_address;
    snprintf(line, sizeof line, "%s: FIP %#x FCS %#x FDP %#x FDS %#x", how, fip, fcs, fdp, fds);
    expect(line, fip_ok && (fcs == 0x23 || fcs == 0) && fdp_ok && (fds == 0x2b || fds == 0) && fcs != 0x33);
}

/* The 32-bit protected-mode environment: FIP at 12, FCS at 16, FDP at 20, FDS at 24. */
static void check_environment(const char* how, const uint8_t* env) {
    uint32_t fip, fdp;
    uint16_t fcs, fds;
    memcpy(&fip, env + 12, 4), memcpy(&fcs, env + 16, 2), memcpy(&fdp, env + 20, 4), memcpy(&fds, env + 24, 2);
    check(how, fip, fcs, fdp, fds);
}

/* The FXSAVE layout (also XSAVE's legacy region): FIP at 8, FCS at 12, FDP at 16, FDS at 20. */
static void check_fxsave_image(const char* how, const uint8_t* image) {
    uint32_t fip, fdp;
    uint16_t fcs, fds;
    memcpy(&fip, image + 8, 4), memcpy(&fcs, image + 12, 2), memcpy(&fdp, image + 16, 4), memcpy(&fds, image + 20, 2);
    check(how, fip, fcs, fdp, fds);
    uint32_t high[2];
    memcpy(high, image + 12, 4), memcpy(high + 1, image + 20, 4);
    /* (Bytes 14-15 and 22-23 hold the upper halves of 64-bit pointers in the 64-bit format.) */
    expect("  and no upper halves of 64-bit pointers", (high[0] >> 16) == 0 && (high[1] >> 16) == 0);
}

static volatile int handled;
static void on_usr1(int signo, siginfo_t* info, void* context) {
    (void)signo, (void)info;
    ucontext_t* uc = context;
    const uint8_t* fpstate = (const uint8_t*)uc->uc_mcontext.fpregs;
    if (fpstate) {
        check_environment("signal frame, fsave header", fpstate);
        check_fxsave_image("signal frame, fxsave image", fpstate + 112);
    } else {
        expect("signal frame has an fpstate", 0);
    }
    handled = 1;
}

static void save_all(int pending) {
    static uint8_t env[28], save[108];
    static uint8_t fx[512] __attribute__((aligned(16)));
    static uint8_t xs[4096] __attribute__((aligned(64)));
    void (*touch)(void) = pending ? touch_x87_pending : touch_x87;
    char how[64];
#define NAMED(what) (snprintf(how, sizeof how, "%s%s", what, pending ? " (exception pending)" : ""), how)

    touch();
    __asm__ volatile("fnstenv %0" : "=m"(env));
    clear_x87();
    check_environment(NAMED("fnstenv"), env);
    if (!pending) {  /* the waiting forms would raise the pending exception */
        touch();
        __asm__ volatile("fstenv %0" : "=m"(env));  /* fwait; fnstenv */
        check_environment(NAMED("fstenv"), env);
        touch();
        __asm__ volatile("fsave %0" : "=m"(save));
        check_environment(NAMED("fsave"), save);
    }
    touch();
    __asm__ volatile("fnsave %0" : "=m"(save));
    clear_x87();
    check_environment(NAMED("fnsave"), save);
    touch();
    __asm__ volatile("fxsave %0" : "=m"(fx));
    clear_x87();
    check_fxsave_image(NAMED("fxsave"), fx);

    unsigned a, b, c, d;
    int has_xsave = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE);
    int has_xsaveopt = has_xsave && __get_cpuid_count(0xd, 1, &a, &b, &c, &d) && (a & 1);
    int has_xsavec = has_xsave && (a & 2);
    if (!has_xsave) {
        printf("no xsave here: its checks did not run\n");
        return;
    }
    touch();
    memset(xs, 0, sizeof xs);
    __asm__ volatile("xsave %0" : "=m"(xs) : "a"(3), "d"(0));
    clear_x87();
    check_fxsave_image(NAMED("xsave"), xs);
    if (has_xsaveopt) {
        touch();
        memset(xs, 0, sizeof xs);
        __asm__ volatile("xsaveopt %0" : "=m"(xs) : "a"(3), "d"(0));
        clear_x87();
        check_fxsave_image(NAMED("xsaveopt"), xs);
    }
    if (has_xsavec) {
        touch();
        memset(xs, 0, sizeof xs);
        __asm__ volatile("xsavec %0" : "=m"(xs) : "a"(3), "d"(0));
        clear_x87();
        check_fxsave_image(NAMED("xsavec"), xs);
    }
}

/* The rest of what fnstenv and fnsave store, and what they do, is the CPU's:
 * the control word, the registers, fnstenv masking the exceptions, fnsave
 * reinitializing the FPU (and frstor bringing it back). */
static void check_state_kept(void) {
    static uint8_t env[28], save[108];
    static const uint16_t unmask_invalid = 0x37e;
    uint16_t control = 0, status = 0, stored;
    __asm__ volatile("fninit\n\tfldcw %2\n\tfnstenv %0\n\tfnstcw %1" : "=m"(env), "=m"(control) : "m"(unmask_invalid));
    memcpy(&stored, env, 2);
    expect("fnstenv stores the control word, then masks the exceptions", stored == 0x37e && control == 0x37f);
    double one = 0, pi = 0;
    __asm__ volatile("fninit\n\tfldpi\n\tfld1\n\tfnsave %0\n\tfnstsw %1" : "=m"(save), "=m"(status));
    static const uint8_t one_80[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
    memcpy(&stored, save, 2);
    expect("fnsave stores the control word and st0 = 1.0", stored == 0x37f && memcmp(save + 28, one_80, 10) == 0);
    expect("fnsave reinitializes the FPU (top 0)", ((status >> 11) & 7) == 0);
    __asm__ volatile("frstor %2\n\tfstpl %0\n\tfstpl %1" : "=m"(one), "=m"(pi) : "m"(save));
    expect("frstor brings back 1.0 and pi", one == 1.0 && pi > 3.14159 && pi < 3.1416);
}

/* fnsave and fnstenv over the end of mapped memory fault before they change
 * anything: the bytes before the edge, and the FPU (fnsave would reinitialize it). */
static sigjmp_buf at_fault;
static void on_segv(int signo) { (void)signo; siglongjmp(at_fault, 1); }
static void check_fault_at_edge(int save) {
    uint8_t* page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || munmap(page + 4096, 4096) != 0) {
        expect("mmap", 0);
        return;
    }
    uint8_t* at = page + 4096 - 20;
    memset(page, 0xa5, 4096);
    signal(SIGSEGV, on_segv);
    volatile int faulted = 0;
    uint16_t status = 0xffff;
    double kept = 0;
    __asm__ volatile("fninit\n\tfldpi");
    if (sigsetjmp(at_fault, 1) == 0) {
        if (save) __asm__ volatile("fnsave (%0)" : : "r"(at) : "memory");
        else __asm__ volatile("fnstenv (%0)" : : "r"(at) : "memory");
    } else {
        faulted = 1;
    }
    __asm__ volatile("fnstsw %0\n\tfstpl %1" : "=m"(status), "=m"(kept));
    int untouched = 1;
    for (int i = 0; i < 20; ++i) untouched &= at[i] == 0xa5;
    expect(save ? "fnsave over the edge of memory faults, changing nothing"
                : "fnstenv over the edge of memory faults, changing nothing",
           faulted && untouched && ((status >> 11) & 7) == 7 && kept > 3.14159 && kept < 3.1416);
    signal(SIGSEGV, SIG_DFL);
    munmap(page, 4096);
}

/* Addressed through esp (a register the translation renames) and with a
 * 16-bit operand size (the 14/94-byte formats, refused: SIGILL). */
static sigjmp_buf at_sigill;
static void on_sigill(int signo) { (void)signo; siglongjmp(at_sigill, 1); }
static void check_other_forms(void) {
    uint8_t env[28];
    memset(env, 0xa5, sizeof env);
    touch_x87_pending();
    __asm__ volatile("sub $32, %%esp\n\tfnstenv (%%esp)\n\t"
                     "movl (%%esp), %%eax\n\tmovl %%eax, (%0)\n\tmovl 12(%%esp), %%eax\n\tmovl %%eax, 12(%0)\n\t"
                     "movl 20(%%esp), %%eax\n\tmovl %%eax, 20(%0)\n\tadd $32, %%esp"
                     : : "r"(env) : "eax", "memory");
    clear_x87();
    uint32_t fip, fdp;
    uint16_t control;
    memcpy(&control, env, 2), memcpy(&fip, env + 12, 4), memcpy(&fdp, env + 20, 4);
    expect("fnstenv (%esp): the control word, and no host pointers", control == 0x37e && fip == 0 && fdp == 0);
    signal(SIGILL, on_sigill);
    volatile int refused = 0;
    static uint8_t small[94];
    if (sigsetjmp(at_sigill, 1) == 0) __asm__ volatile("data16 fnstenv %0" : "=m"(small));
    else refused = 1;
    signal(SIGILL, SIG_DFL);
    expect("the 16-bit fnstenv is refused (SIGILL)", refused);
}

int main(void) {
    check_state_kept();
    check_other_forms();
    check_fault_at_edge(0);
    check_fault_at_edge(1);
    operand_address = (uint32_t)&operand;
    save_all(0);
    save_all(1);

    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = on_usr1;
    act.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &act, NULL);
    operand_address = (uint32_t)&operand;
    touch_x87();
    raise(SIGUSR1);
    expect("the handler ran", handled);
    handled = 0;
    touch_x87_pending();
    raise(SIGUSR1);
    clear_x87();
    expect("the handler ran (exception pending)", handled);
    return failures;
}
