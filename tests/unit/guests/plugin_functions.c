/* The guest "plug-in" of tests/unit/call_test.cpp: functions the host calls
 * by name (Sandbox::call), each showing one part of a call: arguments and
 * results, memory the host wrote, a fault, a loop that never ends, a system
 * call the host answers, calls back into the guest from the host, the stack's
 * alignment, and registers a call does not get to keep. */
#include "vxguest.h"

/* The host calls the test's on_event answers (int $0x80, number in eax). */
enum { kHostAsk = 0x4001, kHostNest = 0x4002 };

static inline u32 host_call(u32 number, u32 argument) {
    u32 result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(argument) : "memory");
    return result;
}

#define PLUGIN __attribute__((used, noinline))

/* An object, which the host's look-up of functions does not find. */
__attribute__((used)) u32 plugin_data = 7;

PLUGIN int add(int a, int b) { return a + b; }

PLUGIN u64 multiply_wide(u32 a, u32 b) { return (u64)a * b; }

PLUGIN u32 sum(const u32* words, u32 count) {
    u32 total = 0;
    for (u32 i = 0; i < count; ++i) total += words[i];
    return total;
}

/* fill(words, count, value): writes `value` into count words (the pages a
 * call dirties, for bench/plugin_bench.cpp); returns count. */
PLUGIN u32 fill(u32* words, u32 count, u32 value) {
    for (u32 i = 0; i < count; ++i) words[i] = value;
    return count;
}

PLUGIN void write_null(void) { *(volatile u32*)0 = 1; }

PLUGIN void spin(void) {
    for (;;) __asm__ volatile("");
}

PLUGIN u32 ask_host(u32 question) { return host_call(kHostAsk, question) + 1; }

/* Asks the host, then never returns. */
PLUGIN void ask_then_spin(void) {
    host_call(kHostAsk, 0);
    for (;;) __asm__ volatile("");
}

/* nest(d): the host calls nest(d - 1) while nest(d) waits; nest(3) is 1123. */
PLUGIN u32 nest(u32 depth) {
    if (depth == 0) return 1;
    return host_call(kHostNest, depth - 1) * 10 + depth;
}

/* A 16-byte aligned local, which gcc stores with movaps/movdqa (faults when
 * the stack is not aligned as gcc assumes). */
typedef u32 v4u __attribute__((vector_size(16)));
PLUGIN u32 aligned_vector_sum(u32 a) {
    volatile v4u local = {a, a + 1, a + 2, a + 3};
    v4u copy = local;
    return copy[0] + copy[1] + copy[2] + copy[3];
}

int main(int argc, char** argv) {
    (void)argc, (void)argv;
    return 0;
}

/* entry_misalignment(): (esp + 4) % 16 at entry: 0 as the i386 ABI says.
 * clobber(): leaves every register it can changed (callee-saved ones
 * included, DF set, xmm3 all ones, another x87 control word) and returns
 * 0xffffffff: the call puts the guest's back. */
__asm__(
    ".text\n"
    ".globl entry_misalignment\n"
    ".type entry_misalignment, @function\n"
    "entry_misalignment:\n"
    "  lea 4(%esp), %eax\n"
    "  and $15, %eax\n"
    "  ret\n"
    ".size entry_misalignment, .-entry_misalignment\n"
    ".globl clobber\n"
    ".type clobber, @function\n"
    "clobber:\n"
    "  sub $4, %esp\n"
    "  movl $0x0c7f, (%esp)\n"
    "  fldcw (%esp)\n"
    "  add $4, %esp\n"
    "  pcmpeqd %xmm3, %xmm3\n"
    "  mov $0xdead0001, %ebx\n"
    "  mov $0xdead0002, %ecx\n"
    "  mov $0xdead0003, %edx\n"
    "  mov $0xdead0004, %esi\n"
    "  mov $0xdead0005, %edi\n"
    "  mov $0xdead0006, %ebp\n"
    "  mov $0xffffffff, %eax\n"
    "  std\n"
    "  ret\n"
    ".size clobber, .-clobber\n");
