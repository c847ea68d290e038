/* The C API (vx/vx.h), from C and through libvx.so only: the guest
 * "plug-in" of tests/unit/guests/plugin_functions.c called by name (results,
 * buffers, faults, fuel, interrupts, events a handler answers, nested calls,
 * snapshots), and each error status for the bad input that earns it.
 *
 *     capi_test PLUGIN_FUNCTIONS_GUEST */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "vx/vx.h"

static const char* plugin_path;

/* As tests/unit/guests/plugin_functions.c numbers its calls to the host. */
enum { kHostAsk = 0x4001, kHostNest = 0x4002 };
enum { kData = 0x1e000000, kPage = 4096 };

static vx_sandbox* plugin(const vx_sandbox_options* options) {
    vx_sandbox* sandbox = NULL;
    CHECK_OK(vx_sandbox_new(options, &sandbox));
    if (!sandbox) {
        fprintf(stderr, "no sandbox: %s\n", vx_last_error());
        exit(1);
    }
    CHECK_OK(vx_load_plugin_file(sandbox, plugin_path));
    return sandbox;
}

static uint32_t entry(const vx_sandbox* sandbox, const char* name) {
    uint32_t address = 0;
    CHECK_OK(vx_symbol(sandbox, name, &address));
    return address;
}

/* Calls `name` with up to 2 arguments; the call's status is checked. */
static vx_call_result call(vx_sandbox* sandbox, const char* name, size_t nargs, uint32_t a0, uint32_t a1) {
    const uint32_t args[2] = {a0, a1};
    vx_call_result result;
    CHECK_OK(vx_call(sandbox, entry(sandbox, name), args, nargs, &result));
    return result;
}

static int same_registers(const vx_registers* a, const vx_registers* b) { return memcmp(a, b, sizeof *a) == 0; }

static void test_results(void) {
    vx_sandbox* sandbox = plugin(NULL);
    vx_registers before, after;
    CHECK_OK(vx_get_registers(sandbox, &before));
    vx_call_result result = call(sandbox, "add", 2, 40, 2);
    CHECK(result.returned && (uint32_t)result.value == 42);
    CHECK(result.event.kind == VX_EVENT_NONE);
    result = call(sandbox, "add", 2, (uint32_t)-5, 3);
    CHECK(result.returned && (int32_t)(uint32_t)result.value == -2);
    result = call(sandbox, "multiply_wide", 2, 0xffffffffu, 0x10);
    CHECK(result.returned && result.value == 0xffffffff0ull /* edx:eax */);
    CHECK_OK(vx_get_registers(sandbox, &after));
    CHECK(same_registers(&before, &after));
    CHECK(before.esp != 0);

    /* A buffer the host writes and the guest reads. */
    uint32_t words[100], expected = 0;
    for (uint32_t i = 0; i < 100; ++i) expected += words[i] = i * 7919 + 1;
    CHECK_OK(vx_map(sandbox, kData, kPage, VX_READ | VX_WRITE));
    CHECK_OK(vx_write(sandbox, kData, words, sizeof words));
    result = call(sandbox, "sum", 2, kData, 100);
    CHECK(result.returned && (uint32_t)result.value == expected);
    uint32_t back[100];
    CHECK_OK(vx_read(sandbox, kData, back, sizeof back));
    CHECK(memcmp(back, words, sizeof words) == 0);
    vx_sandbox_free(sandbox);
}

static void test_a_fault_ends_a_call(void) {
    vx_sandbox* sandbox = plugin(NULL);
    vx_registers before, after;
    CHECK_OK(vx_get_registers(sandbox, &before));
    vx_call_result result = call(sandbox, "write_null", 0, 0, 0);
    CHECK(!result.returned);
    CHECK(result.event.kind == VX_EVENT_FAULT);
    CHECK(result.event.fault_kind == VX_FAULT_PAGE);
    CHECK(result.event.has_fault_address && result.event.fault_address == 0);
    CHECK(result.event.fault_eip == entry(sandbox, "write_null"));
    CHECK(strstr(result.event.description, "page fault") != NULL);
    CHECK_OK(vx_get_registers(sandbox, &after));
    CHECK(same_registers(&before, &after));
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(result.returned && (uint32_t)result.value == 5);
    vx_sandbox_free(sandbox);
}

