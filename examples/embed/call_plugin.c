/* Calls a sandboxed plug-in's `add` and `sum` through vx's C API.
 *     call_plugin PLUGIN
 * PLUGIN: a static i386 program with add(a, b) and sum(words, count), such
 * as vx's build/guests/plugin_functions. */
#include <stdio.h>

#include <vx/vx.h>

static int fail(const char* what, vx_status status) {
    fprintf(stderr, "call_plugin: %s: %s: %s\n", what, vx_status_name(status), vx_last_error());
    return 1;
}

/* The function `name`'s 32-bit result in *value, or why there is none. */
static vx_status call(vx_sandbox* sandbox, const char* name, const uint32_t* args, size_t nargs, uint32_t* value) {
    uint32_t entry;
    vx_call_result result;
    vx_status status = vx_symbol(sandbox, name, &entry);
    if (status == VX_OK) status = vx_call(sandbox, entry, args, nargs, &result);
    if (status != VX_OK) return status;
    if (!result.returned) {
        fprintf(stderr, "call_plugin: %s stopped: %s\n", name, result.event.description);
        return VX_ERR_REFUSED;
    }
    *value = (uint32_t)result.value;
    return VX_OK;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: call_plugin PLUGIN\n");
        return 2;
    }
    vx_sandbox_options options = {0};
    options.fuel = 10000000; /* a plug-in that loops ends with an event, not a hang */
    vx_sandbox* sandbox;
    vx_status status = vx_sandbox_new(&options, &sandbox);
    if (status != VX_OK) return fail("vx_sandbox_new", status);
    status = vx_load_plugin_file(sandbox, argv[1]);
    if (status != VX_OK) return fail(argv[1], status);

    const uint32_t add_args[] = {40, 2};
    uint32_t value;
    if ((status = call(sandbox, "add", add_args, 2, &value)) != VX_OK) return fail("add", status);
    printf("add(40, 2) = %u\n", (unsigned)value);

    /* A buffer in guest memory the plug-in reads. */
    const uint32_t buffer = 0x10000000, words[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    if ((status = vx_map(sandbox, buffer, 4096, VX_READ | VX_WRITE)) != VX_OK ||
        (status = vx_write(sandbox, buffer, words, sizeof words)) != VX_OK)
        return fail("the buffer", status);
    const uint32_t sum_args[] = {buffer, 10};
    if ((status = call(sandbox, "sum", sum_args, 2, &value)) != VX_OK) return fail("sum", status);
    printf("sum(1..10) = %u\n", (unsigned)value);

    vx_sandbox_free(sandbox);
    return 0;
}
