/* The guest plug-in of tests/unit/host_functions_test.cpp, built with the SDK
 * (cmake/VxPlugin.cmake): it imports host functions by name and calls them
 * with what its own host passes (good and bad pointers alike), calls gates
 * by address, and makes a system call, which is no host function. */
#include <vx/plugin.h>

VX_HOST_FUNCTION(uint32_t, host_zero, (void));
VX_HOST_FUNCTION(uint32_t, host_one, (uint32_t a));
VX_HOST_FUNCTION(uint32_t, host_two, (uint32_t a, uint32_t b));
VX_HOST_FUNCTION(uint32_t, host_three, (uint32_t a, uint32_t b, uint32_t c));
VX_HOST_FUNCTION(uint32_t, host_four, (uint32_t a, uint32_t b, uint32_t c, uint32_t d));
VX_HOST_FUNCTION(uint32_t, host_five, (uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e));
VX_HOST_FUNCTION(uint32_t, host_six, (uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e, uint32_t f));
VX_HOST_FUNCTION(uint64_t, host_wide, (uint32_t factor, uint64_t value));
VX_HOST_FUNCTION(uint32_t, host_log, (const char* text, uint32_t length));
VX_HOST_FUNCTION(uint32_t, host_strlen, (const char* text));
VX_HOST_FUNCTION(uint32_t, host_fill, (void* buffer, uint32_t length));
VX_HOST_FUNCTION(uint32_t, host_nest, (uint32_t depth));
VX_HOST_FUNCTION(uint32_t, host_throw, (void));
VX_HOST_FUNCTION(uint32_t, host_missing, (uint32_t a));

/* Numbered calls the test's on_event answers (int $0x80, number in eax). */
enum { kHostAsk = 0x4001 };

VX_EXPORT uint32_t call_zero(void) { return host_zero(); }
VX_EXPORT uint32_t call_one(uint32_t a) { return host_one(a); }
/* Not a tail call: the host finds this function's return address at esp. */
VX_EXPORT uint32_t call_one_plus_one(uint32_t a) { return host_one(a) + 1; }
VX_EXPORT uint32_t call_two(uint32_t a, uint32_t b) { return host_two(a, b); }
VX_EXPORT uint32_t call_three(uint32_t a, uint32_t b, uint32_t c) { return host_three(a, b, c); }
VX_EXPORT uint32_t call_four(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return host_four(a, b, c, d); }
VX_EXPORT uint32_t call_five(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    return host_five(a, b, c, d, e);
}
VX_EXPORT uint32_t call_six(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e, uint32_t f) {
    return host_six(a, b, c, d, e, f);
}
/* The plug-in's own work around a host call: what the host function
 * returned goes on through the plug-in's code and registers. */
VX_EXPORT uint32_t call_all_and_mix(uint32_t seed) {
    uint32_t total = seed;
    total = total * 31 + host_zero();
    total = total * 31 + host_one(seed);
    total = total * 31 + host_three(seed, total, 3);
    total = total * 31 + host_six(1, 2, 3, 4, 5, total);
    return total;
}
VX_EXPORT uint64_t call_wide(uint32_t factor, uint32_t low, uint32_t high) {
    return host_wide(factor, (uint64_t)high << 32 | low);
}

VX_EXPORT uint32_t log_text(const char* text, uint32_t length) { return host_log(text, length); }
VX_EXPORT uint32_t greet(void) {
    static const char text[] = "hello, host";
    return host_log(text, sizeof text - 1);
}
VX_EXPORT uint32_t string_length(const char* text) { return host_strlen(text); }
VX_EXPORT uint32_t fill(void* buffer, uint32_t length) { return host_fill(buffer, length); }
/* A buffer on the plug-in's stack, filled by the host: the sum of its bytes. */
VX_EXPORT uint32_t fill_local(void) {
    uint8_t buffer[40];
    for (uint32_t i = 0; i < sizeof buffer; ++i) buffer[i] = 0xee;
    const uint32_t written = host_fill(buffer + 4, 32);
    uint32_t total = written << 16;
    for (uint32_t i = 0; i < sizeof buffer; ++i) total += buffer[i];
    return total;
}
/* A read-only output buffer: the plug-in's own code. */
VX_EXPORT uint32_t fill_code(void) { return host_fill((void*)(uintptr_t)&fill_code, 16); }

/* nest(d): the host's host_nest(d - 1) calls nest(d - 1) while nest(d)
 * waits; nest(3) is 1123. */
VX_EXPORT uint32_t nest(uint32_t depth) {
    if (depth == 0) return 1;
    return host_nest(depth - 1) * 10 + depth;
}

VX_EXPORT uint32_t call_throw(void) { return host_throw() + 1; }
VX_EXPORT uint32_t call_missing(uint32_t a) { return host_missing(a) + 1; }
VX_EXPORT uint32_t lookup(const char* name) { return vx_host_lookup(name); }

/* Calls whatever is at `address` with one argument, as a function pointer
 * would be (a gate, an odd address in the gate page, ...). */
VX_EXPORT uint32_t call_address(uint32_t address, uint32_t argument) {
    return ((uint32_t(*)(uint32_t))(uintptr_t)address)(argument);
}

/* A system call, which is no host function: the call's on_event answers it.
 * Then a host function, which on_event never sees. */
VX_EXPORT uint32_t ask_then_call(uint32_t question) {
    uint32_t answer;
    __asm__ volatile("int $0x80" : "=a"(answer) : "a"(kHostAsk), "b"(question) : "memory");
    return answer + host_one(answer);
}

/* jump_with_stack(address, esp): jumps to `address` with esp set to `esp`,
 * no return address pushed: a guest that lies about its frame. */
__asm__(".text\n"
        ".globl jump_with_stack\n"
        ".type jump_with_stack, @function\n"
        "jump_with_stack:\n"
        "  mov 4(%esp), %eax\n"
        "  mov 8(%esp), %esp\n"
        "  jmp *%eax\n"
        ".size jump_with_stack, .-jump_with_stack\n");
