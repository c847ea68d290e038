// Snapshot restores against new sandboxes: the time to get a small guest
// (guest/examples/hello.c, or the program named on the command line) from
// nothing to its first event (its first system call), each way, as medians
// over many rounds. Nothing is asserted; it prints a table.
//
//   build/bench/vx_snapshot_bench [guest] [rounds]
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

#include "os/linux_i386/initial_stack.h"
#include "spread.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Row {
    const char* what;
    double median_us, p10_us, p90_us;
};

Row measure(const char* what, int rounds, const std::function<void()>& once) {
    std::vector<double> us;
    for (int i = 0; i < rounds + 3; ++i) {
        const auto start = Clock::now();
        once();
        const double elapsed = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
        if (i >= 3) us.push_back(elapsed);  // the first few warm the caches
    }
    const Spread spread = spread_of(std::move(us));
    return {what, spread.median, spread.p10, spread.p90};
}

// A Linux program with its initial stack, as execve loads it.
void load_linux_program(vx::Sandbox& sandbox, const std::vector<uint8_t>& file) {
    vx::os::linux_i386::load_program(sandbox, file, {"guest"}, {}, 8u << 20);
}

void expect_first_event(vx::Sandbox& sandbox) {
    const vx::Event event = sandbox.run();
    if (event.kind != vx::EventKind::Syscall) {
        std::fprintf(stderr, "the guest stopped with %s, not a system call\n", vx::describe(event).c_str());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : std::string(VX_GUEST_DIR) + "/hello";
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 500;
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (file.empty() || rounds < 10) {
        std::fprintf(stderr, "usage: %s [static i386 guest] [rounds >= 10]\n", argv[0]);
        return 2;
    }
    const vx::SandboxOptions options{.memory_size = 256u << 20};

    // At its entry point, as load_program leaves it.
    vx::Sandbox prepared(options);
    load_linux_program(prepared, file);
    const auto at_entry = prepared.snapshot();
    vx::Sandbox reused(*at_entry);

    std::vector<Row> rows;
    rows.push_back(measure("new Sandbox + load_program + run", rounds, [&] {
        vx::Sandbox sandbox(options);
        load_linux_program(sandbox, file);
        expect_first_event(sandbox);
    }));
    rows.push_back(measure("load_program + run (same sandbox)", rounds, [&] {
        load_linux_program(prepared, file);
        expect_first_event(prepared);
    }));
    rows.push_back(measure("new Sandbox(snapshot) + run", rounds, [&] {
        vx::Sandbox sandbox(*at_entry);
        expect_first_event(sandbox);
    }));
    rows.push_back(measure("restore + run (same sandbox)", rounds, [&] {
        reused.restore(*at_entry);
        expect_first_event(reused);
    }));
    rows.push_back(measure("restore alone", rounds, [&] { reused.restore(*at_entry); }));
    rows.push_back(measure("snapshot alone", rounds, [&] { (void)prepared.snapshot(); }));

    std::printf("%s: %llu KiB mapped, %llu KiB stored in the snapshot; %d rounds, 256 MiB sandboxes\n\n",
                path.c_str(), (unsigned long long)(at_entry->mapped_bytes() >> 10),
                (unsigned long long)(at_entry->stored_bytes() >> 10), rounds);
    std::printf("| to the first event | median us | p10 | p90 |\n|---|---:|---:|---:|\n");
    for (const Row& r : rows) std::printf("| %s | %.1f | %.1f | %.1f |\n", r.what, r.median_us, r.p10_us, r.p90_us);
    return 0;
}
