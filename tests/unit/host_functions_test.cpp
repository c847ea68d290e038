// Host functions a guest plug-in calls by name (CallOptions::host_functions,
// docs/plugins.md), through a plug-in built with the SDK
// (tests/unit/guests/host_calls_plugin.c, cmake/VxPlugin.cmake): arguments
// and results, strings and buffers each way, every bad pointer refused with a
// named event, names the host lacks, gates nothing has, nesting, a host
// function that throws, and system calls still going to on_event.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "engines.h"
#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/host_functions.h"
#include "vx/sandbox.h"

namespace {

using vx::testing::on_engine;

constexpr uint32_t kHostAsk = 0x4001;  // as the plug-in numbers its system call
constexpr uint32_t kStackBase = 0x1f000000, kStackSize = 64u << 10;
constexpr uint32_t kStackTop = kStackBase + kStackSize;
constexpr uint32_t kData = 0x1e000000;          // one page, read-write; the next one unmapped
constexpr uint32_t kReadOnly = 0x1e100000;      // one page, read-only
constexpr uint32_t kUnmapped = 0x1d000000;
constexpr uint32_t kMaxLog = 1024, kMaxString = 64, kMaxFill = 256;

std::vector<uint8_t> plugin_file() {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/host_calls_plugin", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool same(const vx::Registers& a, const vx::Registers& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// What host_one .. host_six answer: every argument, in its place.
uint32_t positional(std::span<const uint32_t> args) {
    uint32_t hash = uint32_t(args.size());
    for (uint32_t arg : args) hash = hash * 1000003u ^ arg;
    return hash;
}

uint8_t fill_byte(uint32_t i) { return uint8_t(0x40 + i); }

class HostFunctionsTest : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    void SetUp() override {
        file_ = plugin_file();
        ASSERT_FALSE(file_.empty()) << "no guest host_calls_plugin";
        sandbox_ = std::make_unique<vx::Sandbox>(on_engine(GetParam()));
        program_entry_ = sandbox_->load_program(file_).entry;
        vx::GuestMemory& memory = sandbox_->memory();
        ASSERT_TRUE(memory.map(kStackBase, kStackSize, vx::kRead | vx::kWrite));
        ASSERT_TRUE(memory.map(kData, vx::kPageSize, vx::kRead | vx::kWrite));
        ASSERT_TRUE(memory.map(kReadOnly, vx::kPageSize, vx::kRead));
        regs() = vx::Registers{.eax = 0xa0a0a0a0, .ecx = 0xc1c1c1c1, .edx = 0xd2d2d2d2, .ebx = 0xb3b3b3b3,
                               .esp = kStackTop - 0x105, .ebp = 0xb5b5b5b5, .esi = 0x56565656,
                               .edi = 0x7d7d7d7d, .eip = 0x12345678, .eflags = 0x203};
        add_functions(functions_);
        options_.host_functions = &functions_;
    }

    void add_functions(vx::HostFunctions& functions) {
        auto answer_positional = [](vx::HostCall& call) -> uint64_t { return positional(call.args()); };
        functions.add("host_zero", 0, [](vx::HostCall&) -> uint64_t { return 7; });
        functions.add("host_one", 1, [this](vx::HostCall& call) -> uint64_t {
            seen_eip_ = call.sandbox().registers().eip;
            seen_esp_ = call.sandbox().registers().esp;
            return positional(call.args());
        });
        functions.add("host_two", 2, [](vx::HostCall& call) -> uint64_t {
            if (call.arg(0) == 0xbad) call.refuse("0xbad is no value for host_two");
            return positional(call.args());
        });
        functions.add("host_three", 3, answer_positional);
        functions.add("host_four", 4, answer_positional);
        functions.add("host_five", 5, answer_positional);
        functions.add("host_six", 6, answer_positional);
        functions.add("host_wide", 3, [](vx::HostCall& call) -> uint64_t { return call.arg(0) * call.arg64(1); });
        functions.add("host_log", 2, [this](vx::HostCall& call) -> uint64_t {
            const std::vector<uint8_t> text = call.read(call.arg(0), call.arg(1), kMaxLog);
            logged_.emplace_back(text.begin(), text.end());
            return text.size();
        });
        functions.add("host_strlen", 1, [](vx::HostCall& call) -> uint64_t {
            try {
                return call.read_string(call.arg(0), kMaxString).size();
            } catch (const std::exception&) {
                return 999;  // a refusal is no std::exception: never here
            }
        });
        functions.add("host_fill", 2, [](vx::HostCall& call) -> uint64_t {
            if (call.arg(1) > kMaxFill) call.refuse(vx::HostCallProblem::TooLong, "host_fill fills 256 bytes at most");
            std::vector<uint8_t> bytes(call.arg(1));
            for (uint32_t i = 0; i < bytes.size(); ++i) bytes[i] = fill_byte(i);
            call.write(call.arg(0), bytes);
            return bytes.size();
        });
        functions.add("host_nest", 1, [this](vx::HostCall& call) -> uint64_t {
            ++depth_;
            deepest_ = std::max(deepest_, depth_);
            const vx::Registers at_gate = regs();
            vx::CallResult inner = call.sandbox().call(entry("nest"), std::vector<uint32_t>{call.arg(0)}, options_);
            --depth_;
            EXPECT_TRUE(same(regs(), at_gate)) << "the inner call put back the registers at the gate";
            if (!inner.returned) call.refuse("the inner call ended: " + vx::describe(inner.event));
            return inner.eax();
        });
        functions.add("host_throw", 0, [](vx::HostCall&) -> uint64_t { throw std::runtime_error("host"); });
    }

    uint32_t entry(const char* name) {
        std::optional<uint32_t> address = vx::elf_symbol(file_, name);
        EXPECT_TRUE(address) << "no function " << name;
        return address.value_or(0);
    }

    vx::CallResult call(const char* name, std::vector<uint32_t> args = {}) {
        return sandbox_->call(entry(name), args, options_);
    }
    uint32_t returned(const char* name, std::vector<uint32_t> args = {}) {
        vx::CallResult result = call(name, args);
        EXPECT_TRUE(result.returned) << name << ": " << vx::describe(result.event);
        return result.eax();
    }
    // A call that ends with a refused host call: its refusal.
    vx::HostCallRefusal refused(const char* name, std::vector<uint32_t> args = {}) {
        const vx::Registers before = regs();
        vx::CallResult result = call(name, args);
        EXPECT_FALSE(result.returned) << name << " returned " << result.value;
        EXPECT_EQ(result.event.kind, vx::EventKind::HostCall) << vx::describe(result.event);
        EXPECT_TRUE(same(regs(), before));
        EXPECT_EQ(returned("call_zero"), 7u) << "the sandbox is called again after a refusal";
        return result.event.host_call;
    }
    uint32_t put_string(uint32_t address, const std::string& text) {
        EXPECT_TRUE(sandbox_->memory().write(address, text.c_str(), text.size() + 1));
        return address;
    }

    vx::Registers& regs() { return sandbox_->registers(); }

    std::vector<uint8_t> file_;
    uint32_t program_entry_ = 0;
    std::unique_ptr<vx::Sandbox> sandbox_;
    vx::HostFunctions functions_;
    vx::CallOptions options_;
    std::vector<std::string> logged_;
    uint32_t seen_eip_ = 0, seen_esp_ = 0;
    int depth_ = 0, deepest_ = 0;
};

TEST_P(HostFunctionsTest, FunctionsOfNoneToSixArgumentsGetEachInItsPlace) {
    const vx::Registers before = regs();
    const char* callers[] = {"call_zero", "call_one", "call_two", "call_three", "call_four", "call_five", "call_six"};
    for (uint32_t count = 0; count <= 6; ++count) {
        std::vector<uint32_t> args;
        for (uint32_t i = 0; i < count; ++i) args.push_back(0x01010101u * (i + 1) + count);
        const uint32_t expected = count == 0 ? 7 : positional(args);
        EXPECT_EQ(returned(callers[count], args), expected) << count << " arguments";
        EXPECT_TRUE(same(regs(), before));
    }
}

TEST_P(HostFunctionsTest, TheGuestGoesOnWithTheResultsThroughItsOwnCode) {
    const uint32_t seed = 0x1234567;
    uint32_t total = seed;
    total = total * 31 + 7;
    total = total * 31 + positional(std::vector<uint32_t>{seed});
    total = total * 31 + positional(std::vector<uint32_t>{seed, total, 3});
    total = total * 31 + positional(std::vector<uint32_t>{1, 2, 3, 4, 5, total});
    EXPECT_EQ(returned("call_all_and_mix", {seed}), total);
}

TEST_P(HostFunctionsTest, SixtyFourBitArgumentsAndResultsAreWhole) {
    vx::CallResult result = call("call_wide", {3, 0x89abcdef, 0x01234567});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.value, 3 * 0x0123456789abcdefull);
    result = call("call_wide", {0x10, 0xffffffff, 0x0fffffff});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.value, 0xfffffffffffffff0ull);
}

