/* The guest side of the differential test: reads cases (generate.py writes
 * them) from stdin, runs each from the state it gives and prints one line
 * of results. run.sh runs it natively and under vxrun and compares.
 *
 * A case is a header, an input state, the scratch memory's contents and
 * the instruction bytes. The bytes run on a fresh page (vx translates code
 * once: a page is never rewritten after it ran), followed by a jump to
 * case_done, which stores the registers. The line holds the registers, the
 * flags, and whatever of the x87/SSE/AVX state and the scratch memory
 * differs from the input. A case that faults prints the signal and the
 * registers at the fault instead. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/ldt.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* Two regions, below and above 2 GiB, each a scratch page and a window of
 * code pages; a case names its region. fs is based at the low scratch. */
static const uint32_t scratch_base[2] = {0x10000000u, 0xa0000000u};
static const uint32_t code_window[2] = {0x11000000u, 0xa1000000u};
#define SCRATCH_SIZE 4096u
#define CODE_PAGES 4096u
#define CASE_MAGIC 0x43445856u /* "VXDC" */
/* CF PF AF ZF SF DF OF: what the cases compute; the others are the
 * system's (IF, the reserved bit 1). */
#define COMPARED_FLAGS 0x0cd5u

struct state {             /* offsets used by the asm below */
    uint32_t gpr[8];       /* 0: eax ecx edx ebx esp ebp esi edi */
    uint32_t eflags;       /* 32 */
    uint32_t pad[3];
    uint8_t fx[512];       /* 48: an fxsave image */
    uint8_t ymm_hi[8][16]; /* 560: bits 128-255 of ymm0-7 (with AVX) */
    uint8_t zmm_hi[8][32]; /* 688: bits 256-511 of zmm0-7 (with AVX-512) */
    uint64_t k[8];         /* 944: k0-k7 (with AVX-512) */
} __attribute__((aligned(64)));
#define STATE_BYTES 1008
_Static_assert(offsetof(struct state, k) + sizeof(((struct state*)0)->k) == STATE_BYTES, "the case format");

struct case_header {
    uint32_t magic, index, code_length, region;
};

struct state in_state, out_state;
uint32_t saved_esp, code_entry;
uint8_t has_avx, has_avx512;

void run_case(void);
void case_done(void);

/* run_case loads in_state and jumps to code_entry; the case ends with a jump
 * to case_done, which stores out_state and returns from run_case. All
 * addresses are absolute: the case may point esp anywhere. */
