// The decoder's length for every instruction the policy lets through must be
// the CPU's own: if the two disagreed, the translator would copy part of an
// instruction, or one and a piece of the next, and the CPU would run
// something nobody checked. The CPU's verdict comes from length_oracle, a
// native i386 process (skipped, with a message, where the host cannot run
// one).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "x86/decoder.h"
#include "x86/policy.h"

namespace {

int to_oracle = -1, from_oracle = -1;
pid_t oracle = -1;
unsigned long long decoded = 0, compared = 0, inconclusive = 0;  // reported at exit

enum Verdict : uint8_t { kNeedsMore = 0, kNeedsNoMore = 1, kCannot = 2, kInconclusive = 3 };

Verdict ask(const uint8_t* bytes, unsigned length, unsigned k) {
    uint8_t request[17] = {uint8_t(k), uint8_t(length)};
    for (unsigned i = 0; i < length; ++i) request[2 + i] = bytes[i];
    uint8_t answer = kCannot;
    // libFuzzer's timeout alarm interrupts these calls now and then.
    ssize_t written, got;
    while ((written = write(to_oracle, request, 2 + length)) < 0 && errno == EINTR) continue;
    while ((got = read(from_oracle, &answer, 1)) < 0 && errno == EINTR) continue;
    if (written != ssize_t(2 + length) || got != 1) {
        int status = 0;
        waitpid(oracle, &status, WNOHANG);
        std::fprintf(stderr, "decoder_length_fuzzer: the length oracle stopped answering (wait status %#x)\n", status);
        std::abort();
    }
    return Verdict(answer);
}

bool start_oracle() {
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0) return false;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(down[0], 0);
        dup2(up[1], 1);
        execl(VX_LENGTH_ORACLE, VX_LENGTH_ORACLE, nullptr);
        _exit(127);
    }
    close(down[0]);
    close(up[1]);
    oracle = pid;
    to_oracle = down[1];
    from_oracle = up[0];
    signal(SIGPIPE, SIG_IGN);
    // A nop takes one byte: more than none, no more than one.
    const uint8_t nop = 0x90;
    uint8_t answer[2] = {kCannot, kCannot};
    uint8_t request[] = {0, 1, nop, 1, 1, nop};
    return pid > 0 && write(to_oracle, request, sizeof request) == ssize_t(sizeof request) &&
           read(from_oracle, &answer[0], 1) == 1 && read(from_oracle, &answer[1], 1) == 1 &&
           answer[0] == kNeedsMore && answer[1] == kNeedsNoMore;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (!start_oracle()) {
        std::fprintf(stderr, "decoder_length_fuzzer: skipped: this host cannot run the i386 length oracle %s\n",
                     VX_LENGTH_ORACLE);
        to_oracle = -1;
        return 0;
    }
    std::atexit([] {
        std::fprintf(stderr,
                     "decoder_length_fuzzer: %llu inputs decoded, %llu allowed instructions compared with the CPU "
                     "(%llu without a verdict: they wrote over themselves)\n",
                     decoded, compared, inconclusive);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (to_oracle < 0) return 0;
    vx::x86::Instruction insn;
    if (vx::x86::decode(data, size, insn) != vx::x86::DecodeStatus::Ok) return 0;
    ++decoded;
    if (vx::x86::classify(insn).action == vx::x86::Action::Fault) return 0;
    ++compared;
    const unsigned length = insn.length();
    Verdict short_by_one = ask(data, length, length - 1);
    Verdict whole = ask(data, length, length);
    if (short_by_one == kCannot || whole == kCannot) std::abort();
    if (short_by_one == kInconclusive || whole == kInconclusive) {
        ++inconclusive;
        return 0;
    }
    if (short_by_one != kNeedsMore || whole != kNeedsNoMore) {
        std::fprintf(stderr, "decoder_length_fuzzer: the decoder says %u bytes, the CPU %s:", length,
                     whole == kNeedsMore ? "more" : "fewer");
        for (unsigned i = 0; i < length; ++i) std::fprintf(stderr, " %02x", data[i]);
        std::fprintf(stderr, "\n");
        std::abort();
    }
    return 0;
}