TEST_P(HostFunctionsTest, TheHostFunctionRunsAtTheGateWithTheGuestsFrame) {
    const uint32_t gate = functions_.gate("host_one");
    EXPECT_EQ(returned("call_one_plus_one", {0x5eed}), positional(std::vector<uint32_t>{0x5eed}) + 1);
    EXPECT_EQ(seen_eip_, gate);
    uint32_t frame[2] = {};
    ASSERT_TRUE(sandbox_->memory().read(seen_esp_, frame, sizeof frame));
    EXPECT_EQ(frame[1], 0x5eedu) << "the argument above the return address";
    EXPECT_GT(frame[0], entry("call_one_plus_one")) << "returns into call_one_plus_one";
    EXPECT_LT(frame[0], entry("call_one_plus_one") + 64);
    // A gate called by address, as any function pointer.
    EXPECT_EQ(returned("call_address", {gate, 41}), positional(std::vector<uint32_t>{41}));
}

TEST_P(HostFunctionsTest, StringsAndBuffersGoIn) {
    EXPECT_EQ(returned("greet"), 11u);
    ASSERT_EQ(logged_.size(), 1u);
    EXPECT_EQ(logged_[0], "hello, host");
    put_string(kData, "from the host");
    EXPECT_EQ(returned("log_text", {kData + 5, 3}), 3u);
    EXPECT_EQ(logged_.back(), "the");
    EXPECT_EQ(returned("log_text", {kUnmapped, 0}), 0u) << "nothing to read: no address to check";
    EXPECT_EQ(returned("string_length", {put_string(kData, "abc")}), 3u);
    EXPECT_EQ(returned("string_length", {put_string(kData, "")}), 0u);
    EXPECT_EQ(returned("string_length", {put_string(kData, std::string(kMaxString, 'x'))}), kMaxString);
    // The NUL in the page's last byte, the next page unmapped: read to the NUL only.
    EXPECT_EQ(returned("string_length", {put_string(kData + vx::kPageSize - 6, "tail.")}), 5u);
    // A string across pages.
    ASSERT_TRUE(sandbox_->memory().map(kData + vx::kPageSize, vx::kPageSize, vx::kRead | vx::kWrite));
    EXPECT_EQ(returned("string_length", {put_string(kData + vx::kPageSize - 3, "straddles")}), 9u);
}

