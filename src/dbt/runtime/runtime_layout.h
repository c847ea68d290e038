/* Offsets into dbt::RuntimeContext, shared by C++ (checked with static_assert)
 * and runtime.S. Translated code keeps the context's address in %r15. */
#pragma once

#define CTX_GPRS          0    /* eax ecx edx ebx esp ebp esi edi, 4 bytes each */
#define CTX_EIP           32
#define CTX_EFLAGS        36
#define CTX_EXIT_CODE     40   /* < EXIT_CODE_LIMIT: a reason; else a patch site */
#define CTX_EXIT_EIP      44
#define CTX_HOST_RSP      48
#define CTX_XSAVE_AREA    56   /* the guest's extended state */
#define CTX_ENTER_TARGET  64   /* translated code to start at */
#define CTX_HOST_FCW      72
#define CTX_HOST_MXCSR    76
#define CTX_MISS_PATH     80   /* kept in %r14 by translated code */
#define CTX_GUEST_BASE    88   /* host address of guest address 0 (the %gs base) */
#define CTX_FUEL          96   /* instructions left; translated code keeps CTX_FUEL_BASE + them in %r9 */
#define CTX_FUEL_BASE     104  /* the fuel window's address (0 without fuel) */
#define CTX_STOP_SOON     112  /* u32, nonzero: the host wants the guest stopped (stop_soon; vx_dbt_enter looks) */
#define CTX_XSTATE_GATE   120  /* what `call *` here runs: vx_dbt_xstate_load until the guest's extended state is in the CPU, then vx_dbt_xstate_ready */
#define CTX_X87_IMAGE     128  /* 108 bytes: where fnstenv/fnsave store before the guest gets a copy */
#define CTX_XSTATE_SPILL  240  /* 3 x u64: rax, rdx, rsi while vx_dbt_xstate_load runs */
#define CTX_XSTATE_SAVES  264  /* u64: the times vx_dbt_exit saved the guest's extended state from the CPU */
#define CTX_XSAVE_ROOM    1024 /* to CTX_LOOKUP_KEYS: the guest's XSAVE area, when it fits (it does without AMX) */
#define CTX_LOOKUP_KEYS   4096 /* u32[65536]: ~eip of the block in each slot */
#define CTX_LOOKUP_TARGETS (CTX_LOOKUP_KEYS + 4 * 65536)  /* u64[65536]: its code - miss path */
/* With fuel counted, every block starts with a load at %r9 in the fuel
 * window (read-only zero pages, FUEL_WINDOW bytes, a guard page below): below
 * it once the fuel is negative, and closed by the host to stop the guest. */
#define FUEL_WINDOW       (64u << 20)  /* the most fuel %r9 holds; the host keeps the rest */

/* The XSAVE components a guest has: x87, SSE, AVX, and AVX-512's opmask,
 * ZMM_Hi256 and Hi16_ZMM. The host's others (PKRU above all, AMX) are never
 * saved from or loaded into the host thread for a guest. */
#define XSTATE_GUEST_COMPONENTS 0xe7

#define EXIT_SYSCALL      1
#define EXIT_LOOKUP_MISS  2
#define EXIT_BREAKPOINT   3
#define EXIT_HOST_FAULT   4
#define EXIT_EMULATE      5    /* an instruction the host carries out (string ops) */
#define EXIT_SEGMENT_LOAD 6    /* mov fs/gs, r16: resolved from the sandbox's descriptors */
#define EXIT_CODE_WRITTEN 8    /* the guest wrote to a page it has translated code from */
#define EXIT_STOP         7    /* a stop request, or the fuel out at a block's start */
#define EXIT_COPY_WRITTEN 9    /* the guest wrote to a page a fork shares for copy-on-write */
#define EXIT_FAULT_BASE   16   /* + FaultKind: an instruction the policy refused */
#define EXIT_CODE_LIMIT   4096 /* codes from here on: EXIT_CODE_LIMIT + patch site offset */
