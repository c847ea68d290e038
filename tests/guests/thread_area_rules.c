/* vx-selfcheck: what Linux does with TLS entries where qemu-i386, the
 * reference on machines that cannot run i386 code, does not follow it
 * (arch/x86/kernel/tls.c, ia32_signal.c): set_thread_area refuses what
 * tls_desc_okay refuses (16-bit, code, not present: EINVAL), finds no free
 * entry with ESRCH, deletes an entry on an all-zero user_desc as on an empty
 * one, and loads %fs/%gs again when they hold the entry it changed (the new
 * base; null once deleted); sigreturn loads a selector the CPU refuses as
 * null. Exits 0 when all hold; else prints the first that did not. */
#include "vxguest.h"

struct user_desc { u32 entry_number, base_addr, limit, flags; };
enum { DATA32 = 0x51, EINVAL = 22, ESRCH = 3 };

static long sys4(long nr, long a, long b, long c, long d) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
    return ret;
}
static long set_thread_area(u32 entry, u32 base, u32 limit, u32 flags, u32* chosen) {
    struct user_desc d = {entry, base, limit, flags};
    long r = sys4(243, (long)&d, 0, 0, 0);
    if (chosen) *chosen = d.entry_number;
    return r;
}
static u32 read_gs(void) { u32 v; __asm__ volatile("mov %%gs, %0" : "=r"(v)); return v & 0xffff; }
static u32 read_fs(void) { u32 v; __asm__ volatile("mov %%fs, %0" : "=r"(v)); return v & 0xffff; }
static void load_gs(u32 s) { __asm__ volatile("mov %0, %%gs" : : "r"(s)); }
static void load_fs(u32 s) { __asm__ volatile("mov %0, %%fs" : : "r"(s)); }
static u32 gs_word(void) { u32 v; __asm__ volatile("mov %%gs:0, %0" : "=r"(v)); return v; }
static u32 fs_word(void) { u32 v; __asm__ volatile("mov %%fs:0, %0" : "=r"(v)); return v; }

static u32 block_a = 0xaaaa0001, block_b = 0xbbbb0002;
static int failures;

static void check(const char* what, int holds) {
    if (holds || failures++) return;
    vx_puts("does not hold: "); vx_puts(what); vx_puts("\n");
}

static volatile u32 frame_gs_to;
static void handler(int sig, u32* info, u32* uc) {
    (void)sig; (void)info;
    u32* sc = uc + 5;
    sc[0] = frame_gs_to;
}
void restorer(void);
__asm__(".text\nrestorer:\n\tmov $173, %eax\n\tint $0x80\n");

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    u32 entry = 0, second = 0, third = 0;
    check("16-bit is EINVAL", set_thread_area(-1, (u32)&block_a, 0xfffff, 0x50, 0) == -EINVAL);
    check("code is EINVAL", set_thread_area(-1, (u32)&block_a, 0xfffff, 0x55, 0) == -EINVAL);
    check("not present is EINVAL", set_thread_area(-1, (u32)&block_a, 0xfffff, 0x71, 0) == -EINVAL);
    check("a first entry", set_thread_area(-1, (u32)&block_a, 0xfffff, DATA32, &entry) == 0);
    check("a second", set_thread_area(-1, (u32)&block_b, 0xfffff, DATA32, &second) == 0);
    check("a third", set_thread_area(-1, (u32)&block_b, 0xfffff, DATA32, &third) == 0);
    check("no fourth: ESRCH", set_thread_area(-1, (u32)&block_b, 0xfffff, DATA32, 0) == -ESRCH);
    check("an all-zero user_desc deletes", set_thread_area(third, 0, 0, 0, 0) == 0);
    u32 again = 0;
    check("so the entry is free again", set_thread_area(-1, (u32)&block_b, 0xfffff, DATA32, &again) == 0 &&
                                             again == third);

    const u32 tls = entry << 3 | 3;
    load_gs(tls);
    load_fs(tls);
    check("gs reads the first entry's word", gs_word() == block_a);
    check("set_thread_area on the entry gs and fs hold", set_thread_area(entry, (u32)&block_b, 0xfffff, DATA32, 0) == 0);
    check("gs is loaded again: the new base", read_gs() == tls && gs_word() == block_b);
    check("fs is loaded again: the new base", read_fs() == tls && fs_word() == block_b);
    check("deleting the entry gs and fs hold", set_thread_area(entry, 0, 0, 0x28, 0) == 0);
    check("gs is null then", read_gs() == 0);
    check("fs is null then", read_fs() == 0);

    /* A handler's frame names a selector the CPU refuses: sigreturn loads null. */
    u32 action[5] = {(u32)handler, 0x04000004, (u32)restorer, 0, 0};  /* SA_SIGINFO | SA_RESTORER */
    check("rt_sigaction", sys4(174, 10, (long)action, 0, 8) == 0);
    load_gs(second << 3 | 3);
    frame_gs_to = entry << 3 | 3;  /* deleted above */
    long self = sys4(20, 0, 0, 0, 0);
    check("kill", sys4(37, self, 10, 0, 0) == 0);
    check("after sigreturn of a deleted entry's selector gs is null", read_gs() == 0);
    load_gs(0);
    frame_gs_to = second << 3;  /* RPL 0: loaded with RPL 3 */
    check("kill", sys4(37, self, 10, 0, 0) == 0);
    check("sigreturn loads a frame's selector with RPL 3", read_gs() == (second << 3 | 3) && gs_word() == block_b);

    if (!failures) vx_puts("all hold\n");
    return failures ? 1 : 0;
}
