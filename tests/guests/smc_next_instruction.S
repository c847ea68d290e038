/* An instruction rewritten by the one before it, in the same block: the
 * immediate of `mov $0, %eax` becomes 0x12345678 just before it runs. The
 * CPU runs the new bytes; so must vx (it prints eax). */
        .globl _start
_start:
        mov $125, %eax                  /* mprotect(page of patch, 4096, rwx) */
        mov $patch, %ebx
        and $~0xfff, %ebx
        mov $4096, %ecx
        mov $7, %edx
        int $0x80
        movl $0x12345678, patch+1
patch:  mov $0, %eax
        call report
        mov $1, %eax
        xor %ebx, %ebx
        int $0x80
#include "report.inc"