static void test_fuel(void) {
    vx_sandbox_options options = {0};
    options.fuel = 100000;
    vx_sandbox* sandbox = plugin(&options);
    uint64_t fuel = 0;
    CHECK_OK(vx_fuel(sandbox, &fuel));
    CHECK(fuel == 100000);
    vx_call_result result = call(sandbox, "spin", 0, 0, 0);
    CHECK(!result.returned);
    CHECK(result.event.kind == VX_EVENT_LIMIT_EXCEEDED);
    CHECK(result.event.limit == VX_LIMIT_INSTRUCTIONS);
    CHECK(result.event.limit_maximum == 100000 && result.event.limit_used >= 100000);
    CHECK(strstr(result.event.description, "instruction limit exceeded") != NULL);
    CHECK_OK(vx_fuel(sandbox, &fuel));
    CHECK(fuel == 0);
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(!result.returned && result.event.kind == VX_EVENT_LIMIT_EXCEEDED);
    CHECK_OK(vx_add_fuel(sandbox, 1000));
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(result.returned && (uint32_t)result.value == 5);
    CHECK_OK(vx_fuel(sandbox, &fuel));
    CHECK(fuel > 0 && fuel < 1000);
    uint64_t taken = 0;
    CHECK_OK(vx_take_fuel(sandbox, &taken));
    CHECK(taken == fuel);
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(!result.returned && result.event.kind == VX_EVENT_LIMIT_EXCEEDED);
    CHECK_STATUS(vx_add_fuel(sandbox, UINT64_MAX), VX_OK);
    CHECK_STATUS(vx_add_fuel(sandbox, 1), VX_ERR_INVALID_ARGUMENT);
    vx_sandbox_free(sandbox);

    /* A sandbox made without fuel counts none. */
    sandbox = plugin(NULL);
    CHECK_STATUS(vx_fuel(sandbox, &fuel), VX_ERR_NOT_COUNTED);
    CHECK_STATUS(vx_add_fuel(sandbox, 10), VX_ERR_NOT_COUNTED);
    CHECK_STATUS(vx_take_fuel(sandbox, NULL), VX_ERR_NOT_COUNTED);
    vx_sandbox_free(sandbox);
}

/* Limits of one call: the call ends, the sandbox runs the next one. */
static void test_call_limits(void) {
    vx_sandbox_options sandbox_options = {0};
    sandbox_options.fuel = 1000000;
    vx_sandbox* sandbox = plugin(&sandbox_options);
    const uint32_t spin = entry(sandbox, "spin");
    vx_call_options options = {0};
    options.max_instructions = 1000;
    vx_call_result result;
    CHECK_OK(vx_call_with(sandbox, spin, NULL, 0, &options, &result));
    CHECK(!result.returned && result.event.kind == VX_EVENT_LIMIT_EXCEEDED);
    CHECK(result.event.limit == VX_LIMIT_INSTRUCTIONS && result.event.limit_per_call);
    CHECK(result.event.limit_used == 1000 && result.event.limit_maximum == 1000);
    CHECK(strstr(result.event.description, "of the call") != NULL);
    uint64_t fuel = 0;
    CHECK_OK(vx_fuel(sandbox, &fuel));
    CHECK(fuel == 1000000 - 1000);
    vx_sandbox_free(sandbox);

    sandbox = plugin(NULL);
    memset(&options, 0, sizeof options);
    options.max_cpu_time_ns = 20 * 1000 * 1000;
    CHECK_OK(vx_call_with(sandbox, spin, NULL, 0, &options, &result));
    CHECK(!result.returned && result.event.limit == VX_LIMIT_CPU_TIME && result.event.limit_per_call);
    memset(&options, 0, sizeof options);
    options.max_wall_time_ns = 20 * 1000 * 1000;
    CHECK_OK(vx_call_with(sandbox, spin, NULL, 0, &options, &result));
    CHECK(!result.returned && result.event.limit == VX_LIMIT_WALL_TIME && result.event.limit_per_call);
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(result.returned && (uint32_t)result.value == 5);

    /* Instructions per call need a sandbox that counts them. */
    memset(&options, 0, sizeof options);
    options.max_instructions = 10;
    CHECK_STATUS(vx_call_with(sandbox, entry(sandbox, "add"), NULL, 0, &options, &result), VX_ERR_REFUSED);
    CHECK(strstr(vx_last_error(), "counts fuel") != NULL);
    vx_sandbox_free(sandbox);
}

static void* interrupt_soon(void* sandbox) {
    const struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK_OK(vx_interrupt((vx_sandbox*)sandbox));
    return NULL;
}

static void test_interrupts(void) {
    vx_sandbox* sandbox = plugin(NULL);
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, interrupt_soon, sandbox) == 0);
    vx_call_result result = call(sandbox, "spin", 0, 0, 0);
    pthread_join(thread, NULL);
    CHECK(!result.returned && result.event.kind == VX_EVENT_INTERRUPTED);
    CHECK(strcmp(result.event.description, "interrupted") == 0);
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(result.returned && (uint32_t)result.value == 5);
    /* One asked for between calls ends the next call at once. */
    CHECK_OK(vx_interrupt(sandbox));
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(!result.returned && result.event.kind == VX_EVENT_INTERRUPTED);
    result = call(sandbox, "add", 2, 2, 3);
    CHECK(result.returned && (uint32_t)result.value == 5);
    vx_sandbox_free(sandbox);
}

struct asked {
    int events;
    int restore_refused;
};

static int answer_ask(vx_sandbox* sandbox, const vx_event* event, void* user) {
    struct asked* asked = user;
    ++asked->events;
    vx_registers registers;
    if (event->kind != VX_EVENT_SYSCALL || vx_get_registers(sandbox, &registers) != VX_OK) return 0;
    if (registers.eax != kHostAsk) return 0;
    vx_snapshot* snapshot = NULL;
    if (vx_snapshot_take(sandbox, &snapshot) == VX_OK) {
        asked->restore_refused = vx_restore(sandbox, snapshot) == VX_ERR_REFUSED;
        vx_snapshot_free(snapshot);
    }
    registers.eax = registers.ebx * 2;
    return vx_set_registers(sandbox, &registers) == VX_OK;
}

static int decline(vx_sandbox* sandbox, const vx_event* event, void* user) {
    (void)sandbox, (void)event;
    ++*(int*)user;
    return 0;
}