TEST_P(HostFunctionsTest, BuffersComeOut) {
    std::vector<uint8_t> page(vx::kPageSize, 0xee);
    ASSERT_TRUE(sandbox_->memory().write(kData, page.data(), page.size()));
    EXPECT_EQ(returned("fill", {kData + 3, 32}), 32u);
    ASSERT_TRUE(sandbox_->memory().read(kData, page.data(), page.size()));
    for (uint32_t i = 0; i < 40; ++i)
        EXPECT_EQ(page[i], i >= 3 && i < 35 ? fill_byte(i - 3) : 0xee) << "byte " << i;
    // Into the plug-in's own stack frame.
    uint32_t expected = 32u << 16;
    for (uint32_t i = 0; i < 40; ++i) expected += i >= 4 && i < 36 ? fill_byte(i - 4) : 0xee;
    EXPECT_EQ(returned("fill_local"), expected);
}

TEST_P(HostFunctionsTest, ABadPointerIsRefusedAndNothingIsWritten) {
    auto expect_bad_pointer = [&](const char* name, std::vector<uint32_t> args, const char* function) {
        vx::HostCallRefusal refusal = refused(name, args);
        EXPECT_EQ(refusal.problem, vx::HostCallProblem::BadPointer) << refusal.reason;
        EXPECT_EQ(refusal.function, function);
        EXPECT_EQ(refusal.gate, functions_.gate(function));
        EXPECT_FALSE(refusal.reason.empty());
    };
    expect_bad_pointer("log_text", {kUnmapped, 5}, "host_log");
    expect_bad_pointer("log_text", {0, 1}, "host_log");
    expect_bad_pointer("log_text", {kData + vx::kPageSize - 2, 4}, "host_log");  // into the unmapped page
    expect_bad_pointer("log_text", {0xfffffff0, 0x20}, "host_log");             // wraps past 4 GiB
    expect_bad_pointer("log_text", {sandbox_->memory().size() - 4, 8}, "host_log");  // past guest memory
    EXPECT_TRUE(logged_.empty());
    expect_bad_pointer("string_length", {kUnmapped}, "host_strlen");
    expect_bad_pointer("string_length", {0xffffffff}, "host_strlen");
    // No NUL before the unmapped page.
    std::vector<char> unterminated(8, 'y');
    ASSERT_TRUE(sandbox_->memory().write(kData + vx::kPageSize - 8, unterminated.data(), 8));
    expect_bad_pointer("string_length", {kData + vx::kPageSize - 8}, "host_strlen");
    // Output buffers the guest may not write: read-only data, its own code,
    // unmapped, across into an unmapped page.
    const std::vector<uint8_t> before(vx::kPageSize, 0);
    expect_bad_pointer("fill", {kReadOnly, 16}, "host_fill");
    expect_bad_pointer("fill_code", {}, "host_fill");
    expect_bad_pointer("fill", {kUnmapped, 16}, "host_fill");
    std::vector<uint8_t> page(vx::kPageSize, 0xee);
    ASSERT_TRUE(sandbox_->memory().write(kData, page.data(), page.size()));
    expect_bad_pointer("fill", {kData + vx::kPageSize - 8, 16}, "host_fill");
    ASSERT_TRUE(sandbox_->memory().read(kData, page.data(), page.size()));
    EXPECT_EQ(std::count(page.begin(), page.end(), 0xee), long(vx::kPageSize)) << "a refused write wrote nothing";
    std::vector<uint8_t> read_only(vx::kPageSize, 1);
    ASSERT_TRUE(sandbox_->memory().read(kReadOnly, read_only.data(), read_only.size()));
    EXPECT_EQ(read_only, before);
}

