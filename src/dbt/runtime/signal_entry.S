/* The kernel delivers signals with the interrupted code's AC flag still set:
 * a guest that set AC would make the handler's own unaligned accesses fault
 * (SIGBUS inside SIGBUS kills the process). Clear AC before any C++ runs. */
        .text
        .macro entry name, handler
        .globl \name
        .type \name, @function
\name:
        pushfq
        andq $~0x40000, (%rsp)
        popfq
        jmp \handler
        .size \name, .-\name
        .endm

        entry vx_dbt_signal_entry, vx_dbt_on_fault_signal
        .section .note.GNU-stack,"",@progbits
