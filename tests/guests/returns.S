/* Calls and returns that do not pair up: returns without calls, calls that
 * never return (the get-pc idiom, 100000 times), a return to an address the
 * callee rewrote, ret imm16, and an indirect call through memory. */
        .text
        .globl _start
_start:
        /* ret without a call: push a target and return to it */
        push $after_push_ret
        ret
        mov $0xbad, %eax
        call report
after_push_ret:
        mov $1, %eax
        call report
        /* calls that never return: call/pop, 100000 times */
        mov $100000, %esi
        xor %edi, %edi
1:      call 2f
2:      pop %eax
        add $1, %edi
        dec %esi
        jnz 1b
        mov %edi, %eax
        call report
        /* the callee changes its return address */
        call redirect
        mov $0xbad, %eax
        call report
redirected:
        mov $2, %eax
        call report
        /* ret imm16 pops the arguments */
        mov %esp, %ebx
        push $7
        push $8
        call add_two
        sub %esp, %ebx
        shl $8, %eax
        or %ebx, %eax
        call report
        /* indirect call through memory, returning normally */
        call *fn_pointer
        call report
        /* deep recursion, then a non-local exit from the bottom */
        mov %esp, saved_esp
        mov $20000, %eax
        call dive
escaped_dive:
        mov saved_esp, %esp
        mov $3, %eax
        call report
        /* and ordinary calls still return where they should afterwards */
        call add_two_regs
        call report
        mov $1, %eax
        xor %ebx, %ebx
        int $0x80

redirect:
        movl $redirected, (%esp)
        ret
add_two:        /* (a, b) -> a + b, callee pops */
        mov 4(%esp), %eax
        add 8(%esp), %eax
        ret $8
returns_five:
        mov $5, %eax
        ret
dive:
        dec %eax
        jz 1f
        call dive
        ret
1:      jmp escaped_dive
add_two_regs:
        mov $40, %eax
        add $2, %eax
        ret

#include "report.inc"
        .data
fn_pointer: .long returns_five
saved_esp:  .long 0
        .section .note.GNU-stack,"",@progbits