TEST_P(HostFunctionsTest, ALengthOrStringBeyondWhatTheFunctionTakesIsRefused) {
    vx::HostCallRefusal refusal = refused("log_text", {kData, kMaxLog + 1});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::TooLong) << refusal.reason;
    refusal = refused("log_text", {kData, 0xffffffff});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::TooLong) << refusal.reason;
    EXPECT_TRUE(logged_.empty());
    refusal = refused("string_length", {put_string(kData, std::string(kMaxString + 1, 'x'))});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::TooLong) << refusal.reason;
    EXPECT_EQ(refusal.function, "host_strlen");
    refusal = refused("fill", {kData, kMaxFill + 1});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::TooLong);
}

TEST_P(HostFunctionsTest, AFunctionRefusesWithItsReason) {
    vx::HostCallRefusal refusal = refused("call_two", {0xbad, 1});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::Refused);
    EXPECT_EQ(refusal.function, "host_two");
    EXPECT_EQ(refusal.reason, "0xbad is no value for host_two");
    EXPECT_EQ(returned("call_two", {0xbae, 1}), positional(std::vector<uint32_t>{0xbae, 1}));
}

TEST_P(HostFunctionsTest, NamesAreLookedUpAndOnesTheHostLacksEndTheCall) {
    EXPECT_EQ(returned("lookup", {put_string(kData, "host_two")}), functions_.gate("host_two"));
    EXPECT_NE(functions_.gate("host_two"), 0u);
    EXPECT_EQ(returned("lookup", {put_string(kData, "host_tw")}), 0u);
    EXPECT_EQ(returned("lookup", {put_string(kData, "host_two ")}), 0u);
    EXPECT_EQ(returned("lookup", {put_string(kData, "")}), 0u);
    vx::HostCallRefusal refusal = refused("call_missing", {1});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::UnknownFunction);
    EXPECT_EQ(refusal.function, "host_missing");
    EXPECT_EQ(refusal.gate, vx::kHostUnresolvedGate);
    // Bad names: unreadable, too long, running into an unmapped page.
    for (uint32_t name : {kUnmapped, 0u, put_string(kData, std::string(vx::kMaxHostFunctionName + 1, 'n'))}) {
        refusal = refused("lookup", {name});
        EXPECT_EQ(refusal.problem, vx::HostCallProblem::BadName) << std::hex << name;
        EXPECT_EQ(refusal.gate, vx::kHostLookupGate);
    }
    EXPECT_EQ(returned("lookup", {put_string(kData, std::string(vx::kMaxHostFunctionName, 'n'))}), 0u);
    const std::vector<char> unterminated(4, 'z');
    ASSERT_TRUE(sandbox_->memory().write(kData + vx::kPageSize - 4, unterminated.data(), 4));
    refusal = refused("lookup", {kData + vx::kPageSize - 4});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::BadName);
    refusal = refused("call_address", {vx::kHostUnresolvedGate, kUnmapped});
    EXPECT_EQ(refusal.problem, vx::HostCallProblem::BadName);
}

