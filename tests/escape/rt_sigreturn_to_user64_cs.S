/* vx-expect: 4 */
/* vx-native: escapes */
/* rt_sigreturn (173) with no signal, on a hand-made rt frame whose saved %cs
 * is the 64-bit code segment: natively the kernel "returns" into 64-bit mode.
 * vx restores only the registers, so the target runs as 32-bit code, which
 * exits 4. */
#include "escape.inc"
_start:
        mov %esp, sc_esp
        mov $frame+4, %esp              /* the frame is at esp - 4 */
        mov $173, %eax
        int $0x80
        EXIT 3
        ESCAPED64_OR_EXIT target, 4
        .data
frame:  .long 0, 0, 0, 0                /* pretcode, sig, pinfo, puc */
        .fill 128, 1, 0                 /* siginfo */
        .long 0, 0                      /* uc_flags, uc_link */
        .long 0, 2, 0                   /* uc_stack: sp, SS_DISABLE, size */
        .word 0, 0, 0, 0                /* gs, fs */
        .word USER_DS, 0, USER_DS, 0    /* es, ds */
        .long 0, 0, 0                   /* edi, esi, ebp */
sc_esp: .long 0
        .long 0, 0, 0, 0                /* ebx, edx, ecx, eax */
        .long 0, 0                      /* trapno, err */
        .long target                    /* eip */
        .word USER64_CS, 0              /* cs */
        .long 0x202, 0                  /* eflags, esp_at_signal */
        .word USER_DS, 0                /* ss */
        .long 0, 0, 0                   /* fpstate (none), oldmask, cr2 */
        .long 0, 0                      /* uc_sigmask */
        .fill 64, 1, 0
