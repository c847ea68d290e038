/* setjmp/longjmp-style stack switching: save esp/ebp/ebx/esi/edi/eip, run on
 * a second stack, jump back. Prints "switched" lines; exits 42. */
        .text
        .globl _start
_start:
        mov $saved, %eax
        call save_context
        test %eax, %eax
        jnz resumed
        /* first return: switch to the other stack and call work there */
        mov $other_stack_top, %esp
        call work
        /* work never returns: it longjmps */
        hlt
resumed:
        mov $msg_back, %ecx
        mov $msg_back_len, %edx
        call print
        mov $1, %eax
        mov $42, %ebx
        int $0x80

/* save_context(eax = buffer): returns 0 now, 1 when resumed */
save_context:
        mov %ebx, 0(%eax)
        mov %esi, 4(%eax)
        mov %edi, 8(%eax)
        mov %ebp, 12(%eax)
        lea 4(%esp), %ecx
        mov %ecx, 16(%eax)
        mov (%esp), %ecx
        mov %ecx, 20(%eax)
        xor %eax, %eax
        ret

restore_context:  /* eax = buffer; never returns */
        mov 0(%eax), %ebx
        mov 4(%eax), %esi
        mov 8(%eax), %edi
        mov 12(%eax), %ebp
        mov 16(%eax), %esp
        mov 20(%eax), %ecx
        mov $1, %eax
        jmp *%ecx

work:
        mov $msg_other, %ecx
        mov $msg_other_len, %edx
        call print
        mov $saved, %eax
        jmp restore_context

print:  /* ecx = text, edx = length */
        push %ebx
        mov $4, %eax
        mov $1, %ebx
        int $0x80
        pop %ebx
        ret

        .data
msg_other: .ascii "running on the second stack\n"
        msg_other_len = . - msg_other
msg_back: .ascii "switched back to the first stack\n"
        msg_back_len = . - msg_back
        .bss
        .align 16
saved:  .space 32
        .space 16384
other_stack_top:
        .section .note.GNU-stack,"",@progbits