TEST_P(HostFunctionsTest, AGuestChosenNameIsShownWithoutControlBytes) {
    vx::CallResult result = call("call_address", {vx::kHostUnresolvedGate, put_string(kData, "\x1b[31mred\n")});
    ASSERT_EQ(result.event.kind, vx::EventKind::HostCall) << vx::describe(result.event);
    EXPECT_EQ(result.event.host_call.function, "\x1b[31mred\n");
    const std::string shown = vx::describe(result.event);
    EXPECT_EQ(shown.find('\x1b'), std::string::npos) << shown;
    EXPECT_EQ(shown.find('\n'), std::string::npos) << shown;
    EXPECT_NE(shown.find("\\x1b[31mred\\x0a"), std::string::npos) << shown;
    EXPECT_NE(shown.find("unknown function"), std::string::npos) << shown;
}

TEST_P(HostFunctionsTest, AddressesInTheGatePageNoFunctionHasAreRefused) {
    const uint32_t past_last = vx::kFirstHostFunctionGate + uint32_t(functions_.size()) * vx::kHostGateStride;
    const uint32_t host_one = functions_.gate("host_one");
    for (uint32_t address : {past_last, past_last + vx::kHostGateStride, vx::kHostGateBase + 1, vx::kHostGateBase + 2,
                             vx::kHostGateBase + 3, vx::kHostUnresolvedGate + 2, host_one + 1, host_one + 3,
                             vx::kHostGateBase + vx::kPageSize - vx::kHostGateStride,
                             vx::kHostGateBase + vx::kPageSize - 1}) {
        vx::HostCallRefusal refusal = refused("call_address", {address, 5});
        EXPECT_EQ(refusal.problem, vx::HostCallProblem::NoSuchGate) << std::hex << address;
        EXPECT_EQ(refusal.gate, address);
    }
    // Around the gate page: plain faults (the return's page above is the
    // call's return, the page below an ordinary unmapped one).
    vx::CallResult result = call("call_address", {vx::kHostGateBase - 1, 5});
    ASSERT_EQ(result.event.kind, vx::EventKind::Fault) << vx::describe(result.event);
    EXPECT_EQ(result.event.fault.eip, vx::kHostGateBase - 1);
}

