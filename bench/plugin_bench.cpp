// Sandboxes for plug-ins (docs/plugins.md): the guest plug-in of the unit
// tests (tests/unit/guests/plugin_functions.c), loaded with load_program and
// given a stack, snapshotted ready to call; then, as medians (p10, p90) over
// many rounds, the time
//   (a) from a snapshot to a new sandbox whose first call returned,
//   (b) to reset a used sandbox whose call dirtied N pages, and call again,
// and (c) the time and resident memory per sandbox of many sandboxes made
// from one snapshot and held (idle, then called once each), each beside the
// target it is measured against. Nothing is asserted; it prints Markdown.
//
//   build/bench/vx_plugin_bench [rounds] [sandboxes]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spread.h"
#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kStackBase = 0x0ff00000, kStackSize = 64u << 10;
constexpr uint32_t kData = 0x0f000000, kDataPages = 64;

struct Row {
    std::string what;
    double median_us, p10_us, p90_us;
    std::string target;
};

double elapsed_us(Clock::time_point since) {
    return std::chrono::duration<double, std::micro>(Clock::now() - since).count();
}

// `prepare` untimed, then `once` timed, `rounds` times (after a few to warm up).
Row measure(std::string what, std::string target, int rounds, const std::function<void()>& prepare,
            const std::function<void()>& once) {
    std::vector<double> us;
    for (int i = 0; i < rounds + 5; ++i) {
        prepare();
        const auto start = Clock::now();
        once();
        const double elapsed = elapsed_us(start);
        if (i >= 5) us.push_back(elapsed);
    }
    const Spread spread = spread_of(std::move(us));
    return {std::move(what), spread.median, spread.p10, spread.p90, std::move(target)};
}

void expect_returned(const vx::CallResult& result, uint32_t value) {
    if (!result.returned || result.eax() != value) {
        std::fprintf(stderr, "the call did not return %llu: %s\n", (unsigned long long)value,
                     vx::describe(result.event).c_str());
        std::exit(1);
    }
}

// From /proc/self/status and /proc/self/smaps_rollup: KiB.
long status_kib(const char* file, const char* field) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::string(field).size());
    return -1;
}
long rss_kib() { return status_kib("/proc/self/status", "VmRSS:"); }
long pss_kib() { return status_kib("/proc/self/smaps_rollup", "Pss:"); }
long mappings() {
    std::ifstream in("/proc/self/maps");
    long n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}
