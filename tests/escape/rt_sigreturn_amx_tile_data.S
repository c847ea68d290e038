/* vx-expect: 139 killed by SIGSEGV */
/* vx-native: 139 */
/* A SIGUSR1 handler marks AMX tile data (XSTATE_BV bits 17-18) present in the
 * XSAVE image of its signal frame and returns through rt_sigreturn. The
 * process never asked for AMX (arch_prctl ARCH_REQ_XCOMP_PERM), so natively
 * the kernel refuses the frame and kills it with SIGSEGV; vx must refuse it
 * too (as it does a frame it cannot read), not load it into the host thread. */
#include "escape.inc"
_start:
        RAISE_SIGUSR1_WITH action, 1f
        EXIT 0                          /* the frame's tile state was ignored */
1:      EXIT 3
handler:
        mov 12(%esp), %eax              /* the ucontext; its sigcontext at +20 */
        mov 20+76(%eax), %eax           /* sigcontext.fpstate */
        test %eax, %eax
        jz 2f
        add $112, %eax                  /* the fsave header; the XSAVE image after it */
        orl $0x60000, 512(%eax)         /* XSTATE_BV: XTILECFG, XTILEDATA */
        orl $0x60000, 464+8(%eax)       /* sw_reserved.xfeatures: the same */
2:      ret
restorer:
        mov $173, %eax                  /* rt_sigreturn */
        int $0x80
        .data
action: .long handler, 0x04000004, restorer, 0, 0   /* SA_SIGINFO | SA_RESTORER */
