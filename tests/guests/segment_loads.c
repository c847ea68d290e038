/* Loads into %gs and %fs, as a CPU does them for a user program: a TLS
 * selector from set_thread_area loads that entry's base (read back through
 * seg:0), the null selectors load nothing, and a selector naming no segment
 * the program may use (beyond the table, an entry never set or cleared, the
 * LDT) is refused with SIGSEGV (si_code SI_KERNEL, si_addr 0), leaving the
 * register as it was. Then a handler's sigreturn loads the selector its
 * frame holds, and get_thread_area reads back what set_thread_area set.
 * Which GDT entries hold TLS differs between kernels (6-8 on i386, 12-14 on
 * x86-64): only whether the selector read back is the one loaded is printed.
 * Compared with the reference. */
#include "vxguest.h"

struct user_desc { u32 entry_number, base_addr, limit, flags; };
enum {
    DATA32 = 0x51,        /* seg_32bit, limit_in_pages, useable: what glibc sets */
    EMPTY = 0x28,         /* read_exec_only, seg_not_present: "delete this entry" */
    SIGSEGV = 11,
};

static long sys4(long nr, long a, long b, long c, long d) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
    return ret;
}
static long set_thread_area(struct user_desc* desc) { return sys4(243, (long)desc, 0, 0, 0); }
static long get_thread_area(struct user_desc* desc) { return sys4(244, (long)desc, 0, 0, 0); }

static u32 block_a[2] = {0xa0a0a0a0, 0xa1a1a1a1};
static u32 block_b[2] = {0xb0b0b0b0, 0xb1b1b1b1};

/* What the last SIGSEGV showed, and where the handler resumes. */
static volatile u32 resume_at;
static volatile int faulted;
static volatile u32 fault_code, fault_addr, frame_gs, frame_fs;
static volatile u32 swap_to;  /* when not 0: the handler puts it in the frame's %gs */

static void handler(int sig, u32* info, u32* uc) {
    (void)sig;
    u32* sc = uc + 5;  /* uc_flags, uc_link, uc_stack: then the sigcontext */
    faulted = 1;
    fault_code = info[2];
    fault_addr = info[3];
    frame_gs = sc[0] & 0xffff;
    frame_fs = sc[1] & 0xffff;
    if (swap_to) sc[0] = swap_to;
    sc[14] = resume_at;  /* eip */
}
void restorer(void);
__asm__(".text\nrestorer:\n\tmov $173, %eax\n\tint $0x80\n");

#define LOAD(seg)                                                                       \
    static int load_##seg(u32 selector) {                                               \
        faulted = 0;                                                                    \
        __asm__ volatile("movl $1f, %0\n\tmov %1, %%" #seg "\n1:"                        \
                         : "=m"(resume_at) : "r"(selector) : "memory");                 \
        return !faulted;                                                                \
    }                                                                                   \
    static u32 read_##seg(void) { u32 v; __asm__ volatile("mov %%" #seg ", %0" : "=r"(v)); return v & 0xffff; } \
    static u32 word_at_##seg(u32 offset) {                                              \
        u32 v; __asm__ volatile("mov %%" #seg ":(%1), %0" : "=r"(v) : "r"(offset)); return v; \
    }
LOAD(gs)
LOAD(fs)

struct seg {
    const char* name;
    int (*load)(u32);
    u32 (*read)(void);
    u32 (*word_at)(u32);
    const volatile u32* in_frame;
};
static const struct seg gs = {"gs", load_gs, read_gs, word_at_gs, &frame_gs};
static const struct seg fs = {"fs", load_fs, read_fs, word_at_fs, &frame_fs};

static void yes_no(const char* what, int v) { vx_puts(what); vx_puts(v ? "yes" : "no"); }

/* Loads `value` into the register (which held `before`), says what became of it. */
static void try_load(const struct seg* s, const char* what, u32 value, u32 before) {
    s->load(before);
    vx_puts(s->name); vx_puts(" <- "); vx_puts(what);
    if (s->load(value)) {
        yes_no(": loaded; reads back the selector loaded: ", s->read() == value);
        if (value & ~3u) { vx_puts("; word 0 = "); vx_put_hex(s->word_at(0)); }
    } else {
        vx_puts(": SIGSEGV si_code="); vx_put_hex(fault_code);
        vx_puts(" si_addr="); vx_put_hex(fault_addr);
        yes_no("; the frame holds the selector before: ", *s->in_frame == before);
        yes_no("; so does the register: ", s->read() == before);
        vx_puts("; word 0 = "); vx_put_hex(s->word_at(0));
    }
    vx_puts("\n");
}