static int nest_again(vx_sandbox* sandbox, const vx_event* event, void* user) {
    vx_registers registers;
    if (event->kind != VX_EVENT_SYSCALL || vx_get_registers(sandbox, &registers) != VX_OK ||
        registers.eax != kHostNest)
        return 0;
    ++*(int*)user;
    vx_call_options options = {.on_event = nest_again, .user = user};
    vx_call_result inner;
    if (vx_call_with(sandbox, entry(sandbox, "nest"), &registers.ebx, 1, &options, &inner) != VX_OK ||
        !inner.returned)
        return 0;
    registers.eax = (uint32_t)inner.value;
    return vx_set_registers(sandbox, &registers) == VX_OK;
}

static void test_handlers(void) {
    vx_sandbox* sandbox = plugin(NULL);
    vx_registers before, after;
    CHECK_OK(vx_get_registers(sandbox, &before));
    struct asked asked = {0, 0};
    vx_call_options options = {.on_event = answer_ask, .user = &asked};
    const uint32_t question = 21;
    vx_call_result result;
    CHECK_OK(vx_call_with(sandbox, entry(sandbox, "ask_host"), &question, 1, &options, &result));
    CHECK(result.returned && (uint32_t)result.value == 43);
    CHECK(asked.events == 1);
    CHECK(asked.restore_refused);

    /* Without a handler, or when it declines, the event ends the call. */
    result = call(sandbox, "ask_host", 1, 21, 0);
    CHECK(!result.returned && result.event.kind == VX_EVENT_SYSCALL);
    int declined = 0;
    vx_call_options declining = {.on_event = decline, .user = &declined};
    CHECK_OK(vx_call_with(sandbox, entry(sandbox, "ask_host"), &question, 1, &declining, &result));
    CHECK(!result.returned && result.event.kind == VX_EVENT_SYSCALL && declined == 1);
    CHECK_OK(vx_call_with(sandbox, entry(sandbox, "add"), (const uint32_t[]){1, 2}, 2, NULL, &result));
    CHECK(result.returned && (uint32_t)result.value == 3);

    /* Calls nest through the handler: nest(3) is 1123. */
    int nested = 0;
    vx_call_options nesting = {.on_event = nest_again, .user = &nested};
    const uint32_t depth = 3;
    CHECK_OK(vx_call_with(sandbox, entry(sandbox, "nest"), &depth, 1, &nesting, &result));
    CHECK(result.returned && (uint32_t)result.value == 1123);
    CHECK(nested == 3);
    CHECK_OK(vx_get_registers(sandbox, &after));
    CHECK(same_registers(&before, &after));
    vx_sandbox_free(sandbox);
}

static void test_snapshots(void) {
    vx_sandbox* sandbox = plugin(NULL);
    const uint32_t first[2] = {5, 6}, second[2] = {100, 200};
    CHECK_OK(vx_map(sandbox, kData, kPage, VX_READ | VX_WRITE));
    CHECK_OK(vx_write(sandbox, kData, first, sizeof first));
    vx_snapshot* snapshot = NULL;
    CHECK_OK(vx_snapshot_take(sandbox, &snapshot));
    CHECK_OK(vx_write(sandbox, kData, second, sizeof second));
    vx_call_result result = call(sandbox, "sum", 2, kData, 2);
    CHECK(result.returned && (uint32_t)result.value == 300);
    CHECK_OK(vx_restore(sandbox, snapshot));
    result = call(sandbox, "sum", 2, kData, 2);
    CHECK(result.returned && (uint32_t)result.value == 11);

    /* A sandbox made from it finds the program's functions, and its writes
     * are its own; it outlives the snapshot. */
    vx_sandbox* copy = NULL;
    CHECK_OK(vx_sandbox_from_snapshot(snapshot, NULL, &copy));
    vx_snapshot_free(snapshot);
    if (copy) {
        CHECK_OK(vx_write(copy, kData, second, sizeof second));
        result = call(copy, "sum", 2, kData, 2);
        CHECK(result.returned && (uint32_t)result.value == 300);
        result = call(sandbox, "sum", 2, kData, 2);
        CHECK(result.returned && (uint32_t)result.value == 11);
        vx_sandbox_free(copy);
    }

    /* Kept sandboxes: one freed is kept, and the next made from the
     * snapshot is made of it, with the snapshot's data and not its writes. */
    CHECK_OK(vx_snapshot_take(sandbox, &snapshot));
    CHECK_OK(vx_snapshot_keep_sandboxes(snapshot, 1));
    size_t kept_now = 9;
    vx_sandbox* kept = NULL;
    CHECK_OK(vx_sandbox_from_snapshot(snapshot, NULL, &kept));
    CHECK_OK(vx_write(kept, kData, second, sizeof second));
    vx_sandbox_free(kept);
    CHECK_OK(vx_snapshot_sandboxes_kept(snapshot, &kept_now));
    CHECK(kept_now == 1);
    CHECK_OK(vx_sandbox_from_snapshot(snapshot, NULL, &kept));
    CHECK_OK(vx_snapshot_sandboxes_kept(snapshot, &kept_now));
    CHECK(kept_now == 0);
    result = call(kept, "sum", 2, kData, 2);
    CHECK(result.returned && (uint32_t)result.value == 11);
    vx_sandbox_free(kept);
    CHECK_OK(vx_snapshot_keep_sandboxes(snapshot, 0));
    CHECK_OK(vx_snapshot_sandboxes_kept(snapshot, &kept_now));
    CHECK(kept_now == 0);
    vx_snapshot_free(snapshot);

    /* Another memory size is refused; so is no fuel when it counts fuel. */
    CHECK_OK(vx_snapshot_take(sandbox, &snapshot));
    vx_sandbox_options small = {0};
    small.memory_size = 64u << 20;
    vx_sandbox* other = NULL;
    CHECK_STATUS(vx_sandbox_from_snapshot(snapshot, &small, &other), VX_ERR_REFUSED);
    CHECK(other == NULL);
    CHECK_OK(vx_sandbox_new(&small, &other));
    CHECK_STATUS(vx_restore(other, snapshot), VX_ERR_REFUSED);
    vx_sandbox_free(other);
    vx_snapshot_free(snapshot);
    vx_sandbox_options fueled = {0};
    fueled.fuel = 1000000;
    vx_sandbox* counting = plugin(&fueled);
    CHECK_OK(vx_snapshot_take(counting, &snapshot));
    CHECK_STATUS(vx_restore(sandbox, snapshot), VX_ERR_REFUSED);
    vx_sandbox_options uncounted = {0};
    CHECK_STATUS(vx_sandbox_from_snapshot(snapshot, &uncounted, &other), VX_ERR_REFUSED);
    CHECK_OK(vx_sandbox_from_snapshot(snapshot, NULL, &other));
    uint64_t fuel = 0;
    CHECK_OK(vx_fuel(other, &fuel));
    CHECK(fuel == 1000000);
    vx_sandbox_free(other);
    vx_snapshot_free(snapshot);
    vx_sandbox_free(counting);
    vx_sandbox_free(sandbox);
}

