/* vx-expect: 139 page fault */
/* vx-native: 139 */
/* fxsave's 512 bytes started 256 bytes before the end of mapped memory: the
 * CPU faults without writing past it, natively and under vx. */
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
        lea 4096(%esi), %ebx            /* munmap(the second page) */
        mov $91, %eax
        mov $4096, %ecx
        int $0x80
        fxsave 4096-256(%esi)
        ESCAPED
