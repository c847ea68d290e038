// Random system calls through the whole Linux personality, from a guest that
// makes them one after another: numbers the personality knows (and some it
// does not), arguments that are small numbers, pointers into a buffer of
// fuzzed bytes, pointers anywhere, or strings naming files in its one grant.
// The host must survive every sequence, and the sanitizers see every byte
// the personality touches. A timer interrupts host calls that would block.
#include <fuzzer/FuzzedDataProvider.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "os/linux_i386/process.h"
#include "os/linux_i386/syscall_table.h"
#include "vx/sandbox.h"

namespace {

constexpr uint32_t kCode = 0x10000, kData = 0x100000, kDataSize = 0x10000, kStackTop = 0x400000;
constexpr size_t kMaxCalls = 32;

std::string grant_dir;
int real_stderr = -1;
timer_t interrupter;

void make_world() {
    char dir[] = "/tmp/vx-syscall-fuzz-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    grant_dir = dir;
    std::atexit([] { std::filesystem::remove_all(grant_dir); });
    // The guest's stdin and stdout are nothing; its stderr is the fuzzer's,
    // given back after each input should the guest have closed it.
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    real_stderr = fcntl(2, F_DUPFD_CLOEXEC, 100);
    struct sigaction action{};
    action.sa_handler = [](int) {};  // only to interrupt: no SA_RESTART
    sigaction(SIGUSR2, &action, nullptr);
    sigevent event{};
    event.sigev_notify = SIGEV_SIGNAL;
    event.sigev_signo = SIGUSR2;
    if (timer_create(CLOCK_MONOTONIC, &event, &interrupter) != 0) std::abort();
}

void interrupt_every(long nanoseconds) {
    itimerspec every{{0, nanoseconds}, {0, nanoseconds}};
    timer_settime(interrupter, 0, &every, nullptr);
}

void emit_mov(std::vector<uint8_t>& code, uint8_t opcode, uint32_t value) {
    code.push_back(opcode);
    for (int i = 0; i < 4; ++i) code.push_back(uint8_t(value >> (8 * i)));
}

uint32_t pick_argument(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return in.ConsumeIntegralInRange<uint32_t>(0, 16);  // fds, flags, small sizes
    case 1: return kData + in.ConsumeIntegralInRange<uint32_t>(0, kDataSize - 1);
    case 2: return kData;  // the strings at its start name files
    case 3: return uint32_t(in.ConsumeIntegralInRange<int32_t>(-128, 0));  // AT_FDCWD, -1, -errno
    default: return in.ConsumeIntegral<uint32_t>();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    make_world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
    FuzzedDataProvider in(bytes, size);
    vx::Sandbox sandbox(vx::SandboxOptions{.memory_size = 64u << 20});
    auto& memory = sandbox.memory();
    memory.map(kCode, 0x10000, vx::kRead | vx::kWrite | vx::kExec);
    memory.map(kData, kDataSize, vx::kRead | vx::kWrite);
    memory.map(kStackTop - 0x10000, 0x10000, vx::kRead | vx::kWrite);

    std::vector<uint8_t> code;
    const size_t calls = in.ConsumeIntegralInRange<size_t>(1, kMaxCalls);
    for (size_t i = 0; i < calls; ++i) {
        uint32_t nr = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, 460) : in.ConsumeIntegral<uint32_t>();
        emit_mov(code, 0xb8, nr);  // eax
        for (uint8_t opcode : {0xbb, 0xb9, 0xba, 0xbe, 0xbf, 0xbd}) emit_mov(code, opcode, pick_argument(in));
        code.insert(code.end(), {0xcd, 0x80});
    }
    emit_mov(code, 0xb8, 252);  // exit_group(0)
    emit_mov(code, 0xbb, 0);
    code.insert(code.end(), {0xcd, 0x80});
    memory.write(kCode, code.data(), code.size());
    // The data: a file name or two, then whatever is left of the input.
    std::string names = "/work/a\0/work/d/b\0/work\0..\0" + in.ConsumeRandomLengthString(64);
    std::vector<uint8_t> data = in.ConsumeRemainingBytes<uint8_t>();
    data.insert(data.begin(), names.begin(), names.end());
    memory.write(kData, data.data(), std::min<size_t>(data.size(), kDataSize));

    vx::ElfImage image;
    image.entry = kCode;
    image.image_end = kData + kDataSize;
    sandbox.registers().eip = kCode;
    sandbox.registers().esp = kStackTop - 0x100;
    vx::os::linux_i386::ProcessOptions options;
    options.mounts.push_back({"/work", grant_dir, true});
    options.cwd = "/work";
    try {
        vx::os::linux_i386::LinuxProcess process(sandbox, image, options);
        interrupt_every(2'000'000);
        process.run();
    } catch (const vx::Error&) {
        // refused cleanly
    }
    interrupt_every(0);
    dup2(real_stderr, 2);
    return 0;
}
