// Host→guest→host round trips of Sandbox::call: a call of the plug-in's
// `add` (a few instructions) and of `ask_host` (which makes one system call
// the host answers), as medians over many batches; and 64 KiB of the host's
// handed to the plug-in's `sum`, copied into guest memory for each call
// (GuestMemory::write) or read in place from a shared buffer. Nothing is asserted; it
// prints a table with the targets beside it (docs/plugins.md).
//
//   build/bench/vx_call_bench [plugin] [batches]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "spread.h"
#include "vx/sandbox.h"
#include "vx/shared_buffer.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kStackBase = 0x1f000000, kStackSize = 64u << 10;
constexpr uint32_t kDataAt = 0x10000000, kBufferAt = 0x10100000, kDataBytes = 64u << 10;
constexpr int kCallsPerBatch = 1000;

struct Row {
    const char* what;
    double median_ns, p10_ns, p90_ns;
    const char* target;
};

// ns per call: batches of kCallsPerBatch calls, the first few for warming.
Row measure(const char* what, const char* target, int batches, const std::function<void()>& once,
            int calls_per_batch = kCallsPerBatch) {
    std::vector<double> ns;
    for (int i = 0; i < batches + 3; ++i) {
        const auto start = Clock::now();
        for (int c = 0; c < calls_per_batch; ++c) once();
        const double elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        if (i >= 3) ns.push_back(elapsed / calls_per_batch);
    }
    const Spread spread = spread_of(std::move(ns));
    return {what, spread.median, spread.p10, spread.p90, target};
}

uint32_t symbol(const std::vector<uint8_t>& file, const char* name) {
    const auto address = vx::elf_symbol(file, name);
    if (!address) {
        std::fprintf(stderr, "the plug-in has no function %s\n", name);
        std::exit(1);
    }
    return *address;
}

void expect(bool good, const char* what) {
    if (!good) {
        std::fprintf(stderr, "%s\n", what);
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : std::string(VX_GUEST_DIR) + "/plugin_functions";
    const int batches = argc > 2 ? std::atoi(argv[2]) : 200;
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (file.empty() || batches < 10) {
        std::fprintf(stderr, "usage: %s [plug-in: static i386 guest] [batches >= 10]\n", argv[0]);
        return 2;
    }
    vx::Sandbox sandbox;
    sandbox.load_program(file);
    expect(sandbox.memory().map(kStackBase, kStackSize, vx::kRead | vx::kWrite), "could not map a stack");
    sandbox.registers().esp = kStackBase + kStackSize;

    const uint32_t add = symbol(file, "add"), ask_host = symbol(file, "ask_host"), sum = symbol(file, "sum");
    const uint32_t add_args[] = {40, 2};
    const uint32_t ask_args[] = {41};
    const auto answer = [&](const vx::Event& event) {
        if (event.kind != vx::EventKind::Syscall) return false;
        sandbox.registers().eax = sandbox.registers().ebx;
        return true;
    };

    std::vector<Row> rows;
    rows.push_back(measure("call add(40, 2)", "<= 100", batches, [&] {
        expect(sandbox.call(add, add_args).value == 42, "add(40, 2) is not 42");
    }));
    rows.push_back(measure("call ask_host(41): one system call answered", "", batches, [&] {
        expect(sandbox.call(ask_host, ask_args, answer).value == 42, "ask_host(41) is not 42");
    }));

    // The same 64 KiB, handed over both ways.
    std::vector<uint32_t> words(kDataBytes / 4);
    uint32_t expected = 0;
    for (uint32_t i = 0; i < words.size(); ++i) expected += words[i] = i * 2654435761u;
    vx::SharedBuffer buffer(kDataBytes);
    std::copy(words.begin(), words.end(), reinterpret_cast<uint32_t*>(buffer.data()));
    expect(sandbox.memory().map(kDataAt, kDataBytes, vx::kRead | vx::kWrite), "could not map the data");
    expect(sandbox.memory().map_buffer(kBufferAt, buffer, vx::kRead), "could not map the buffer");
    const uint32_t copied_args[] = {kDataAt, uint32_t(words.size())};
    const uint32_t shared_args[] = {kBufferAt, uint32_t(words.size())};
    rows.push_back(measure("64 KiB copied in, then sum(data, 16384)", "", batches, [&] {
        expect(sandbox.memory().write(kDataAt, words.data(), kDataBytes), "could not copy the data in");
        expect(uint32_t(sandbox.call(sum, copied_args).value) == expected, "the sum of what was copied is wrong");
    }, kCallsPerBatch / 20));
    rows.push_back(measure("64 KiB in a shared buffer, sum(buffer, 16384)", "", batches, [&] {
        expect(uint32_t(sandbox.call(sum, shared_args).value) == expected, "the sum of the buffer is wrong");
    }, kCallsPerBatch / 20));

    std::printf("%s: %d batches of %d calls (%d for 64 KiB)\n\n", path.c_str(), batches, kCallsPerBatch,
                kCallsPerBatch / 20);
    std::printf("| round trip | median ns | p10 | p90 | target ns |\n|---|---:|---:|---:|---:|\n");
    for (const Row& r : rows)
        std::printf("| %s | %.0f | %.0f | %.0f | %s |\n", r.what, r.median_ns, r.p10_ns, r.p90_ns, r.target);
    return 0;
}