static u32 sel(u32 entry, u32 rpl) { return entry << 3 | rpl; }

static void loads_into(const struct seg* s, u32 entry, u32 unset_entry, u32 cleared_entry) {
    const u32 tls = sel(entry, 3);
    try_load(s, "its TLS selector", tls, 0);
    try_load(s, "null", 0, tls);
    try_load(s, "null, RPL 3", 3, tls);
    try_load(s, "null, RPL 1", 1, tls);
    try_load(s, "its TLS entry, RPL 0", sel(entry, 0), tls);
    try_load(s, "its TLS entry, RPL 2", sel(entry, 2), tls);
    try_load(s, "its TLS entry in the LDT", sel(entry, 7), tls);
    try_load(s, "an entry beyond the GDT", sel(100, 3), tls);
    try_load(s, "the last entry a selector names", sel(8191, 3), tls);
    try_load(s, "a TLS entry never set", sel(unset_entry, 3), tls);
    try_load(s, "a TLS entry set, then cleared", sel(cleared_entry, 3), tls);
}

static void show_desc(const char* what, u32 entry) {
    struct user_desc d = {entry, 0x11111111, 0x22222222, 0x33333333};
    long r = get_thread_area(&d);
    vx_puts("get_thread_area("); vx_puts(what); vx_puts(") = "); vx_put_hex((u32)r);
    yes_no(": entry kept ", d.entry_number == entry);
    vx_puts(" base "); vx_put_hex(d.base_addr);
    vx_puts(" limit "); vx_put_hex(d.limit);
    vx_puts(" flags "); vx_put_hex(d.flags);
    vx_puts("\n");
}

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    u32 action[5] = {(u32)handler, 0x04000004, (u32)restorer, 0, 0};  /* SA_SIGINFO | SA_RESTORER */
    if (sys4(174, SIGSEGV, (long)action, 0, 8) != 0) { vx_puts("rt_sigaction failed\n"); return 1; }

    struct user_desc a = {(u32)-1, (u32)block_a, 0xfffff, DATA32};
    vx_puts("set_thread_area(any free entry) = "); vx_put_hex((u32)set_thread_area(&a)); vx_puts("\n");
    struct user_desc b = {(u32)-1, (u32)block_b, 0xfffff, DATA32};
    vx_puts("set_thread_area(another) = "); vx_put_hex((u32)set_thread_area(&b)); vx_puts("\n");
    yes_no("the next entry: ", b.entry_number == a.entry_number + 1); vx_puts("\n");
    const u32 third = b.entry_number + 1;
    struct user_desc c = {third, (u32)block_b, 0xfffff, DATA32};
    vx_puts("set_thread_area(the third) = "); vx_put_hex((u32)set_thread_area(&c)); vx_puts("\n");
    struct user_desc cleared = {third, 0, 0, EMPTY};
    vx_puts("set_thread_area(the third, empty) = "); vx_put_hex((u32)set_thread_area(&cleared)); vx_puts("\n");

    loads_into(&gs, a.entry_number, third, third);
    loads_into(&fs, a.entry_number, third, third);

    /* A handler's frame says which selector sigreturn loads. */
    load_gs(sel(a.entry_number, 3));
    swap_to = sel(b.entry_number, 3);
    load_gs(sel(100, 3));
    swap_to = 0;
    yes_no("after a handler put another TLS selector in its frame, gs holds it: ", read_gs() == sel(b.entry_number, 3));
    vx_puts("; word 1 = "); vx_put_hex(word_at_gs(4)); vx_puts("\n");

    show_desc("the first", a.entry_number);
    show_desc("the cleared", third);
    struct user_desc odd = {third, 0x12345678, 0xabcde, 0x53};  /* contents 1 (expand-down), 32-bit, useable */
    vx_puts("set_thread_area(the third, expand-down) = "); vx_put_hex((u32)set_thread_area(&odd)); vx_puts("\n");
    show_desc("the expand-down", third);
    return 0;
}
