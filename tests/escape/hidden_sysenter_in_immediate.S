/* vx-expect: 132 invalid instruction */
/* vx-native: escapes */
/* Overlapping instructions: `mov $0x9090340f, %esi` runs once as itself,
 * then a jump lands 1 byte into it, on `0f 34`: sysenter, the kernel's fast
 * system call door, here a write of the marker. Natively the kernel returns
 * through the vDSO, which pops ebp, edx, ecx and returns to `after`. */
#include "escape.inc"
_start:
outer:  mov $0x9090340f, %esi
        cmp $0x9090340f, %esi
        jne 1f
        mov $4, %eax
        mov $1, %ebx
        mov $escape_marker, %ecx
        mov $8, %edx
        push $after
        push %ecx
        push %edx
        push %ebp
        mov %esp, %ebp
        jmp outer+1
after:  cmp $8, %eax
        jne 1f
        EXIT 99
1:      EXIT 3
