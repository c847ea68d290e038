/* Host <-> guest transitions of the dbt engine (all in 64-bit mode).
 *
 * vx_dbt_enter(ctx) saves the host's callee-saved state, loads the guest's
 * flags and registers (guest esp in %r12d, ctx in %r15) and jumps to
 * translated code (%r14 = the lookup miss path, %r9 the fuel left as an
 * address in the fuel window). Translated code leaves by storing the guest
 * state and jumping to vx_dbt_exit; the fault handler resumes there too after
 * storing the state itself. Both return from vx_dbt_enter. The guest memory
 * base is in %gs, set by the caller.
 *
 * The guest's extended state (x87, SSE, AVX, AVX-512) is loaded lazily: it
 * stays in the save area until a block with an instruction that touches it
 * calls the gate at its start, `call *CTX_XSTATE_GATE(%r15)`. vx_dbt_exit
 * saves it back, and gives the host its control state again, only when a
 * gate loaded it: a run of integer code never pays for xrstor and xsaveopt,
 * and the CPU holds the host's extended state all along (no guest
 * instruction that could read it runs without the gate before it). */
#include "runtime_layout.h"

        .text
        .globl vx_dbt_enter
        .type vx_dbt_enter, @function
vx_dbt_enter:
        push %rbp
        push %rbx
        push %r12
        push %r13
        push %r14
        push %r15
        pushfq
        mov %rsp, CTX_HOST_RSP(%rdi)
        mov %rdi, %r15
        lea vx_dbt_xstate_load(%rip), %rax
        mov %rax, CTX_XSTATE_GATE(%r15) /* the guest's extended state: in the area */
        mov CTX_MISS_PATH(%r15), %r14
        mov CTX_FUEL(%r15), %r9         /* before the guest's flags: add sets flags */
        add CTX_FUEL_BASE(%r15), %r9
        cmpl $0, CTX_STOP_SOON(%r15)    /* a stop asked for already: no guest code */
        jne vx_dbt_enter_stopped
        .globl vx_dbt_enter_looked
vx_dbt_enter_looked:
        mov CTX_EFLAGS(%r15), %eax
        push %rax
        popfq
        mov CTX_GPRS+0(%r15), %eax
        mov CTX_GPRS+4(%r15), %ecx
        mov CTX_GPRS+8(%r15), %edx
        mov CTX_GPRS+12(%r15), %ebx
        mov CTX_GPRS+16(%r15), %r12d
        mov CTX_GPRS+20(%r15), %ebp
        mov CTX_GPRS+24(%r15), %esi
        mov CTX_GPRS+28(%r15), %edi
        jmp *CTX_ENTER_TARGET(%r15)
        .globl vx_dbt_enter_end
vx_dbt_enter_end:
        .size vx_dbt_enter, .-vx_dbt_enter

        /* The guest state is all in the context still: leave with EXIT_STOP
         * at the eip the host was about to run (it set CTX_EXIT_EIP). */
        .globl vx_dbt_enter_stopped
        .type vx_dbt_enter_stopped, @function
vx_dbt_enter_stopped:
        movl $EXIT_STOP, CTX_EXIT_CODE(%r15)
        jmp vx_dbt_exit
        .size vx_dbt_enter_stopped, .-vx_dbt_enter_stopped

        .globl vx_dbt_exit
        .type vx_dbt_exit, @function
vx_dbt_exit:
        mov CTX_HOST_RSP(%r15), %rsp
        sub CTX_FUEL_BASE(%r15), %r9
        mov %r9, CTX_FUEL(%r15)
        lea vx_dbt_xstate_load(%rip), %rcx
        cmp %rcx, CTX_XSTATE_GATE(%r15)
        je 1f                           /* not loaded: the CPU holds the host's state still */
        mov CTX_XSAVE_AREA(%r15), %rsi
        mov $XSTATE_GUEST_COMPONENTS, %eax
        xor %edx, %edx
        xsaveopt64 (%rsi)
        incq CTX_XSTATE_SAVES(%r15)
        fninit
        fldcw CTX_HOST_FCW(%r15)
        ldmxcsr CTX_HOST_MXCSR(%r15)
        mov %rcx, CTX_XSTATE_GATE(%r15) /* the area holds the guest's state again */
1:      popfq
        pop %r15
        pop %r14
        pop %r13
        pop %r12
        pop %rbx
        pop %rbp
        ret
        .size vx_dbt_exit, .-vx_dbt_exit

        /* The gates. Translated code calls them with the guest's registers
         * and flags live: they change neither, and they push nothing (the
         * loader spills to the context), so at each of their instructions
         * the return address into the block is at (%rsp) (stop_soon looks
         * there). They cannot fault: the area is the host's, and it holds
         * what xsaveopt stored or what set_extended_state checked. */
        .p2align 4
        .globl vx_dbt_xstate_ready
        .type vx_dbt_xstate_ready, @function
vx_dbt_xstate_ready:
        ret
        .size vx_dbt_xstate_ready, .-vx_dbt_xstate_ready

        .globl vx_dbt_xstate_load
        .type vx_dbt_xstate_load, @function
vx_dbt_xstate_load:
        mov %rax, CTX_XSTATE_SPILL(%r15)
        mov %rdx, CTX_XSTATE_SPILL+8(%r15)
        mov %rsi, CTX_XSTATE_SPILL+16(%r15)
        stmxcsr CTX_HOST_MXCSR(%r15)    /* what vx_dbt_exit gives back to the host */
        fnstcw CTX_HOST_FCW(%r15)
        mov CTX_XSAVE_AREA(%r15), %rsi
        mov $XSTATE_GUEST_COMPONENTS, %eax
        mov $0, %edx                    /* not xor: the guest's flags are live */
        xrstor64 (%rsi)
        lea vx_dbt_xstate_ready(%rip), %rax
        mov %rax, CTX_XSTATE_GATE(%r15) /* only now: vx_dbt_exit saves what is in the CPU */
        mov CTX_XSTATE_SPILL(%r15), %rax
        mov CTX_XSTATE_SPILL+8(%r15), %rdx
        mov CTX_XSTATE_SPILL+16(%r15), %rsi
        ret
        .size vx_dbt_xstate_load, .-vx_dbt_xstate_load
        .globl vx_dbt_xstate_gates_end
vx_dbt_xstate_gates_end:

        .section .note.GNU-stack,"",@progbits
