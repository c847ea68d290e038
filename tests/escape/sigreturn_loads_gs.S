/* vx-expect: 4 */
/* vx-native: escapes */
/* A segment load with no segment instruction: sigreturn (119) on a hand-made
 * frame whose saved %gs is the 64-bit code segment 0x33; natively the kernel
 * loads it, and a read through %gs works. vx restores only the registers, so
 * %gs is still the guest's own (exit 4). */
#include "escape.inc"
_start:
        mov %esp, sc_esp
        mov $sc, %esp                   /* the frame is at esp - 8 */
        mov $119, %eax
        int $0x80
        EXIT 3
target: mov %gs, %eax
        cmp $USER64_CS, %eax
        jne 1f
        cmpl $0x5eedf00d, %gs:probe
        jne 1f
        ESCAPED
1:      EXIT 4
        .data
        .long 0, 0                      /* pretcode, sig */
sc:     .word USER64_CS, 0, 0, 0        /* gs, fs */
        .word USER_DS, 0, USER_DS, 0    /* es, ds */
        .long 0, 0, 0                   /* edi, esi, ebp */
sc_esp: .long 0
        .long 0, 0, 0, 0                /* ebx, edx, ecx, eax */
        .long 0, 0                      /* trapno, err */
        .long target                    /* eip */
        .word USER32_CS, 0              /* cs */
        .long 0x202, 0                  /* eflags, esp_at_signal */
        .word USER_DS, 0                /* ss */
        .long 0, 0, 0                   /* fpstate (none), oldmask, cr2 */
        .fill 1024, 1, 0                /* unused fpstate, extramask, retcode */
probe:  .long 0x5eedf00d
