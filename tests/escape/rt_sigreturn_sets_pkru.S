/* vx-expect: 132 invalid instruction */
/* vx-native: escapes */
/* A SIGUSR1 handler puts a PKRU value (key 0 write-disabled) into the XSAVE
 * image of its signal frame and returns through rt_sigreturn, which restores
 * the extended state from the frame: natively the thread's protection keys
 * are then the guest's choice (rdpkru reads the value back). vx refuses
 * wrpkru and xrstor with PKRU; taken from a frame, the value must not reach
 * the host thread either, and rdpkru is refused. */
#include "escape.inc"
        .set PKRU_VALUE, 0x55555556
_start:
        RAISE_SIGUSR1_WITH action, 1f
        xor %ecx, %ecx
        rdpkru
        cmp $PKRU_VALUE, %eax
        jne 1f
        ESCAPED
1:      EXIT 3
handler:
        mov $0xd, %eax                  /* cpuid(0xd, 9): PKRU's offset in ebx */
        mov $9, %ecx
        cpuid
        test %eax, %eax
        jz 2f                           /* no PKRU state component */
        mov 12(%esp), %eax              /* the ucontext; its sigcontext at +20 */
        mov 20+76(%eax), %eax           /* sigcontext.fpstate */
        test %eax, %eax
        jz 2f
        add $112, %eax                  /* the fsave header; the XSAVE image after it */
        movl $PKRU_VALUE, (%eax,%ebx)
        orl $0x200, 512(%eax)           /* XSTATE_BV: PKRU */
        orl $0x200, 464+8(%eax)         /* sw_reserved.xfeatures: PKRU */
2:      ret
restorer:
        mov $173, %eax                  /* rt_sigreturn */
        int $0x80
        .data
action: .long handler, 0x04000004, restorer, 0, 0   /* SA_SIGINFO | SA_RESTORER */
