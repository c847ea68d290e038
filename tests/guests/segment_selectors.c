/* What an i386 Linux program reads from its flat segment registers: cs is
 * __USER32_CS (0x23), ds, es and ss are __USER32_DS (0x2b). Compared with the
 * reference. (fs and gs start at 0 on Linux, where qemu-i386 gives gs 0x2b:
 * the TLS tests cover them.) */
#include "vxguest.h"

static u32 read_cs(void) { u32 v; __asm__ volatile("mov %%cs, %0" : "=r"(v)); return v & 0xffff; }
static u32 read_ds(void) { u32 v; __asm__ volatile("mov %%ds, %0" : "=r"(v)); return v & 0xffff; }
static u32 read_es(void) { u32 v; __asm__ volatile("mov %%es, %0" : "=r"(v)); return v & 0xffff; }
static u32 read_ss(void) { u32 v; __asm__ volatile("mov %%ss, %0" : "=r"(v)); return v & 0xffff; }

static void show(const char* name, u32 value) {
    vx_puts(name); vx_puts(" "); vx_put_hex(value); vx_puts("\n");
}

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    show("cs", read_cs());
    show("ds", read_ds());
    show("es", read_es());
    show("ss", read_ss());
    return 0;
}
