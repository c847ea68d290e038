/* _start for the native x86-64 benchmark builds: main(argc, argv), then
 * exit(main's result). The x86-64 twin of guest/runtime/start.S. */
        .text
        .globl _start
_start:
        xor %ebp, %ebp
        mov (%rsp), %rdi
        lea 8(%rsp), %rsi
        and $-16, %rsp
        call main
        mov %eax, %edi
        mov $60, %eax
        syscall
        hlt
        .section .note.GNU-stack,"",@progbits
