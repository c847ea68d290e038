/* The guest of tests/unit/snapshot_test.cpp. It prepares state of every
 * kind a snapshot must hold (a table in memory, code it generated and ran,
 * %fs and %gs, xmm5, the x87 control word), stops at a checkpoint (getpid,
 * where the test takes the snapshot), then computes from that state and the
 * value the checkpoint returns, rewriting its code on the way, and reports
 * everything in one write. */
#include "vxguest.h"

enum { SYS_GETPID = 20, SYS_MPROTECT = 125, SYS_SET_THREAD_AREA = 243 };
enum { kTableWords = 96 * 1024 };  /* 384 KiB: more than one run of copy-on-write */
enum { kBigWords = 4 * 1024 * 1024 }; /* 16 MiB, written only when asked to */
enum { kWriteMuch = 0xbad };

static u32 table[kTableWords];
static u32 big[kBigWords];
static unsigned char code[4096] __attribute__((aligned(4096)));
static const u32 tls[2] = {0x600dcafe, 0x5eed1e55};

struct Results {
    u32 input;
    u32 before_checkpoint, after_checkpoint, rewritten; /* what the generated code returned */
    u32 table_sum;
    u32 xmm5[4];
    u32 fcw;
    u32 gs_word, gs_selector, fs_word, fs_selector;
};

static u32 run_code(void) { return ((u32(*)(void))(void*)code)(); }

int main(int argc, char** argv) {
    (void)argc, (void)argv;
    struct Results r;
    for (u32 i = 0; i < kTableWords; ++i) table[i] = i * 2654435761u;
    code[0] = 0xb8, code[1] = 1, code[2] = code[3] = code[4] = 0, code[5] = 0xc3; /* mov $1, %eax; ret */
    vx_syscall3(SYS_MPROTECT, (long)code, sizeof code, 7);
    r.before_checkpoint = run_code();
    vx_syscall3(SYS_SET_THREAD_AREA, (long)tls, 0, 0); /* the test sets %fs and %gs to tls */

    static const u32 pattern[4] = {0x01234567, 0x89abcdef, 0xdeadbeef, 0x0badf00d};
    const unsigned short cw = 0x0e7f; /* round up, 64-bit precision, exceptions masked */
    unsigned short fcw;
    u32 input;
    __asm__ volatile("movdqu (%[pattern]), %%xmm5\n\t"
                     "fldcw %[cw]\n\t"
                     "int $0x80\n\t"
                     "movdqu %%xmm5, (%[out])\n\t"
                     "fnstcw %[fcw]"
                     : "=a"(input), [fcw] "=m"(fcw)
                     : "0"(SYS_GETPID), [pattern] "r"(pattern), [out] "r"(r.xmm5), [cw] "m"(cw)
                     : "memory", "xmm5");
    r.input = input;
    r.fcw = fcw;
    __asm__ volatile("movl %%gs:4, %0\n\tmovl %%gs, %1\n\tmovl %%fs:0, %2\n\tmovl %%fs, %3"
                     : "=r"(r.gs_word), "=r"(r.gs_selector), "=r"(r.fs_word), "=r"(r.fs_selector));

    r.after_checkpoint = run_code(); /* the snapshot's code, whatever ran here before */
    code[1] = 2;
    r.rewritten = run_code();
    u32 sum = 0;
    for (u32 i = 0; i < kTableWords; ++i) sum += table[i] += input;
    r.table_sum = sum;
    if (input == kWriteMuch)
        for (u32 i = 0; i < kBigWords; i += 1024) ((volatile u32*)big)[i] = i;
    vx_write(1, &r, sizeof r);
    return 0;
}