static void test_null_handles_and_pointers(void) {
    vx_sandbox* sandbox = plugin(NULL);
    vx_snapshot* snapshot = NULL;
    CHECK_OK(vx_snapshot_take(sandbox, &snapshot));
    uint32_t word = 0;
    uint64_t fuel = 0;
    vx_registers registers;
    vx_call_result result;
    result.returned = 7;
    CHECK_STATUS(vx_sandbox_new(NULL, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_load_program(NULL, "x", 1), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_load_program(sandbox, NULL, 1), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_load_program_file(NULL, plugin_path), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_load_program_file(sandbox, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_load_plugin(NULL, "x", 1), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_load_plugin_file(NULL, plugin_path), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_stack(NULL, kPage), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_symbol(NULL, "add", &word), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_symbol(sandbox, NULL, &word), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_symbol(sandbox, "add", NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map(NULL, kData, kPage, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_unmap(NULL, kData, kPage), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_read(NULL, kData, &word, 4), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_read(sandbox, kData, NULL, 4), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_write(NULL, kData, &word, 4), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_write(sandbox, kData, NULL, 4), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_get_registers(NULL, &registers), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_get_registers(sandbox, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_set_registers(NULL, &registers), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_set_registers(sandbox, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_call(NULL, 0x10000, NULL, 0, &result), VX_ERR_INVALID_ARGUMENT);
    CHECK(result.returned == 0);
    CHECK_STATUS(vx_call(sandbox, entry(sandbox, "add"), NULL, 0, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_call(sandbox, entry(sandbox, "add"), NULL, 2, &result), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_call_with(NULL, 0x10000, NULL, 0, NULL, &result), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_interrupt(NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_fuel(NULL, &fuel), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_fuel(sandbox, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_add_fuel(NULL, 1), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_take_fuel(NULL, &fuel), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_snapshot_take(NULL, &snapshot), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_snapshot_take(sandbox, NULL), VX_ERR_INVALID_ARGUMENT);
    vx_sandbox* other = NULL;
    CHECK_STATUS(vx_sandbox_from_snapshot(NULL, NULL, &other), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_sandbox_from_snapshot(snapshot, NULL, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_restore(NULL, snapshot), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_restore(sandbox, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vx_last_error(), "vx_restore") != NULL);
    size_t kept = 0;
    CHECK_STATUS(vx_snapshot_keep_sandboxes(NULL, 1), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_snapshot_sandboxes_kept(NULL, &kept), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_snapshot_sandboxes_kept(snapshot, NULL), VX_ERR_INVALID_ARGUMENT);
    vx_sandbox_free(NULL);
    vx_snapshot_free(NULL);
    /* Copies of nothing copy nothing, whatever the pointer. */
    CHECK_OK(vx_read(sandbox, 0, NULL, 0));
    CHECK_OK(vx_write(sandbox, 0, NULL, 0));
    vx_snapshot_free(snapshot);
    vx_sandbox_free(sandbox);
}

static void test_bad_options(void) {
    vx_sandbox* sandbox = NULL;
    vx_sandbox_options options = {0};
    const uint64_t sizes[] = {1000, 4096, 60 << 10, (64 << 10) + 1, 3ull << 30 | 4096, 4ull << 30, UINT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; ++i) {
        options.memory_size = sizes[i];
        CHECK_STATUS(vx_sandbox_new(&options, &sandbox), VX_ERR_INVALID_ARGUMENT);
        CHECK(sandbox == NULL);
    }
    CHECK(strstr(vx_last_error(), "memory_size") != NULL);
    options.memory_size = 64 << 10;
    CHECK_OK(vx_sandbox_new(&options, &sandbox));
    /* No room for a plug-in's stack at all; then room for it, but none for
     * the program's image (at 0x08048000) below it. */
    CHECK_STATUS(vx_load_plugin_file(sandbox, plugin_path), VX_ERR_REFUSED);
    vx_sandbox_free(sandbox);
    options.memory_size = 0x08100000;
    CHECK_OK(vx_sandbox_new(&options, &sandbox));
    CHECK_STATUS(vx_load_plugin_file(sandbox, plugin_path), VX_ERR_BAD_PROGRAM);
    CHECK_OK(vx_load_program_file(sandbox, plugin_path));
    vx_sandbox_free(sandbox);
}

static char* write_temporary(const char* contents, size_t size) {
    static char path[] = "/tmp/vx_capi_test_XXXXXX";
    strcpy(path, "/tmp/vx_capi_test_XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, contents, size) == (ssize_t)size);
        close(fd);
    }
    return path;
}

static void test_bad_programs_and_symbols(void) {
    vx_sandbox* sandbox = NULL;
    CHECK_OK(vx_sandbox_new(NULL, &sandbox));
    uint32_t address = 0;
    CHECK_STATUS(vx_symbol(sandbox, "add", &address), VX_ERR_NO_PROGRAM);
    vx_call_result result;
    CHECK_STATUS(vx_load_program_file(sandbox, "/nonexistent/plugin"), VX_ERR_NO_FILE);
    CHECK(strstr(vx_last_error(), "/nonexistent/plugin") != NULL);
    CHECK_STATUS(vx_load_plugin_file(sandbox, "/nonexistent"), VX_ERR_NO_FILE);
    CHECK_STATUS(vx_load_program_file(sandbox, "/tmp"), VX_ERR_IO);
    CHECK_STATUS(vx_load_program_file(sandbox, "/dev/zero"), VX_ERR_IO);
    /* A FIFO with no writer: refused, not waited on. */
    char fifo[64] = "/tmp/vx_capi_test_XXXXXX";
    CHECK(mkdtemp(fifo) != NULL);
    strcat(fifo, "/fifo");
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK_STATUS(vx_load_program_file(sandbox, fifo), VX_ERR_IO);
    unlink(fifo);
    *strrchr(fifo, '/') = '\0';
    rmdir(fifo);
    CHECK_STATUS(vx_load_program(sandbox, "hello", 5), VX_ERR_BAD_PROGRAM);
    CHECK_STATUS(vx_load_program(sandbox, "", 0), VX_ERR_BAD_PROGRAM);
    char* text = write_temporary("#!/bin/sh\necho not an ELF\n", 26);
    CHECK_STATUS(vx_load_plugin_file(sandbox, text), VX_ERR_BAD_PROGRAM);
    unlink(text);
    /* This test itself: an x86-64 ELF, not an i386 one. */
    CHECK_STATUS(vx_load_program_file(sandbox, "/proc/self/exe"), VX_ERR_BAD_PROGRAM);
    CHECK_STATUS(vx_symbol(sandbox, "add", &address), VX_ERR_NO_PROGRAM);

    /* Loaded without a stack: a call has nowhere to put its frame. */
    CHECK_OK(vx_load_program_file(sandbox, plugin_path));
    CHECK_STATUS(vx_symbol(sandbox, "no_such_function", &address), VX_ERR_NO_SYMBOL);
    CHECK(strstr(vx_last_error(), "no_such_function") != NULL);
    CHECK_STATUS(vx_symbol(sandbox, "plugin_data", &address), VX_ERR_NO_SYMBOL);
    CHECK_STATUS(vx_symbol(sandbox, "", &address), VX_ERR_NO_SYMBOL);
    const uint32_t args[2] = {1, 2};
    CHECK_STATUS(vx_call(sandbox, entry(sandbox, "add"), args, 2, &result), VX_ERR_REFUSED);
    CHECK_STATUS(vx_map_stack(sandbox, 0), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_stack(sandbox, 100), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_stack(sandbox, 0xfffff000u), VX_ERR_INVALID_ARGUMENT);
    CHECK_OK(vx_map_stack(sandbox, 16 * kPage));
    CHECK_STATUS(vx_map_stack(sandbox, 16 * kPage), VX_ERR_REFUSED);
    CHECK_OK(vx_call(sandbox, entry(sandbox, "add"), args, 2, &result));
    CHECK(result.returned && (uint32_t)result.value == 3);

    /* Nothing is mapped below 64 KiB, where the call's return address lies. */
    CHECK_STATUS(vx_map(sandbox, 0xf000, kPage, VX_READ), VX_ERR_INVALID_ARGUMENT);
    vx_sandbox_free(sandbox);
}

static void test_memory_bounds(void) {
    vx_sandbox* sandbox = plugin(NULL);
    const uint32_t top = 512u << 20;
    uint8_t buffer[64] = {0};
    CHECK_OK(vx_map(sandbox, kData, kPage, VX_READ | VX_WRITE));
    CHECK_OK(vx_write(sandbox, kData + kPage - 64, buffer, 64));
    CHECK_STATUS(vx_write(sandbox, kData + kPage - 63, buffer, 64), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_read(sandbox, kData - 1, buffer, 2), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_read(sandbox, 0, buffer, 4), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_read(sandbox, top - 2, buffer, 4), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_read(sandbox, top, buffer, 1), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_read(sandbox, 0xfffffff0u, buffer, 32), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_read(sandbox, kData, buffer, SIZE_MAX), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_write(sandbox, kData, buffer, (size_t)1 << 33), VX_ERR_OUT_OF_RANGE);
    /* The stack's top page is the sandbox's last. */
    CHECK_OK(vx_read(sandbox, top - 64, buffer, 64));
    /* Read-only: the host may read, not write. */
    CHECK_OK(vx_map(sandbox, kData + kPage, kPage, VX_READ));
    CHECK_OK(vx_read(sandbox, kData + kPage, buffer, 64));
    CHECK_STATUS(vx_write(sandbox, kData + kPage, buffer, 64), VX_ERR_OUT_OF_RANGE);
    /* Mappings: aligned, above 64 KiB, inside guest memory, known perms. */
    CHECK_STATUS(vx_map(sandbox, kData + 1, kPage, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map(sandbox, kData, 100, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map(sandbox, kData, 0, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map(sandbox, 0, kPage, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map(sandbox, kData, kPage, 8), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map(sandbox, top, kPage, VX_READ), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_map(sandbox, top - kPage, 2 * kPage, VX_READ), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_map(sandbox, 0xfffff000u, kPage, VX_READ), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_unmap(sandbox, 0xfffff000u, kPage), VX_ERR_OUT_OF_RANGE);
    CHECK_OK(vx_unmap(sandbox, kData, kPage));
    CHECK_STATUS(vx_read(sandbox, kData, buffer, 4), VX_ERR_OUT_OF_RANGE);
    /* What the guest reads after a host write is the write. */
    CHECK_OK(vx_map(sandbox, kData, kPage, VX_READ | VX_WRITE));
    vx_call_result result = call(sandbox, "sum", 2, kData, 16);
    CHECK(result.returned && (uint32_t)result.value == 0);
    vx_sandbox_free(sandbox);
}

static void test_memory_limit_and_host_mappings(void) {
    vx_sandbox_options options = {0};
    options.memory_limit = 4u << 20;
    vx_sandbox* sandbox = plugin(&options);
    CHECK_STATUS(vx_map(sandbox, kData, 8u << 20, VX_READ | VX_WRITE), VX_ERR_LIMIT);
    CHECK(strstr(vx_last_error(), "memory limit") != NULL);
    CHECK_OK(vx_map(sandbox, kData, 64 * kPage, VX_READ | VX_WRITE));
    /* Mapping the same pages again adds nothing. */
    CHECK_OK(vx_map(sandbox, kData, 64 * kPage, VX_READ));
    vx_call_result result = call(sandbox, "add", 2, 1, 2);
    CHECK(result.returned && (uint32_t)result.value == 3);
    vx_sandbox_free(sandbox);

    /* Pages of alternating permissions, each its own host mapping, until the
     * host mappings limit (16384 by default) refuses one. */
    sandbox = plugin(NULL);
    vx_status status = VX_OK;
    uint32_t page = 0;
    for (; page < 20000 && status == VX_OK; ++page)
        status = vx_map(sandbox, kData - (20000 - page) * 2 * kPage, kPage, page % 2 ? VX_READ : VX_READ | VX_WRITE);
    CHECK_STATUS(status, VX_ERR_NO_MEMORY);
    CHECK(page > 1000);
    vx_sandbox_free(sandbox);
}

static void test_version_and_names(void) {
    CHECK(strcmp(vx_version(), VX_EXPECTED_VERSION) == 0);
    CHECK(strcmp(vx_status_name(VX_OK), "VX_OK") == 0);
    CHECK(strcmp(vx_status_name(VX_ERR_NO_SYMBOL), "VX_ERR_NO_SYMBOL") == 0);
    CHECK(strcmp(vx_status_name((vx_status)999), "VX_ERR_UNKNOWN") == 0);
}

/* ---- Host functions: tests/unit/guests/host_calls_plugin.c ------------- */

static const char* host_plugin_path;

static vx_status host_two(vx_host_call* call, void* user, uint64_t* result) {
    (void)user;
    uint32_t a = 0, b = 0;
    CHECK_OK(vx_host_call_arg(call, 0, &a));
    CHECK_OK(vx_host_call_arg(call, 1, &b));
    CHECK_STATUS(vx_host_call_arg(call, 2, &b), VX_ERR_INVALID_ARGUMENT);
    *result = (uint64_t)a * 1000 + b;
    return VX_OK;
}

/* host_log(text, length): keeps the text in `user` (a 64-byte buffer). */
static vx_status host_log(vx_host_call* call, void* user, uint64_t* result) {
    uint32_t text = 0, length = 0;
    CHECK_OK(vx_host_call_arg(call, 0, &text));
    CHECK_OK(vx_host_call_arg(call, 1, &length));
    if (length >= 64) return vx_host_call_refuse(call, "too long for this host");
    char* kept = user;
    const vx_status status = vx_host_call_read(call, text, kept, length);
    if (status != VX_OK) return status;
    kept[length] = '\0';
    *result = length;
    return VX_OK;
}

static vx_status host_strlen(vx_host_call* call, void* user, uint64_t* result) {
    (void)user;
    uint32_t text = 0;
    char buffer[16];
    size_t length = 0;
    CHECK_OK(vx_host_call_arg(call, 0, &text));
    const vx_status status = vx_host_call_read_string(call, text, buffer, sizeof buffer, &length);
    *result = length;
    return status;
}

/* host_fill(buffer, length): bytes 1, 2, 3, ... */
static vx_status host_fill(vx_host_call* call, void* user, uint64_t* result) {
    (void)user;
    uint32_t address = 0, length = 0;
    uint8_t bytes[64];
    CHECK_OK(vx_host_call_arg(call, 0, &address));
    CHECK_OK(vx_host_call_arg(call, 1, &length));
    if (length > sizeof bytes) return vx_host_call_refuse(call, "at most 64 bytes");
    for (uint32_t i = 0; i < length; ++i) bytes[i] = (uint8_t)(i + 1);
    /* A write it may not make is refused whatever the function says next. */
    const vx_status status = vx_host_call_write(call, address, bytes, length);
    *result = length;
    (void)status;
    return VX_OK;
}

/* host_nest(depth): calls the plug-in's nest(depth) again. */
static vx_status host_nest(vx_host_call* call, void* user, uint64_t* result) {
    (void)user;
    uint32_t depth = 0;
    CHECK_OK(vx_host_call_arg(call, 0, &depth));
    vx_sandbox* sandbox = vx_host_call_sandbox(call);
    CHECK(sandbox != NULL);
    vx_call_options options = {.host_functions = user};
    vx_call_result inner;
    const vx_status status = vx_call_with(sandbox, entry(sandbox, "nest"), &depth, 1, &options, &inner);
    CHECK(inner.returned);
    *result = inner.value;
    return status;
}

static vx_status host_throw(vx_host_call* call, void* user, uint64_t* result) {
    (void)call, (void)user, (void)result;
    return VX_ERR_INTERNAL; /* any status but VX_OK refuses the call */
}

static vx_call_result call_with_functions(vx_sandbox* sandbox, const vx_host_functions* functions,
                                          const char* name, size_t nargs, uint32_t a0, uint32_t a1) {
    const uint32_t args[2] = {a0, a1};
    vx_call_options options = {.host_functions = functions};
    vx_call_result result;
    CHECK_OK(vx_call_with(sandbox, entry(sandbox, name), args, nargs, &options, &result));
    return result;
}

static void test_host_functions(void) {
    vx_host_functions* functions = NULL;
    char logged[64] = "";
    CHECK_OK(vx_host_functions_new(&functions));
    CHECK_OK(vx_host_functions_add(functions, "host_two", 2, host_two, NULL));
    CHECK_OK(vx_host_functions_add(functions, "host_log", 2, host_log, logged));
    CHECK_OK(vx_host_functions_add(functions, "host_strlen", 1, host_strlen, NULL));
    CHECK_OK(vx_host_functions_add(functions, "host_fill", 2, host_fill, NULL));
    CHECK_OK(vx_host_functions_add(functions, "host_nest", 1, host_nest, functions));
    CHECK_OK(vx_host_functions_add(functions, "host_throw", 0, host_throw, NULL));
    CHECK_STATUS(vx_host_functions_add(functions, "host_two", 2, host_two, NULL), VX_ERR_REFUSED);
    CHECK_STATUS(vx_host_functions_add(functions, "", 0, host_two, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_host_functions_add(functions, "many", 17, host_two, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_host_functions_add(NULL, "x", 0, host_two, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_host_functions_add(functions, "x", 0, NULL, NULL), VX_ERR_INVALID_ARGUMENT);

    vx_sandbox* sandbox = NULL;
    CHECK_OK(vx_sandbox_new(NULL, &sandbox));
    CHECK_OK(vx_load_plugin_file(sandbox, host_plugin_path));

    vx_call_result result = call_with_functions(sandbox, functions, "call_two", 2, 7, 9);
    CHECK(result.returned && (uint32_t)result.value == 7009);
    result = call_with_functions(sandbox, functions, "greet", 0, 0, 0);
    CHECK(result.returned && (uint32_t)result.value == 11 && strcmp(logged, "hello, host") == 0);
    result = call_with_functions(sandbox, functions, "fill_local", 0, 0, 0);
    CHECK(result.returned && (uint32_t)result.value == (32u << 16) + 8 * 0xee + 32 * 33 / 2);
    result = call_with_functions(sandbox, functions, "nest", 1, 3, 0);
    CHECK(result.returned && (uint32_t)result.value == 1123);

    /* Refusals end the call with VX_EVENT_HOST_CALL. */
    result = call_with_functions(sandbox, functions, "fill_code", 0, 0, 0);
    CHECK(!result.returned && result.event.kind == VX_EVENT_HOST_CALL);
    CHECK(result.event.host_call_problem == VX_HOST_CALL_BAD_POINTER);
    CHECK(strstr(result.event.description, "host_fill") != NULL);
    result = call_with_functions(sandbox, functions, "log_text", 2, 0x10, 4);
    CHECK(!result.returned && result.event.host_call_problem == VX_HOST_CALL_BAD_POINTER);
    result = call_with_functions(sandbox, functions, "log_text", 2, 0x10, 100);
    CHECK(!result.returned && result.event.host_call_problem == VX_HOST_CALL_REFUSED);
    CHECK(strstr(result.event.description, "too long for this host") != NULL);
    result = call_with_functions(sandbox, functions, "call_throw", 0, 0, 0);
    CHECK(!result.returned && result.event.host_call_problem == VX_HOST_CALL_REFUSED);
    CHECK(strstr(result.event.description, "VX_ERR_INTERNAL") != NULL);
    result = call_with_functions(sandbox, functions, "call_missing", 1, 1, 0);
    CHECK(!result.returned && result.event.host_call_problem == VX_HOST_CALL_UNKNOWN_FUNCTION);
    CHECK(strstr(result.event.description, "host_missing") != NULL);
    /* Without the registry, a gate is a fault. */
    result = call(sandbox, "call_two", 2, 1, 2);
    CHECK(!result.returned && result.event.kind == VX_EVENT_FAULT);
    /* And the sandbox still serves calls after all that. */
    result = call_with_functions(sandbox, functions, "call_two", 2, 1, 2);
    CHECK(result.returned && (uint32_t)result.value == 1002);

    CHECK_STATUS(vx_host_call_arg(NULL, 0, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK(vx_host_call_sandbox(NULL) == NULL);
    vx_sandbox_free(sandbox);
    vx_host_functions_free(functions);
    vx_host_functions_free(NULL);
}

/* Shared buffers: the host's writes are what the guest reads, and the
 * guest's writes are the host's, with no copy; a read-only one stays so. */
static void test_shared_buffers(void) {
    enum { kWords = 4 * kPage / 4, kAt = 0x10000000 };
    vx_sandbox* sandbox = plugin(NULL);
    vx_buffer* buffer = NULL;
    CHECK_OK(vx_buffer_new(4 * kPage, &buffer));
    if (!buffer) return;
    CHECK(vx_buffer_size(buffer) == 4 * kPage);
    uint32_t* words = vx_buffer_data(buffer);
    uint32_t expected = 0;
    for (uint32_t i = 0; i < kWords; ++i) expected += words[i] = i * 3;
    CHECK_OK(vx_map_buffer(sandbox, kAt, buffer, VX_READ));
    vx_call_result result = call(sandbox, "sum", 2, kAt, kWords);
    CHECK(result.returned && (uint32_t)result.value == expected);
    words[0] = 1000;
    result = call(sandbox, "sum", 2, kAt, kWords);
    CHECK(result.returned && (uint32_t)result.value == expected + 1000);
    /* fill(words, count, value) may not write a read-only buffer. */
    const uint32_t fill_args[3] = {kAt, 1, 7};
    CHECK_OK(vx_call(sandbox, entry(sandbox, "fill"), fill_args, 3, &result));
    CHECK(!result.returned && result.event.kind == VX_EVENT_FAULT && words[0] == 1000);
    CHECK_OK(vx_unmap(sandbox, kAt, 4 * kPage));
    CHECK_OK(vx_map_buffer(sandbox, kAt, buffer, VX_READ | VX_WRITE));
    CHECK_OK(vx_call(sandbox, entry(sandbox, "fill"), fill_args, 3, &result));
    CHECK(result.returned && words[0] == 7);

    /* Bad requests. */
    vx_buffer* none = NULL;
    CHECK_STATUS(vx_buffer_new(0, &none), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_buffer_new(kPage + 1, &none), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_buffer_new(kPage, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK(none == NULL);
    CHECK_STATUS(vx_map_buffer(sandbox, kAt + 0x100000, buffer, VX_READ | VX_EXEC), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_buffer(sandbox, kAt + 0x100000, buffer, VX_WRITE), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_buffer(sandbox, kAt + 1, buffer, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_buffer(sandbox, 0, buffer, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_buffer(sandbox, 0xfffff000u, buffer, VX_READ), VX_ERR_OUT_OF_RANGE);
    CHECK_STATUS(vx_map_buffer(sandbox, kAt, buffer, VX_READ), VX_ERR_REFUSED); /* mapped there already */
    CHECK_STATUS(vx_map_buffer(NULL, kAt, buffer, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_map_buffer(sandbox, kAt, NULL, VX_READ), VX_ERR_INVALID_ARGUMENT);
    CHECK(vx_buffer_data(NULL) == NULL && vx_buffer_size(NULL) == 0);
    vx_snapshot* snapshot = NULL;
    CHECK_STATUS(vx_snapshot_take(sandbox, &snapshot), VX_ERR_REFUSED);
    CHECK(snapshot == NULL);

    /* The sandbox's mapping outlives the host's buffer. */
    vx_buffer_free(buffer);
    result = call(sandbox, "sum", 2, kAt, 1);
    CHECK(result.returned && (uint32_t)result.value == 7);
    vx_buffer_free(NULL);
    vx_sandbox_free(sandbox);
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: capi_test PLUGIN_FUNCTIONS_GUEST HOST_CALLS_PLUGIN\n");
        return 2;
    }
    plugin_path = argv[1];
    host_plugin_path = argv[2];
    test_version_and_names();
    test_results();
    test_a_fault_ends_a_call();
    test_fuel();
    test_call_limits();
    test_interrupts();
    test_handlers();
    test_snapshots();
    test_null_handles_and_pointers();
    test_bad_options();
    test_bad_programs_and_symbols();
    test_memory_bounds();
    test_memory_limit_and_host_mappings();
    test_host_functions();
    test_shared_buffers();
    return finish();
}
