/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far jump with a 16-bit operand size, through an m16:16 far pointer, to
 * the 64-bit code segment: its 16-bit offset reaches a page mapped at 0xf000
 * that holds a copy of 64-bit code printing the marker. Where that page
 * cannot be mapped, the jump is attempted all the same. */
#include "escape.inc"
        .set LOW, 0xf000
_start:
        mov $192, %eax                  /* mmap2(LOW, 4096, rwx, private|anonymous|fixed) */
        mov $LOW, %ebx
        mov $4096, %ecx
        mov $7, %edx
        mov $0x32, %esi
        mov $-1, %edi
        xor %ebp, %ebp
        int $0x80
        cmp $LOW, %eax
        jne 1f
        mov $code64, %esi
        mov $LOW, %edi
        mov $code64_end - code64, %ecx
        cld
        rep movsb
1:      ljmpw *farptr
        EXIT 3
        .data
farptr: .word LOW, USER64_CS
        .code64
code64: mov $1, %edi                    /* position-independent: absolute addresses only */
        mov $escape_marker, %esi
        mov $8, %edx
        mov $1, %eax
        syscall
        mov $60, %eax
        mov $99, %edi
        syscall
code64_end:
        .code32
