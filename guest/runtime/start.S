/* _start for freestanding guests: main(argc, argv), then exit(main's result). */
        .text
        .globl _start
_start:
        xor %ebp, %ebp
        mov (%esp), %eax
        lea 4(%esp), %ecx
        and $-16, %esp
        sub $8, %esp
        push %ecx
        push %eax
        call main
        mov %eax, %ebx
        mov $1, %eax
        int $0x80
        hlt
        .section .note.GNU-stack,"",@progbits
