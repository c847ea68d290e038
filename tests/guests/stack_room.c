/* The stack's room to grow (its 8 MiB, mapped as it grows) under vx: mmap
 * without MAP_FIXED never places a mapping there, even when its hint asks
 * (Linux would take a hint more than its 1 MiB guard gap below the stack:
 * a self-check, not a comparison); MAP_FIXED does, and the stack still grows
 * above that mapping; pages the stack grew to are the process's like any
 * mapping (mprotect works on them, MAP_FIXED_NOREPLACE refuses them).
 * vx-selfcheck */
#include "vxguest.h"

enum { kOldMmap = 90, kMunmap = 91, kMprotect = 125 };
enum { kRead = 1, kWrite = 2, kPrivate = 2, kFixed = 0x10, kAnonymous = 0x20, kFixedNoreplace = 0x100000 };
#define MiB (1u << 20)

static long mmap_at(u32 addr, u32 length, u32 flags) {
    u32 args[6] = {addr, length, kRead | kWrite, kPrivate | kAnonymous | flags, (u32)-1, 0};
    return vx_syscall3(kOldMmap, (long)args, 0, 0);
}

static int failures;
static void check(const char* what, int ok, u32 value) {
    if (ok) return;
    vx_puts("FAILED "); vx_puts(what); vx_puts(": "); vx_put_hex(value); vx_puts("\n");
    ++failures;
}

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    volatile u32 here = 0;
    const u32 esp = (u32)&here & ~4095u;
    // Below what the stack has grown to: its first 128 KiB are mapped.
    const u32 hint = esp - 2 * MiB;

    long got = mmap_at(hint, 64 * 1024, 0);
    check("mmap with a hint in the stack's room placed it there", got != (long)hint, (u32)got);
    check("mmap with a hint in the stack's room placed it within 7 MiB below esp",
          (u32)got + 64 * 1024 <= esp - 7 * MiB || (u32)got > esp, (u32)got);
    vx_syscall3(kMunmap, got, 64 * 1024, 0);

    got = mmap_at(hint, 4096, kFixed);
    check("MAP_FIXED in the stack's room", got == (long)hint, (u32)got);
    // Between that mapping and the stack, the stack grows.
    volatile u32* above = (volatile u32*)(hint + MiB);
    *above = 0x5a5a5a5a;
    check("the stack grows above a MAP_FIXED mapping in its room", *above == 0x5a5a5a5a, *above);
    // The page it grew to is the process's: mprotect works, NOREPLACE refuses it.
    got = vx_syscall3(kMprotect, (long)(hint + MiB), 4096, kRead | kWrite);
    check("mprotect of a page the stack grew to", got == 0, (u32)got);
    got = mmap_at(hint + MiB, 4096, kFixedNoreplace);
    check("MAP_FIXED_NOREPLACE over a page the stack grew to", got == -17 /* EEXIST */, (u32)got);
    got = vx_syscall3(kMunmap, (long)hint, 4096, 0);
    check("munmap of the MAP_FIXED mapping", got == 0, (u32)got);

    if (failures) return 1;
    vx_puts("the stack's room holds\n");
    return 0;
}