TEST_P(HostFunctionsTest, AJumpToAGateWithAnUnreadableFrameIsRefused) {
    for (uint32_t esp : {kUnmapped, 0u, 0xfffffffeu, kData + vx::kPageSize - 4}) {
        // host_one reads the return address and one argument: 8 bytes.
        vx::HostCallRefusal refusal = refused("jump_with_stack", {functions_.gate("host_one"), esp});
        EXPECT_EQ(refusal.problem, vx::HostCallProblem::UnreadableFrame) << std::hex << esp;
        EXPECT_EQ(refusal.function, "host_one");
        refusal = refused("jump_with_stack", {vx::kHostLookupGate, esp});
        EXPECT_EQ(refusal.problem, vx::HostCallProblem::UnreadableFrame) << std::hex << esp;
    }
    // host_zero reads only the return address: it is called, and returns to
    // whatever the guest left there (here: an unmapped address).
    const uint32_t bad_return = kUnmapped;
    ASSERT_TRUE(sandbox_->memory().write(kData + vx::kPageSize - 4, &bad_return, 4));
    vx::CallResult result = call("jump_with_stack", {functions_.gate("host_zero"), kData + vx::kPageSize - 4});
    ASSERT_EQ(result.event.kind, vx::EventKind::Fault) << vx::describe(result.event);
    EXPECT_EQ(result.event.fault.eip, kUnmapped);
}

TEST_P(HostFunctionsTest, WithoutARegistryTheGatesAreFaults) {
    options_.host_functions = nullptr;
    vx::CallResult result = call("call_zero");
    ASSERT_EQ(result.event.kind, vx::EventKind::Fault) << vx::describe(result.event);
    EXPECT_EQ(result.event.fault.eip, vx::kHostLookupGate);
    EXPECT_EQ(result.event.fault.kind, vx::FaultKind::PageFault);
}

