/* Host <-> guest transitions of the dbt engine (all in 64-bit mode).
 *
 * vx_dbt_enter(ctx) saves the host's callee-saved state, loads the guest's
 * extended state, flags and registers (guest esp in %r12d, ctx in %r15) and
 * jumps to translated code (%r14 = the lookup miss path, %r9 the fuel left
 * as an address in the fuel window). Translated code leaves by storing the guest state
 * and jumping to vx_dbt_exit; the fault handler resumes there too after
 * storing the state itself. Both return from vx_dbt_enter. The guest memory
 * base is in %gs, set by the caller. */
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
        stmxcsr CTX_HOST_MXCSR(%rdi)
        fnstcw CTX_HOST_FCW(%rdi)
        mov %rdi, %r15
        mov CTX_MISS_PATH(%r15), %r14
        mov CTX_FUEL(%r15), %r9         /* before the guest's flags: add sets flags */
        add CTX_FUEL_BASE(%r15), %r9
        mov CTX_XSAVE_AREA(%r15), %rsi
        mov $XSTATE_GUEST_COMPONENTS, %eax
        xor %edx, %edx
        xrstor64 (%rsi)
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
        mov CTX_XSAVE_AREA(%r15), %rsi
        mov $XSTATE_GUEST_COMPONENTS, %eax
        xor %edx, %edx
        xsaveopt64 (%rsi)
        fninit
        fldcw CTX_HOST_FCW(%r15)
        ldmxcsr CTX_HOST_MXCSR(%r15)
        popfq
        pop %r15
        pop %r14
        pop %r13
        pop %r12
        pop %rbx
        pop %rbp
        ret
        .size vx_dbt_exit, .-vx_dbt_exit

        .section .note.GNU-stack,"",@progbits
