/* vx-expect: 132 invalid instruction */
/* vx-native: 139 */
/* xsave of every component the guest has, 64 bytes before the end of mapped
 * memory: natively the CPU faults. vx refuses xsave outright where the OS
 * puts PKRU in XCR0 (a guest's xrstor could rewrite the protection keys),
 * as on these machines. */
#include "escape.inc"
_start:
        mov $192, %eax                  /* mmap2(0, 8192, RW, private|anon) */
        xor %ebx, %ebx
        mov $8192, %ecx
        mov $3, %edx
        mov $0x22, %esi
        mov $-1, %edi
        xor %ebp, %ebp
        int $0x80
        mov %eax, %esi
        lea 4096(%esi), %ebx
        mov $91, %eax
        mov $4096, %ecx
        int $0x80
        mov $0xe7, %eax                 /* x87, SSE, AVX, AVX-512 */
        xor %edx, %edx
        xsave 4096-64(%esi)
        ESCAPED
