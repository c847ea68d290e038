/* The guest "plug-in" of tests/unit/sandbox_pool_test.cpp: one tenant
 * leaves secrets wherever a guest can (memory, general, SSE/AVX and x87
 * registers, the stack) and the next one, after a reset, reads back what it
 * finds there. */
#include "vxguest.h"

#define PLUGIN __attribute__((used, noinline))

u32 tenant_data = 0x11111111;  /* .data: the snapshot's value */
u32 tenant_bss[2048];          /* .bss: two pages, zeros */
/* What dump() found: general registers, then xmm0-7, the x87 control and
 * status words and its eight registers, %fs and %gs; ymm0-7's upper halves. */
u32 dump_area[128];

PLUGIN u32 read_word(const u32* at) { return *at; }

PLUGIN void poke(unsigned char* at, u32 value) { *at = (unsigned char)value; }

PLUGIN u32 write_data(u32 secret) {
    tenant_data = secret;
    tenant_bss[0] = secret;
    tenant_bss[1500] = secret;
    return (u32)&tenant_data;
}

PLUGIN u32 data_address(void) { return (u32)&tenant_data; }
PLUGIN u32 bss_address(void) { return (u32)tenant_bss; }

/* Loads %gs with `selector`: faults unless a descriptor is set for it. */
PLUGIN u32 load_gs(u32 selector) {
    __asm__ volatile("movw %w0, %%gs" : : "r"(selector));
    return 1;
}

int main(int argc, char** argv) {
    (void)argc, (void)argv;
    return 0;
}

/* taint: entered by the host with eax = the secret and ecx nonzero when the
 * CPU has AVX (not called: run, so that what it leaves stays the guest's).
 * Fills every register with the secret, pushes it on the stack and stops
 * at int $0x80.
 * dump(): stores what it finds at entry into dump_area and returns its
 * address; dump_ymm() the upper halves of ymm0-7 (AVX only). */
__asm__(
    ".text\n"
    ".globl taint\n"
    ".type taint, @function\n"
    "taint:\n"
    "  movd %eax, %xmm0\n"
    "  pshufd $0, %xmm0, %xmm0\n"
    "  test %ecx, %ecx\n"
    "  jz 1f\n"
    "  vinsertf128 $1, %xmm0, %ymm0, %ymm0\n"
    "  vmovaps %ymm0, %ymm1\n vmovaps %ymm0, %ymm2\n vmovaps %ymm0, %ymm3\n"
    "  vmovaps %ymm0, %ymm4\n vmovaps %ymm0, %ymm5\n vmovaps %ymm0, %ymm6\n vmovaps %ymm0, %ymm7\n"
    "1:\n"
    "  movdqa %xmm0, %xmm1\n movdqa %xmm0, %xmm2\n movdqa %xmm0, %xmm3\n"
    "  movdqa %xmm0, %xmm4\n movdqa %xmm0, %xmm5\n movdqa %xmm0, %xmm6\n movdqa %xmm0, %xmm7\n"
    "  test %ecx, %ecx\n"
    "  jz 2f\n"
    "  vinsertf128 $1, %xmm0, %ymm0, %ymm0\n"
    "  vinsertf128 $1, %xmm0, %ymm1, %ymm1\n vinsertf128 $1, %xmm0, %ymm2, %ymm2\n"
    "  vinsertf128 $1, %xmm0, %ymm3, %ymm3\n vinsertf128 $1, %xmm0, %ymm4, %ymm4\n"
    "  vinsertf128 $1, %xmm0, %ymm5, %ymm5\n vinsertf128 $1, %xmm0, %ymm6, %ymm6\n"
    "  vinsertf128 $1, %xmm0, %ymm7, %ymm7\n"
    "2:\n"
    "  push %eax\n"
    "  fildl (%esp)\n fildl (%esp)\n fildl (%esp)\n fildl (%esp)\n"
    "  fildl (%esp)\n fildl (%esp)\n fildl (%esp)\n"
    "  movl $0x0c7f, (%esp)\n"
    "  fldcw (%esp)\n"
    "  mov %eax, (%esp)\n"
    "  mov $64, %ecx\n"
    "3:\n"
    "  push %eax\n"
    "  loop 3b\n"
    "  mov %eax, %ebx\n mov %eax, %ecx\n mov %eax, %edx\n"
    "  mov %eax, %esi\n mov %eax, %edi\n mov %eax, %ebp\n"
    "  std\n"
    "  int $0x80\n"
    "  ud2\n"
    ".size taint, .-taint\n"
    ".globl dump\n"
    ".type dump, @function\n"
    "dump:\n"
    "  mov %eax, dump_area+0\n"
    "  mov %ebx, dump_area+4\n"
    "  mov %ecx, dump_area+8\n"
    "  mov %edx, dump_area+12\n"
    "  mov %esi, dump_area+16\n"
    "  mov %edi, dump_area+20\n"
    "  mov %ebp, dump_area+24\n"
    "  movups %xmm0, dump_area+32\n movups %xmm1, dump_area+48\n"
    "  movups %xmm2, dump_area+64\n movups %xmm3, dump_area+80\n"
    "  movups %xmm4, dump_area+96\n movups %xmm5, dump_area+112\n"
    "  movups %xmm6, dump_area+128\n movups %xmm7, dump_area+144\n"
    "  fnstcw dump_area+160\n"
    "  fnstsw dump_area+162\n"
    "  fstpt dump_area+164\n fstpt dump_area+174\n fstpt dump_area+184\n fstpt dump_area+194\n"
    "  fstpt dump_area+204\n fstpt dump_area+214\n fstpt dump_area+224\n fstpt dump_area+234\n"
    "  movw %fs, dump_area+244\n"
    "  movw %gs, dump_area+246\n"
    "  mov $dump_area, %eax\n"
    "  ret\n"
    ".size dump, .-dump\n"
    ".globl dump_ymm\n"
    ".type dump_ymm, @function\n"
    "dump_ymm:\n"
    "  vextractf128 $1, %ymm0, dump_area+256\n vextractf128 $1, %ymm1, dump_area+272\n"
    "  vextractf128 $1, %ymm2, dump_area+288\n vextractf128 $1, %ymm3, dump_area+304\n"
    "  vextractf128 $1, %ymm4, dump_area+320\n vextractf128 $1, %ymm5, dump_area+336\n"
    "  vextractf128 $1, %ymm6, dump_area+352\n vextractf128 $1, %ymm7, dump_area+368\n"
    "  mov $dump_area, %eax\n"
    "  ret\n"
    ".size dump_ymm, .-dump_ymm\n");
