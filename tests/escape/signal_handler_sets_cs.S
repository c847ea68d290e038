/* vx-expect: 4 */
/* vx-native: escapes */
/* A SIGUSR1 handler rewrites the interrupted context's saved %cs to the 64-bit
 * code segment (and eip to 64-bit code), then returns through rt_sigreturn:
 * natively the kernel resumes in 64-bit mode. vx takes only the registers
 * back, so the target runs as 32-bit code, which exits 4. */
#include "escape.inc"
_start:
        RAISE_SIGUSR1_WITH action, 1f
1:      EXIT 3
handler:
        mov 12(%esp), %eax              /* the ucontext; its sigcontext at +20 */
        movl $target, 20+56(%eax)       /* eip */
        movw $USER64_CS, 20+60(%eax)    /* cs */
        ret
restorer:
        mov $173, %eax                  /* rt_sigreturn */
        int $0x80
        ESCAPED64_OR_EXIT target, 4
        .data
action: .long handler, 0x04000004, restorer, 0, 0   /* SA_SIGINFO | SA_RESTORER */
