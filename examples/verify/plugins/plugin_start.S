/* A plug-in's entry point: a plug-in is not a program, and run as one it
 * stops at once (ud2: an invalid instruction). */
        .text
        .globl _start
_start:
        ud2
        .section .note.GNU-stack,"",@progbits