TEST_P(HostFunctionsTest, CallsNestGuestHostGuestHost) {
    const vx::Registers before = regs();
    EXPECT_EQ(returned("nest", {3}), 1123u);
    EXPECT_EQ(deepest_, 3);
    EXPECT_TRUE(same(regs(), before));
    // A refusal deep inside ends that call only; the host function above it
    // refuses in turn.
    vx::HostFunctions refusing;
    add_functions(refusing);
    vx::CallOptions outer = options_;
    outer.host_functions = &refusing;
    options_.host_functions = nullptr;  // the inner calls: no registry, so their host_nest is a fault
    vx::CallResult result = sandbox_->call(entry("nest"), std::vector<uint32_t>{2}, outer);
    ASSERT_EQ(result.event.kind, vx::EventKind::HostCall) << vx::describe(result.event);
    EXPECT_EQ(result.event.host_call.problem, vx::HostCallProblem::Refused);
    EXPECT_NE(result.event.host_call.reason.find("page fault"), std::string::npos) << result.event.host_call.reason;
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(HostFunctionsTest, ARefusalOfAnOuterCallFromAnInnerOneEndsTheOuterOne) {
    const vx::Registers before = regs();
    vx::HostFunctions outer_functions, inner_functions;
    const vx::HostCall* outer_call = nullptr;
    outer_functions.add("host_nest", 1, [&](vx::HostCall& call) -> uint64_t {
        outer_call = &call;
        vx::CallOptions inner{.on_event = {}, .host_functions = &inner_functions};
        vx::CallResult result = call.sandbox().call(entry("call_one"), std::vector<uint32_t>{1}, inner);
        ADD_FAILURE() << "the inner call went on: " << vx::describe(result.event);
        return 0;
    });
    inner_functions.add("host_one", 1, [&](vx::HostCall&) -> uint64_t { outer_call->refuse("from inside"); });
    options_.host_functions = &outer_functions;
    vx::CallResult result = call("nest", {1});
    ASSERT_EQ(result.event.kind, vx::EventKind::HostCall) << vx::describe(result.event);
    EXPECT_EQ(result.event.host_call.function, "host_nest");
    EXPECT_EQ(result.event.host_call.reason, "from inside");
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(HostFunctionsTest, AHostFunctionThatThrowsEndsTheCallWithItsException) {
    const vx::Registers before = regs();
    EXPECT_THROW(call("call_throw"), std::runtime_error);
    EXPECT_TRUE(same(regs(), before));
    EXPECT_EQ(returned("call_zero"), 7u);
    // Through every call it is nested in.
    vx::HostFunctions throwing;
    throwing.add("host_nest", 1, [&](vx::HostCall& call) -> uint64_t {
        return call.sandbox().call(entry("call_throw"), {}, options_).eax();
    });
    vx::CallOptions outer = options_;
    outer.host_functions = &throwing;
    EXPECT_THROW(sandbox_->call(entry("nest"), std::vector<uint32_t>{1}, outer), std::runtime_error);
    EXPECT_TRUE(same(regs(), before));
    // The host's own mistake, an argument it was not given: vx::Error.
    vx::HostFunctions mistaken;
    mistaken.add("host_one", 1, [](vx::HostCall& call) -> uint64_t { return call.arg(1); });
    options_.host_functions = &mistaken;
    EXPECT_THROW(call("call_one", {1}), vx::Error);
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(HostFunctionsTest, SystemCallsStillGoToOnEventAndHostCallsDoNot) {
    std::vector<vx::EventKind> seen;
    options_.on_event = [&](const vx::Event& event) {
        seen.push_back(event.kind);
        if (event.kind != vx::EventKind::Syscall || regs().eax != kHostAsk) return false;
        regs().eax = regs().ebx + 100;
        return true;
    };
    EXPECT_EQ(returned("ask_then_call", {5}), 105 + positional(std::vector<uint32_t>{105}));
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], vx::EventKind::Syscall);
    // A refused host call ends the call whatever on_event would say.
    seen.clear();
    options_.on_event = [&](const vx::Event& event) {
        seen.push_back(event.kind);
        return true;
    };
    vx::CallResult result = call("call_missing", {1});
    EXPECT_EQ(result.event.kind, vx::EventKind::HostCall);
    EXPECT_TRUE(seen.empty());
}

TEST_P(HostFunctionsTest, AMappedGatePageIsRefusedBeforeAnythingRuns) {
    const vx::Registers before = regs();
    ASSERT_TRUE(sandbox_->memory().map(vx::kHostGateBase, vx::kPageSize, vx::kRead | vx::kExec));
    EXPECT_THROW(call("call_zero"), vx::Error);
    EXPECT_TRUE(same(regs(), before));
    // No registry, no gates: the page is the guest's business.
    options_.host_functions = nullptr;
    vx::CallResult result = call("nest", {0});
    EXPECT_TRUE(result.returned) << vx::describe(result.event);
    ASSERT_TRUE(sandbox_->memory().unmap(vx::kHostGateBase, vx::kPageSize));
    // Mapped by a host function during the call: refused before the guest runs on.
    vx::HostFunctions mapping;
    mapping.add("host_zero", 0, [&](vx::HostCall&) -> uint64_t {
        EXPECT_TRUE(sandbox_->memory().map(vx::kHostGateBase, vx::kPageSize, vx::kRead));
        return 0;
    });
    options_.host_functions = &mapping;
    EXPECT_THROW(call("call_zero"), vx::Error);
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(HostFunctionsTest, ThePluginBindsANameOnceAndKeepsItsGate) {
    EXPECT_EQ(returned("call_zero"), 7u);
    // Another registry with host_zero at another gate, and another function
    // at the gate the plug-in bound: the plug-in calls the gate it keeps.
    vx::HostFunctions reordered;
    reordered.add("host_other", 0, [](vx::HostCall&) -> uint64_t { return 99; });
    reordered.add("host_zero", 0, [](vx::HostCall&) -> uint64_t { return 8; });
    ASSERT_EQ(reordered.gate("host_other"), functions_.gate("host_zero"));
    options_.host_functions = &reordered;
    EXPECT_EQ(returned("call_zero"), 99u);
}

TEST_P(HostFunctionsTest, APluginRunAsAProgramSaysSoAndExits) {
    regs().eip = program_entry_;
    regs().esp = kStackTop;
    vx::Event event = sandbox_->run();
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().eax, 4u) << "write";
    EXPECT_EQ(regs().ebx, 2u) << "to stderr";
    std::string message(regs().edx, '\0');
    ASSERT_LT(regs().edx, 200u);
    ASSERT_TRUE(sandbox_->memory().read(regs().ecx, message.data(), message.size()));
    EXPECT_EQ(message, "a vx plug-in: its host calls its functions; it does not run as a program\n");
    regs().eax = regs().edx;
    event = sandbox_->run();
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().eax, 1u) << "exit";
    EXPECT_EQ(regs().ebx, 1u) << "status 1";
}

