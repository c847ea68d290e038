/* The kernel delivers signals with the interrupted code's AC flag still set:
 * a guest that set AC would make the handler's own unaligned accesses fault
 * (SIGBUS inside SIGBUS kills the process). Clear AC before any C++ runs. */
        .text
        .globl vx_dbt_signal_entry
        .type vx_dbt_signal_entry, @function
vx_dbt_signal_entry:
        pushfq
        andq $~0x40000, (%rsp)
        popfq
        jmp vx_dbt_on_fault_signal
        .size vx_dbt_signal_entry, .-vx_dbt_signal_entry
        .section .note.GNU-stack,"",@progbits
