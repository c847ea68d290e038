# translate_dump: --fs-base=0x00700000 --gs-base=0xfffff000 --fs-selector=0x63 --gs-selector=0x6b
# fs- and gs-prefixed accesses: the guest's segment base is folded into the
# displacement (wrapping at 4 GiB as the CPU's address does), and the
# access goes through %gs like any other. Reading a segment register gives
# Linux's selector values; loading one leaves translated code, for the
# engine to resolve from the guest's descriptors.
        .text
        mov %fs:0, %eax
        mov %gs:0x10, %ecx
        mov %eax, %fs:8(%ebx)
        addl $1, %gs:0x2000(%esi)
        mov %cs:(%ebx), %edx
        mov %ds, %eax
        mov %fs, 4(%ebx)
        mov %ax, %gs