__asm__(
    ".text\n"
    ".globl run_case\n"
    "run_case:\n"
    "    push %ebp; push %ebx; push %esi; push %edi\n"
    "    call 1f\n"
    "    pop %edi; pop %esi; pop %ebx; pop %ebp\n"
    "    ret\n"
    "1:  mov %esp, saved_esp\n"
    "    fxrstor in_state+48\n"
    "    cmpb $0, has_avx\n"
    "    je 2f\n"
    "    vinsertf128 $1, in_state+560, %ymm0, %ymm0\n"
    "    vinsertf128 $1, in_state+576, %ymm1, %ymm1\n"
    "    vinsertf128 $1, in_state+592, %ymm2, %ymm2\n"
    "    vinsertf128 $1, in_state+608, %ymm3, %ymm3\n"
    "    vinsertf128 $1, in_state+624, %ymm4, %ymm4\n"
    "    vinsertf128 $1, in_state+640, %ymm5, %ymm5\n"
    "    vinsertf128 $1, in_state+656, %ymm6, %ymm6\n"
    "    vinsertf128 $1, in_state+672, %ymm7, %ymm7\n"
    "    cmpb $0, has_avx512\n"
    "    je 2f\n"
    "    vinserti64x4 $1, in_state+688, %zmm0, %zmm0\n"
    "    vinserti64x4 $1, in_state+720, %zmm1, %zmm1\n"
    "    vinserti64x4 $1, in_state+752, %zmm2, %zmm2\n"
    "    vinserti64x4 $1, in_state+784, %zmm3, %zmm3\n"
    "    vinserti64x4 $1, in_state+816, %zmm4, %zmm4\n"
    "    vinserti64x4 $1, in_state+848, %zmm5, %zmm5\n"
    "    vinserti64x4 $1, in_state+880, %zmm6, %zmm6\n"
    "    vinserti64x4 $1, in_state+912, %zmm7, %zmm7\n"
    "    kmovq in_state+944, %k0\n"
    "    kmovq in_state+952, %k1\n"
    "    kmovq in_state+960, %k2\n"
    "    kmovq in_state+968, %k3\n"
    "    kmovq in_state+976, %k4\n"
    "    kmovq in_state+984, %k5\n"
    "    kmovq in_state+992, %k6\n"
    "    kmovq in_state+1000, %k7\n"
    "2:  pushl in_state+32\n"
    "    popfl\n"
    "    mov in_state+0, %eax\n"
    "    mov in_state+4, %ecx\n"
    "    mov in_state+8, %edx\n"
    "    mov in_state+12, %ebx\n"
    "    mov in_state+20, %ebp\n"
    "    mov in_state+24, %esi\n"
    "    mov in_state+28, %edi\n"
    "    mov in_state+16, %esp\n"
    "    jmp *code_entry\n"
    ".globl case_done\n"
    "case_done:\n"
    "    mov %eax, out_state+0\n"
    "    mov %ecx, out_state+4\n"
    "    mov %edx, out_state+8\n"
    "    mov %ebx, out_state+12\n"
    "    mov %esp, out_state+16\n"
    "    mov %ebp, out_state+20\n"
    "    mov %esi, out_state+24\n"
    "    mov %edi, out_state+28\n"
    "    mov saved_esp, %esp\n"
    "    pushfl\n"
    "    popl out_state+32\n"
    "    pushl $0x202\n" /* the C code's flags: DF and AC clear */
    "    popfl\n"
    "    fxsave out_state+48\n"
    "    cmpb $0, has_avx\n"
    "    je 3f\n"
    "    vextractf128 $1, %ymm0, out_state+560\n"
    "    vextractf128 $1, %ymm1, out_state+576\n"
    "    vextractf128 $1, %ymm2, out_state+592\n"
    "    vextractf128 $1, %ymm3, out_state+608\n"
    "    vextractf128 $1, %ymm4, out_state+624\n"
    "    vextractf128 $1, %ymm5, out_state+640\n"
    "    vextractf128 $1, %ymm6, out_state+656\n"
    "    vextractf128 $1, %ymm7, out_state+672\n"
    "    cmpb $0, has_avx512\n"
    "    je 4f\n"
    "    vextracti64x4 $1, %zmm0, out_state+688\n"
    "    vextracti64x4 $1, %zmm1, out_state+720\n"
    "    vextracti64x4 $1, %zmm2, out_state+752\n"
    "    vextracti64x4 $1, %zmm3, out_state+784\n"
    "    vextracti64x4 $1, %zmm4, out_state+816\n"
    "    vextracti64x4 $1, %zmm5, out_state+848\n"
    "    vextracti64x4 $1, %zmm6, out_state+880\n"
    "    vextracti64x4 $1, %zmm7, out_state+912\n"
    "    kmovq %k0, out_state+944\n"
    "    kmovq %k1, out_state+952\n"
    "    kmovq %k2, out_state+960\n"
    "    kmovq %k3, out_state+968\n"
    "    kmovq %k4, out_state+976\n"
    "    kmovq %k5, out_state+984\n"
    "    kmovq %k6, out_state+992\n"
    "    kmovq %k7, out_state+1000\n"
    "4:  vzeroupper\n"
    "3:  ret\n");

static uint8_t* scratch;  /* the case's */
static uint8_t scratch_in[SCRATCH_SIZE];
static uint8_t code[4096];

static sigjmp_buf recover;
static struct {
    int signo, code;
    uint32_t address, eip, eflags, gpr[8];
} fault;

static void on_fault(int signo, siginfo_t* info, void* context) {
    const greg_t* g = ((ucontext_t*)context)->uc_mcontext.gregs;
    static const int order[8] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI, REG_EDI};
    fault.signo = signo;
    fault.code = info->si_code;
    fault.address = (uint32_t)(uintptr_t)info->si_addr;
    fault.eip = (uint32_t)g[REG_EIP];
    fault.eflags = (uint32_t)g[REG_EFL];
    for (int r = 0; r < 8; ++r) fault.gpr[r] = (uint32_t)g[order[r]];
    siglongjmp(recover, 1);
}