long max_map_count() {
    std::ifstream in("/proc/sys/vm/max_map_count");
    long n = -1;
    in >> n;
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
    const int many = argc > 2 ? std::atoi(argv[2]) : 10000;
    const std::string path = std::string(VX_GUEST_DIR) + "/plugin_functions";
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (file.empty() || rounds < 10 || many < 1) {
        std::fprintf(stderr, "usage: %s [rounds >= 10] [sandboxes >= 1] (needs %s)\n", argv[0], path.c_str());
        return 2;
    }
    const uint32_t add = *vx::elf_symbol(file, "add"), fill = *vx::elf_symbol(file, "fill");
    const vx::SandboxOptions options{.memory_size = 256u << 20};  // the plug-in loads at 128 MiB

    // The plug-in, loaded, with a stack and a data region, ready to call.
    vx::Sandbox prepared(options);
    prepared.load_program(file);
    prepared.memory().map(kStackBase, kStackSize, vx::kRead | vx::kWrite);
    prepared.memory().map(kData, kDataPages * vx::kPageSize, vx::kRead | vx::kWrite);
    prepared.registers().esp = kStackBase + kStackSize;
    const auto ready = prepared.snapshot();
    const uint32_t args[] = {40, 2};

    std::vector<Row> rows;
    std::unique_ptr<vx::Sandbox> made;
    rows.push_back(measure("(a) `Sandbox(snapshot)` + first `call` returned", "≤ 20", rounds, [&] { made.reset(); },
                           [&] {
                               made = std::make_unique<vx::Sandbox>(*ready);
                               expect_returned(made->call(add, args), 42);
                           }));
    rows.push_back(measure("(a) `Sandbox(snapshot)` alone", "", rounds, [&] { made.reset(); },
                           [&] { made = std::make_unique<vx::Sandbox>(*ready); }));
    // The same, the snapshot keeping the sandboxes destroyed (one is enough
    // here: each is destroyed before the next is made).
    ready->keep_sandboxes(1);
    rows.push_back(measure("(a) `Sandbox(snapshot)` + first `call` returned, kept sandboxes", "≤ 20", rounds,
                           [&] { made.reset(); },
                           [&] {
                               made = std::make_unique<vx::Sandbox>(*ready);
                               expect_returned(made->call(add, args), 42);
                           }));
    rows.push_back(measure("(a) `Sandbox(snapshot)` alone, kept sandboxes", "", rounds, [&] { made.reset(); },
                           [&] { made = std::make_unique<vx::Sandbox>(*ready); }));
    rows.push_back(measure("(a) a sandbox's destruction (after a call), kept: reset and kept", "", rounds,
                           [&] {
                               made = std::make_unique<vx::Sandbox>(*ready);
                               expect_returned(made->call(add, args), 42);
                           },
                           [&] { made.reset(); }));
    made.reset();
    ready->keep_sandboxes(0);
    rows.push_back(measure("(a) a sandbox's destruction (after a call)", "", rounds,
                           [&] {
                               made = std::make_unique<vx::Sandbox>(*ready);
                               expect_returned(made->call(add, args), 42);
                           },
                           [&] { made.reset(); }));

    vx::Sandbox used(*ready);
    for (uint32_t pages : {1u, 4u, 16u}) {
        const uint32_t words = pages * vx::kPageSize / 4;
        uint32_t value = 0;
        auto dirty = [&] {
            const uint32_t fill_args[] = {kData, words, ++value};
            expect_returned(used.call(fill, fill_args), words);
        };
        rows.push_back(measure("(b) `restore` + `call`, " + std::to_string(pages) + " page(s) dirtied", "≤ 10", rounds,
                               dirty, [&] {
                                   used.restore(*ready);
                                   expect_returned(used.call(add, args), 42);
                               }));
        rows.push_back(measure("(b) `restore` alone, " + std::to_string(pages) + " page(s) dirtied", "", rounds, dirty,
                               [&] { used.restore(*ready); }));
    }
    rows.push_back(measure("`call` alone (`add`, translated)", "", rounds, [] {},
                           [&] { expect_returned(used.call(add, args), 42); }));
    made.reset();

    // (c) Many sandboxes from one snapshot, held.
    std::vector<std::unique_ptr<vx::Sandbox>> held;
    held.reserve(size_t(many));
    const long rss_before = rss_kib(), pss_before = pss_kib(), maps_before = mappings();
    std::string refused;
    const auto start = Clock::now();
    try {
        while (held.size() < size_t(many)) held.push_back(std::make_unique<vx::Sandbox>(*ready));
    } catch (const vx::Error& e) {
        refused = e.what();
    }
    const double create_us = elapsed_us(start) / double(std::max<size_t>(held.size(), 1));
    const long rss_idle = rss_kib(), pss_idle = pss_kib(), maps_idle = mappings();
    const auto call_start = Clock::now();
    size_t called = 0;
    try {
        for (auto& sandbox : held) {
            expect_returned(sandbox->call(add, args), 42);
            ++called;
        }
    } catch (const vx::Error& e) {
        if (refused.empty()) refused = e.what();
    }
    const double call_us = elapsed_us(call_start) / double(std::max<size_t>(called, 1));
    const long rss_called = rss_kib(), pss_called = pss_kib(), maps_called = mappings();
    const size_t n = std::max<size_t>(held.size(), 1);
    const auto destroy_start = Clock::now();
    held.clear();
    const double destroy_us = elapsed_us(destroy_start) / double(n);

    std::printf("%s, %llu KiB mapped, %llu KiB stored in the snapshot; 256 MiB sandboxes, %d rounds\n\n",
                path.c_str(), (unsigned long long)(ready->mapped_bytes() >> 10),
                (unsigned long long)(ready->stored_bytes() >> 10), rounds);
    std::printf("| | median us | p10 | p90 | target us |\n|---|---:|---:|---:|---:|\n");
    for (const Row& r : rows)
        std::printf("| %s | %.1f | %.1f | %.1f | %s |\n", r.what.c_str(), r.median_us, r.p10_us, r.p90_us,
                    r.target.c_str());
    std::printf("\n%zu sandboxes held from one snapshot (%d asked for; vm.max_map_count %ld)%s%s\n\n", held.size() ? held.size() : n,
                many, max_map_count(), refused.empty() ? "" : ": then refused: ", refused.c_str());
    std::printf("| (c) per sandbox | | target |\n|---|---:|---:|\n");
    std::printf("| made from the snapshot | %.1f us | |\n", create_us);
    std::printf("| first call (`add`) | %.1f us | |\n", call_us);
    std::printf("| destroyed | %.1f us | |\n", destroy_us);
    std::printf("| resident, idle (VmRSS) | %.1f KiB | ≤ 32 KiB |\n", double(rss_idle - rss_before) / double(n));
    std::printf("| resident, idle (Pss) | %.1f KiB | |\n", double(pss_idle - pss_before) / double(n));
    std::printf("| resident after a call (VmRSS; it dirtied 1 stack page) | %.1f KiB | ≤ 32 + 4 KiB |\n",
                double(rss_called - rss_before) / double(n));
    std::printf("| resident after a call (Pss) | %.1f KiB | |\n", double(pss_called - pss_before) / double(n));
    std::printf("| host mappings, idle | %.1f | |\n", double(maps_idle - maps_before) / double(n));
    std::printf("| host mappings after a call | %.1f | |\n", double(maps_called - maps_before) / double(n));
    return 0;
}
