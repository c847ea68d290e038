#include "dbt/runtime/signals.h"

#include <asm/prctl.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "dbt/dbt_engine.h"
#include "dbt/runtime/runtime_context.h"
#include "vx/error.h"

namespace vx::dbt {
namespace {

constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
struct sigaction previous_actions[NSIG];

thread_local DbtEngine* running_engine = nullptr;
thread_local uint64_t thread_gs_base = 0;

void chain_to_previous(int signo, siginfo_t* info, void* uc) {
    const struct sigaction& old = previous_actions[signo];
    if (old.sa_flags & SA_SIGINFO) {
        old.sa_sigaction(signo, info, uc);
    } else if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
        old.sa_handler(signo);
    } else if (old.sa_handler == SIG_IGN && info->si_code <= 0) {
        // sent by kill and ignored before vx came: still ignored
    } else {
        // Not ours and nobody else's: die of it as the host would have (the
        // kernel kills for a fault even when it is ignored). A fault re-raises
        // itself on return; a signal sent by kill must be raised again.
        signal(signo, SIG_DFL);
        if (info->si_code <= 0) raise(signo);
    }
}

}  // namespace

extern "C" void vx_dbt_signal_entry(int signo, siginfo_t* info, void* uc);

extern "C" void vx_dbt_on_fault_signal(int signo, siginfo_t* info, void* uc) {
    auto* context = static_cast<ucontext_t*>(uc);
    auto pc = uint64_t(context->uc_mcontext.gregs[REG_RIP]);
    DbtEngine* engine = running_engine;
    if (engine && engine->owns(pc) && engine->on_guest_fault(signo, info, uc)) return;
    chain_to_previous(signo, info, uc);
}

namespace {

void install_handlers() {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = vx_dbt_signal_entry;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;  // core gives the thread running a guest an alternate stack
    sigemptyset(&action.sa_mask);
    for (int signo : kFaultSignals) sigaction(signo, &action, &previous_actions[signo]);
}

}  // namespace

void install_fault_handlers() {
    static std::once_flag once;
    std::call_once(once, install_handlers);
}

void set_thread_gs_base(uint64_t base) {
    if (thread_gs_base == base) return;
    static const bool has_wrgsbase = getauxval(AT_HWCAP2) & 2;
    if (has_wrgsbase) {
        __asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
    } else if (syscall(SYS_arch_prctl, ARCH_SET_GS, base) != 0) {
        throw Error("cannot set the %gs base (arch_prctl ARCH_SET_GS)");
    }
    thread_gs_base = base;
}

RunningEngine::RunningEngine(DbtEngine* engine) { running_engine = engine; }
RunningEngine::~RunningEngine() { running_engine = nullptr; }

}  // namespace vx::dbt