static void read_exactly(void* to, size_t length) {
    if (fread(to, 1, length, stdin) != length) {
        fprintf(stderr, "runner: truncated case\n");
        exit(2);
    }
}

static void print_registers(const uint32_t* gpr, uint32_t eflags) {
    static const char* names[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int r = 0; r < 8; ++r) printf(" %s=%08x", names[r], gpr[r]);
    printf(" flags=%03x", eflags & COMPARED_FLAGS);
}

static void print_bytes(const char* name, const uint8_t* bytes, size_t length) {
    printf(" %s=", name);
    for (size_t i = length; i-- > 0;) printf("%02x", bytes[i]);  /* little-endian: as a number */
}

/* The parts of the fxsave image a case can change and both runs agree on.
 * FOP, FIP, FCS, FDP and FDS are left out: they hold the address of the last
 * x87 instruction and operand, which under vx are the translation's. */
static void print_extended_changes(void) {
    static const struct { const char* name; unsigned offset, length; } fields[] = {
        {"fcw", 0, 2}, {"fsw", 2, 2}, {"ftw", 4, 1}, {"mxcsr", 24, 4},
    };
    const uint8_t *in = in_state.fx, *out = out_state.fx;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i)
        if (memcmp(in + fields[i].offset, out + fields[i].offset, fields[i].length))
            print_bytes(fields[i].name, out + fields[i].offset, fields[i].length);
    char name[16];
    for (int r = 0; r < 8; ++r) {  /* st(r) / mm(r): 80 bits */
        if (memcmp(in + 32 + 16 * r, out + 32 + 16 * r, 10)) {
            snprintf(name, sizeof name, "st%d", r);
            print_bytes(name, out + 32 + 16 * r, 10);
        }
    }
    for (int r = 0; r < 8; ++r) {
        if (memcmp(in + 160 + 16 * r, out + 160 + 16 * r, 16)) {
            snprintf(name, sizeof name, "xmm%d", r);
            print_bytes(name, out + 160 + 16 * r, 16);
        }
        if (memcmp(in_state.ymm_hi[r], out_state.ymm_hi[r], 16)) {
            snprintf(name, sizeof name, "ymm%d_hi", r);
            print_bytes(name, out_state.ymm_hi[r], 16);
        }
        if (memcmp(in_state.zmm_hi[r], out_state.zmm_hi[r], 32)) {
            snprintf(name, sizeof name, "zmm%d_hi", r);
            print_bytes(name, out_state.zmm_hi[r], 32);
        }
    }
    for (int r = 0; r < 8; ++r)
        if (in_state.k[r] != out_state.k[r]) printf(" k%d=%016llx", r, (unsigned long long)out_state.k[r]);
}

/* Changed scratch bytes, as runs of "mem+OFFSET=bytes" in address order. */
static void print_memory_changes(void) {
    for (uint32_t i = 0; i < SCRATCH_SIZE;) {
        if (scratch[i] == scratch_in[i]) {
            ++i;
            continue;
        }
        uint32_t end = i;
        while (end < SCRATCH_SIZE && scratch[end] != scratch_in[end]) ++end;
        printf(" mem+%03x=", i);
        for (; i < end; ++i) printf("%02x", scratch[i]);
    }
}

/* Which of the AVX and AVX-512 (F and BW, for kmovq) states the CPU and
 * the OS have: 1 for AVX, 2 for both. */
static int cpu_vector_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AVX) || !(c & bit_OSXSAVE)) return 0;
    uint32_t xcr0_low, xcr0_high;
    __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6) != 6) return 0;
    if ((xcr0_low & 0xe0) != 0xe0 || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 1;
    return (b & bit_AVX512F) && (b & bit_AVX512BW) ? 2 : 1;
}

/* fs: a TLS segment based at scratch, so that cases can use fs-relative
 * addresses (vx folds the base into them). glibc's own TLS is gs. */