TEST(HostFunctionsRegistry, RefusesBadFunctions) {
    vx::HostFunctions functions;
    auto nothing = [](vx::HostCall&) -> uint64_t { return 0; };
    const uint32_t first = functions.add("f", vx::kMaxHostFunctionArgs, nothing);
    EXPECT_EQ(first, vx::kFirstHostFunctionGate);
    EXPECT_EQ(functions.gate("f"), first);
    ASSERT_NE(functions.at_gate(first), nullptr);
    EXPECT_EQ(functions.at_gate(first)->name, "f");
    EXPECT_EQ(functions.at_gate(first + 1), nullptr);
    EXPECT_EQ(functions.at_gate(vx::kHostLookupGate), nullptr);
    EXPECT_EQ(functions.at_gate(first + vx::kHostGateStride), nullptr);
    EXPECT_THROW(functions.add("f", 0, nothing), vx::Error);
    EXPECT_THROW(functions.add("", 0, nothing), vx::Error);
    EXPECT_THROW(functions.add(std::string_view("a\0b", 3), 0, nothing), vx::Error);
    EXPECT_THROW(functions.add(std::string(vx::kMaxHostFunctionName + 1, 'x'), 0, nothing), vx::Error);
    EXPECT_THROW(functions.add("g", vx::kMaxHostFunctionArgs + 1, nothing), vx::Error);
    EXPECT_THROW(functions.add("g", 0, {}), vx::Error);
    EXPECT_EQ(functions.size(), 1u);
    functions.add(std::string(vx::kMaxHostFunctionName, 'x'), 0, nothing);
    while (functions.size() < vx::kMaxHostFunctions) functions.add("f" + std::to_string(functions.size()), 0, nothing);
    EXPECT_THROW(functions.add("one_too_many", 0, nothing), vx::Error);
    const uint32_t last = functions.gate("f" + std::to_string(vx::kMaxHostFunctions - 1));
    EXPECT_EQ(last, vx::kHostGateBase + vx::kPageSize - vx::kHostGateStride) << "the gates fill one page";
    EXPECT_EQ(functions.at_gate(last)->name, "f" + std::to_string(vx::kMaxHostFunctions - 1));
}

VX_FOR_EACH_ENGINE(HostFunctionsTest);

}  // namespace
