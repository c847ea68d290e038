/* Run control's machine code (x86-64): the interrupt signal's entry, and a
 * host system call that a stop request ends. */
        .text

        /* The kernel delivers a signal with the interrupted code's AC flag
         * still set: a guest that set AC (the dbt engine runs guest code with
         * the guest's own flags) would make the handler's unaligned accesses
         * fault. Clear AC before any C++ runs. (The guest's %gs base, which
         * the dbt engine leaves in place, is harmless: host code on x86-64
         * reaches its thread-local data through %fs.) */
        .globl vx_interrupt_signal_entry
        .type vx_interrupt_signal_entry, @function
vx_interrupt_signal_entry:
        pushfq
        andq $~0x40000, (%rsp)
        popfq
        jmp vx_on_interrupt_signal
        .size vx_interrupt_signal_entry, .-vx_interrupt_signal_entry

        /* long vx_interruptible_syscall(const uint32_t* requests,
         *                               long number, const long args[6])
         * A host system call that a stop request ends: the interrupt
         * signal's handler sends a signal that comes between the look at the
         * requests and the syscall instruction to
         * vx_interruptible_syscall_stopped (%rbx keeps the requests' address
         * there: syscall clobbers %rcx and %r11 only); one that comes during
         * the call makes it return -EINTR (the handler has no SA_RESTART). */
        .globl vx_interruptible_syscall
        .type vx_interruptible_syscall, @function
vx_interruptible_syscall:
        push %rbx
        mov %rdi, %rbx
        mov %rsi, %rax
        mov 0(%rdx), %rdi
        mov 8(%rdx), %rsi
        mov 24(%rdx), %r10
        mov 32(%rdx), %r8
        mov 40(%rdx), %r9
        mov 16(%rdx), %rdx
        .globl vx_interruptible_syscall_look
vx_interruptible_syscall_look:
        cmpl $0, (%rbx)
        jne vx_interruptible_syscall_stopped
        .globl vx_interruptible_syscall_insn
vx_interruptible_syscall_insn:
        syscall
        pop %rbx
        ret
        .globl vx_interruptible_syscall_stopped
vx_interruptible_syscall_stopped:
        mov $-4, %rax                   /* -EINTR */
        pop %rbx
        ret
        .size vx_interruptible_syscall, .-vx_interruptible_syscall

        .section .note.GNU-stack,"",@progbits