static void point_fs_at_scratch(void) {
    struct user_desc desc = {.entry_number = (unsigned)-1, .base_addr = scratch_base[0], .limit = 0xfffff,
                             .seg_32bit = 1, .limit_in_pages = 1, .useable = 1};
    if (syscall(SYS_set_thread_area, &desc) != 0) {
        perror("runner: set_thread_area");
        exit(2);
    }
    uint16_t selector = (uint16_t)(desc.entry_number * 8 + 3);
    __asm__ volatile("mov %0, %%fs" ::"r"(selector));
}

/* Case N's code page: page N % CODE_PAGES of its region's window, fresh.
 * Each window is unmapped as a whole (and with it every translation of it)
 * when its pages run out. */
static uint8_t* fresh_code_page(uint32_t index, uint32_t region) {
    static uint32_t next = 0;
    uint32_t page_number = index % CODE_PAGES;
    if (page_number < next || index == 0)
        for (int r = 0; r < 2; ++r) munmap((void*)code_window[r], CODE_PAGES * 4096);
    next = page_number;
    void* page = mmap((void*)(code_window[region] + 4096 * page_number), 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page == MAP_FAILED) {
        perror("runner: mmap code page");
        exit(2);
    }
    return page;
}

int main(void) {
    static char output[1 << 16];
    setvbuf(stdout, output, _IOFBF, sizeof output);
    int level = cpu_vector_level();
    has_avx = level >= 1;
    has_avx512 = level >= 2;
    point_fs_at_scratch();

    /* Scratch memory between a PROT_NONE page and a hole, so that a case
     * can fault on either side (SEGV_ACCERR below, SEGV_MAPERR above). */
    for (int r = 0; r < 2; ++r) {
        uint8_t* area = mmap((void*)(uintptr_t)(scratch_base[r] - 4096), SCRATCH_SIZE + 8192, PROT_NONE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (area == MAP_FAILED || mprotect(area + 4096, SCRATCH_SIZE, PROT_READ | PROT_WRITE) != 0 ||
            munmap(area + 4096 + SCRATCH_SIZE, 4096) != 0) {
            perror("runner: mmap scratch");
            return 2;
        }
    }

    static uint8_t alternate_stack[65536];
    stack_t ss = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; ++i) sigaction(fatal[i], &sa, NULL);

    struct case_header header;
    unsigned cases = 0;
    while (fread(&header, sizeof header, 1, stdin) == 1) {
        if (header.magic != CASE_MAGIC || header.code_length > sizeof code - 5 || header.region > 1) {
            fprintf(stderr, "runner: bad case header after %u cases\n", cases);
            return 2;
        }
        read_exactly(&in_state, STATE_BYTES);
        read_exactly(scratch_in, SCRATCH_SIZE);
        read_exactly(code, header.code_length);
        uint8_t* page = fresh_code_page(header.index, header.region);
        scratch = (uint8_t*)(uintptr_t)scratch_base[header.region];
        memcpy(page, code, header.code_length);
        uint8_t* jump = page + header.code_length;  /* jmp rel32 case_done */
        int32_t rel = (int32_t)((uintptr_t)case_done - (uintptr_t)(jump + 5));
        jump[0] = 0xe9;
        memcpy(jump + 1, &rel, 4);
        memcpy(scratch, scratch_in, SCRATCH_SIZE);
        memcpy(&out_state, &in_state, sizeof out_state);
        code_entry = (uint32_t)(uintptr_t)page;

        printf("case %u:", header.index);
        if (sigsetjmp(recover, 1) == 0) {
            run_case();
            print_registers(out_state.gpr, out_state.eflags);
            print_extended_changes();
        } else {
            /* The kernel gave the handler a fresh x87/SSE state; the case's is
             * gone. The flags are still the case's (AC too). */
            __asm__ volatile("pushl $0x202\n\tpopfl" ::: "cc");
            printf(" signal %d code %d addr %08x eip %08x", fault.signo, fault.code, fault.address, fault.eip);
            print_registers(fault.gpr, fault.eflags);
        }
        print_memory_changes();
        printf("\n");
        uint32_t default_mxcsr = 0x1f80;
        __asm__ volatile("fninit\n\tldmxcsr %0" ::"m"(default_mxcsr));
        ++cases;
    }
    fprintf(stderr, "runner: %u cases\n", cases);
    return 0;
}
