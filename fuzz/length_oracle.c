/* The CPU's own verdict on an i386 instruction's length (for
 * decoder_length_fuzzer), by the method sandsifter made known: the first K
 * bytes of the instruction are placed at the end of an executable page whose
 * next page is inaccessible, and the instruction is run. If the CPU needs
 * more than K bytes, it faults fetching the next page with eip still at the
 * instruction; if it needs K or fewer, it decodes the instruction whole and
 * whatever happens next is something else.
 *
 * Protocol on stdin/stdout: a request is one byte K, one byte N, then N
 * instruction bytes (K <= N <= 15); the answer is one byte: 0 "needs more
 * than K", 1 "needs no more than K", 2 a request it cannot serve, 3 no
 * verdict (the instruction wrote over its own bytes). Each probe
 * runs in a fresh child, so whatever the instruction does dies with it. Run
 * natively (a 32-bit process), never inside vx. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

enum { kNeedsMore = 0, kNeedsNoMore = 1, kCannot = 2, kInconclusive = 3 };
enum { kPage = 4096, kScratch = 1 << 20 };
/* Far apart, with nothing mapped after the scratch memory: a rep string
 * instruction running off its end faults there, and never rewrites the
 * instruction under test. */
#define kScratchAt ((void*)0x20000000)
#define kCodeAt ((void*)0x60000000)

static uint8_t* code_pages;         /* an RWX page, then an inaccessible one */
static uint8_t original[15];        /* the probe's bytes, to tell if it rewrote them */
static volatile uint8_t* verdict;   /* shared with the parent */
uint32_t oracle_start, oracle_value;

static void on_signal(int signo, siginfo_t* info, void* context) {
    ucontext_t* uc = context;
    uint32_t eip = (uint32_t)uc->uc_mcontext.gregs[REG_EIP];
    uint32_t error = (uint32_t)uc->uc_mcontext.gregs[REG_ERR];
    uint32_t boundary = (uint32_t)(uintptr_t)(code_pages + kPage);
    int fetch_beyond = signo == SIGSEGV && (uint32_t)(uintptr_t)info->si_addr == boundary &&
                       (error & 0x10) /* an instruction fetch */ && eip == oracle_start;
    unsigned k = boundary - oracle_start;
    if (memcmp(code_pages + kPage - k, original, k) != 0) *verdict = kInconclusive;  /* it wrote over itself */
    else *verdict = fetch_beyond ? kNeedsMore : kNeedsNoMore;
    _exit(0);
}

/* Every register points into scratch memory, so that memory operands mostly
 * land somewhere harmless; eax as a system call number is no call. */
static void __attribute__((noreturn, noinline)) run_probe(void) {
    __asm__ volatile(
        "cld\n"
        "mov oracle_value, %eax\n"
        "mov %eax, %ebx\n mov %eax, %ecx\n mov %eax, %edx\n"
        "mov %eax, %esi\n mov %eax, %edi\n mov %eax, %ebp\n mov %eax, %esp\n"
        "jmp *oracle_start\n");
    __builtin_unreachable();
}

static void probe(const uint8_t* bytes, unsigned k) {
    static uint8_t alternate_stack[65536];
    stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
    sigaltstack(&stack, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigfillset(&action.sa_mask);
    for (int signo = 1; signo < 32; ++signo)
        if (signo != SIGKILL && signo != SIGSTOP) sigaction(signo, &action, NULL);
    struct itimerval limit = {.it_value = {.tv_usec = 50000}};  /* a loop */
    setitimer(ITIMER_REAL, &limit, NULL);
    uint8_t* start = code_pages + kPage - k;
    memcpy(start, bytes, k);
    memcpy(original, bytes, k);
    oracle_start = (uint32_t)(uintptr_t)start;
    run_probe();
}

static int read_all(void* buffer, size_t size) {
    for (size_t done = 0; done < size;) {
        ssize_t n = read(0, (uint8_t*)buffer + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        done += (size_t)n;
    }
    return 1;
}

int main(void) {
    code_pages = mmap(kCodeAt, 2 * kPage, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    verdict = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    uint8_t* scratch = mmap(kScratchAt, kScratch, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (code_pages == MAP_FAILED || verdict == MAP_FAILED || scratch == MAP_FAILED) return 1;
    if (mprotect(code_pages + kPage, kPage, PROT_NONE) != 0) return 1;
    oracle_value = (uint32_t)(uintptr_t)(scratch + kScratch / 2);
    uint8_t header[2], bytes[15];
    while (read_all(header, 2)) {
        unsigned k = header[0], n = header[1];
        uint8_t answer = kCannot;
        if (n <= sizeof bytes && k <= n && read_all(bytes, n)) {
            *verdict = kCannot;
            pid_t child = fork();
            if (child == 0) probe(bytes, k);
            int status;
            pid_t waited;
            while (child > 0 && (waited = waitpid(child, &status, 0)) < 0 && errno == EINTR) continue;
            if (child > 0 && waited == child) answer = *verdict;
        }
        ssize_t written;
        while ((written = write(1, &answer, 1)) < 0 && errno == EINTR) continue;
        if (written != 1) return 1;
    }
    return 0;
}
