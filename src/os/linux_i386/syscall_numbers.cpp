// syscall_numbers.h's numbers are the kernel's i386 ones. (Only this file
// includes <asm/unistd_32.h>: its __NR_* would take the place of the host's.)
#include <asm/unistd_32.h>

#include "os/linux_i386/syscall_numbers.h"

namespace vx::os::linux_i386::nr {

static_assert(close == __NR_close);
static_assert(pause == __NR_pause);
static_assert(kill == __NR_kill);
static_assert(sigreturn == __NR_sigreturn);
static_assert(nanosleep == __NR_nanosleep);
static_assert(poll == __NR_poll);
static_assert(rt_sigreturn == __NR_rt_sigreturn);
static_assert(rt_sigsuspend == __NR_rt_sigsuspend);
static_assert(mmap2 == __NR_mmap2);
static_assert(lchown32 == __NR_lchown32);
static_assert(setreuid32 == __NR_setreuid32);
static_assert(setregid32 == __NR_setregid32);
static_assert(setresuid32 == __NR_setresuid32);
static_assert(setresgid32 == __NR_setresgid32);
static_assert(tkill == __NR_tkill);
static_assert(clock_nanosleep == __NR_clock_nanosleep);
static_assert(clock_nanosleep_time64 == __NR_clock_nanosleep_time64);

}  // namespace vx::os::linux_i386::nr
