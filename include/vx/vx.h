/* vx.h: the C API of vx. Call the functions of a sandboxed native i386
 * program (a "plug-in") from any program: C, or anything with a C foreign
 * function interface (Python's ctypes, Rust, Go). docs/plugins.md says how a
 * call is made; this header is the reference.
 *
 *     vx_sandbox* sandbox;
 *     vx_sandbox_options options = {0};            // zero: the defaults
 *     options.fuel = 10000000;                      // at most 10^7 guest instructions
 *     if (vx_sandbox_new(&options, &sandbox) != VX_OK ||
 *         vx_load_plugin_file(sandbox, "plugin") != VX_OK) {    // the program and a stack
 *         fprintf(stderr, "%s\n", vx_last_error());
 *         ...
 *     }
 *     uint32_t add;
 *     vx_call_result result;
 *     const uint32_t args[] = {40, 2};
 *     if (vx_symbol(sandbox, "add", &add) == VX_OK &&
 *         vx_call(sandbox, add, args, 2, &result) == VX_OK) {
 *         if (result.returned) printf("%u\n", (unsigned)result.value);   // 42
 *         else printf("stopped: %s\n", result.event.description);       // a fault, a limit, ...
 *     }
 *     vx_sandbox_free(sandbox);
 *
 * Conventions: every function returns a vx_status (VX_OK, or why it failed,
 * with vx_last_error() saying more), except those documented otherwise.
 * Output parameters are written only on VX_OK unless said otherwise. No
 * function keeps a pointer it was given beyond its return, except the
 * handle it was given. A sandbox is used by one thread at a time;
 * vx_interrupt may be called from any thread, and a pool's functions from
 * any number at once. Guest addresses are 32-bit
 * (uint32_t); a guest function's arguments are 32-bit words. Nothing the
 * guest does can crash the host: a guest's fault, loop or exhausted limit is
 * an event that ends a call (vx_call_result), never an error of the API.
 * The library is built from C++; no exception ever leaves it.
 */
#ifndef VX_VX_H
#define VX_VX_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define VX_API __attribute__((visibility("default")))
#else
#define VX_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Handles, statuses, errors ---------------------------------------- */

/* One guest: its memory, registers, limits and engine (C++: vx::Sandbox). */
typedef struct vx_sandbox vx_sandbox;
/* An immutable image of a sandbox's guest (C++: vx::Snapshot). */
typedef struct vx_snapshot vx_snapshot;
/* Host memory guests map and the host reads and writes in place (C++:
 * vx::SharedBuffer). */
typedef struct vx_buffer vx_buffer;

typedef enum vx_status {
    VX_OK = 0,
    VX_ERR_INVALID_ARGUMENT = 1, /* a null handle or pointer, a size or value the function does not take */
    VX_ERR_NO_FILE = 2,          /* the file does not exist */
    VX_ERR_IO = 3,               /* the file could not be read (not a regular file, no permission, ...) */
    VX_ERR_BAD_PROGRAM = 4,      /* not a static i386 ELF executable the sandbox can load */
    VX_ERR_NO_PROGRAM = 5,       /* the sandbox has no program loaded */
    VX_ERR_NO_SYMBOL = 6,        /* the program has no function of that name */
    VX_ERR_OUT_OF_RANGE = 7,     /* guest memory outside the guest, unmapped, or without the permission */
    VX_ERR_NOT_COUNTED = 8,      /* fuel asked of a sandbox that counts none */
    VX_ERR_LIMIT = 9,            /* the sandbox's memory limit would be passed */
    VX_ERR_REFUSED = 10,         /* the sandbox refused (vx_last_error says why): see each function */
    VX_ERR_NO_MEMORY = 11,       /* the host refused memory or a mapping */
    VX_ERR_INTERNAL = 12,        /* an unexpected failure inside vx (a bug): vx_last_error says what */
    VX_ERR_BUSY = 13             /* every sandbox of the pool is leased (vx_pool_try_take) */
} vx_status;

/* The enumerator's name ("VX_ERR_NO_FILE"); "VX_ERR_UNKNOWN" for any other
 * value. Never NULL; a static string. */
VX_API const char* vx_status_name(vx_status status);

/* What the last call that failed on this thread failed of, for people:
 * "no function \"foo\" in the program". "" before any failure; calls that
 * succeed leave it. Never NULL; valid until the next failure on this thread. */
VX_API const char* vx_last_error(void);

/* The version of the library ("0.1.0"): a static string. */
VX_API const char* vx_version(void);

/* ---- Sandboxes ----------------------------------------------------------- */

/* What a sandbox is made with. A zeroed struct gives the defaults; every
 * limit is for the sandbox's whole life (all its calls together): to bound
 * one call, give it fuel (vx_add_fuel, vx_take_fuel). */
typedef struct vx_sandbox_options {
    uint64_t memory_size;   /* bytes of guest memory (addresses 0..size-1): a multiple of 4096 from
                               64 KiB to 3 GiB; 0: 512 MiB. Reserved, not spent: pages cost when mapped */
    uint64_t memory_limit;  /* bytes of host memory the guest may cost (its mapped pages, translations); 0: none */
    uint64_t fuel;          /* guest instructions it may run until given more; 0: fuel is not counted */
    uint64_t cpu_time_ns;   /* CPU time it may use (on the threads that run it); 0: no limit */
    uint64_t wall_time_ns;  /* time since its first run it may run within; 0: no limit */
} vx_sandbox_options;

/* Makes a sandbox with `options` (NULL: the defaults) in *sandbox, which the
 * caller owns (vx_sandbox_free). It holds no program yet.
 * VX_ERR_INVALID_ARGUMENT for a bad memory size or a null `sandbox`;
 * VX_ERR_REFUSED when the sandbox cannot be made here (this machine runs no
 * engine, the host cannot reserve the guest's address space: vx_last_error
 * says which). */
VX_API vx_status vx_sandbox_new(const vx_sandbox_options* options, vx_sandbox** sandbox);

/* Frees the sandbox and everything it holds. NULL is allowed. Not while a
 * call on it runs on another thread; from an event handler or host function
 * of a call on it, and for a lease's sandbox (vx_lease_sandbox: its pool's),
 * it frees nothing, and vx_last_error says so. */
VX_API void vx_sandbox_free(vx_sandbox* sandbox);

/* ---- Programs ------------------------------------------------------------ */

/* The default size of the stack vx_load_plugin maps. */
#define VX_PLUGIN_STACK_SIZE (1u << 20)

/* Loads a static i386 ELF executable (gcc -m32 -static) from `size` bytes
 * at `program` (copied: the caller keeps its buffer), in place of whatever
 * the sandbox held: its memory is the program's image only, its registers 0
 * but eip (the entry), and no stack is mapped (see vx_map_stack). The
 * sandbox keeps the file for vx_symbol. VX_ERR_BAD_PROGRAM for a file it
 * refuses (and then nothing changed); VX_ERR_REFUSED from an event handler
 * of a call on this sandbox. */
VX_API vx_status vx_load_program(vx_sandbox* sandbox, const void* program, size_t size);
/* As vx_load_program, from the file at `path`. VX_ERR_NO_FILE when there is
 * none, VX_ERR_IO when it cannot be read or is not a regular file. */
VX_API vx_status vx_load_program_file(vx_sandbox* sandbox, const char* path);

/* Maps a stack for calls: `size` bytes (a multiple of 4096, at least 4096)
 * of read-write memory at the top of guest memory, and esp at its top.
 * VX_ERR_INVALID_ARGUMENT for a bad size; VX_ERR_REFUSED when a page there
 * is mapped already (the program's image reaches it); VX_ERR_LIMIT when the
 * memory limit would be passed; VX_ERR_NO_MEMORY when the host refuses. */
VX_API vx_status vx_map_stack(vx_sandbox* sandbox, uint32_t size);

/* A plug-in in one step: loads the program as vx_load_program (or
 * vx_load_program_file) and maps a stack of VX_PLUGIN_STACK_SIZE bytes as
 * vx_map_stack, after checking that the image leaves room for it (else
 * VX_ERR_BAD_PROGRAM; VX_ERR_REFUSED when guest memory is no larger than
 * the stack; nothing changed either way). A plug-in has no personality to
 * set up its stack, and its host should not need to know where guest
 * memory ends: this is what a host that only calls functions wants. */
VX_API vx_status vx_load_plugin(vx_sandbox* sandbox, const void* program, size_t size);
VX_API vx_status vx_load_plugin_file(vx_sandbox* sandbox, const char* path);

/* The address of the function `name` (a NUL-terminated string) in the
 * program the sandbox loaded last (or that of the snapshot it was made
 * from or restored): an STT_FUNC symbol of its .symtab, a global one before
 * a local one. VX_ERR_NO_SYMBOL when there is none (a stripped program has
 * none); VX_ERR_NO_PROGRAM when no program was loaded. */
VX_API vx_status vx_symbol(const vx_sandbox* sandbox, const char* name, uint32_t* address);

/* ---- Guest memory ------------------------------------------------------- */

enum { VX_READ = 1, VX_WRITE = 2, VX_EXEC = 4 };

/* Maps [address, address+size) with `perms` (VX_READ | VX_WRITE | VX_EXEC,
 * or 0 for no access), zero-filled, in place of what was mapped there: room
 * for buffers a guest function reads or writes. Page-aligned and not below
 * 64 KiB (the null page's neighbourhood and the call's return address stay
 * unmapped), else VX_ERR_INVALID_ARGUMENT; VX_ERR_OUT_OF_RANGE past the
 * guest's memory; VX_ERR_LIMIT, VX_ERR_NO_MEMORY as vx_map_stack. */
VX_API vx_status vx_map(vx_sandbox* sandbox, uint32_t address, uint32_t size, unsigned perms);
/* Unmaps [address, address+size); arguments as vx_map. */
VX_API vx_status vx_unmap(vx_sandbox* sandbox, uint32_t address, uint32_t size);

/* Copies `size` bytes from guest memory at `address` to `buffer`, or from
 * `data` to guest memory. Every byte must be guest memory the guest may read
 * (vx_read) or write (vx_write), else VX_ERR_OUT_OF_RANGE and nothing is
 * copied. size 0 copies nothing (any pointer, even NULL). */
VX_API vx_status vx_read(const vx_sandbox* sandbox, uint32_t address, void* buffer, size_t size);
VX_API vx_status vx_write(vx_sandbox* sandbox, uint32_t address, const void* data, size_t size);

/* Shared buffers (docs/plugins.md, "Shared buffers"): host memory that a
 * guest maps and reads (or writes) in place, with no copy either way. A new
 * buffer of `size` bytes (a multiple of 4096, from 4096 to 3 GiB, else
 * VX_ERR_INVALID_ARGUMENT), all zeros and allocated whole (VX_ERR_NO_MEMORY
 * when the host refuses). Any thread may use one; several sandboxes may map
 * it at once. What a guest may write can change while the host reads it:
 * copy what you check before you check it. */
VX_API vx_status vx_buffer_new(size_t size, vx_buffer** buffer);
/* Frees the host's view (NULL: nothing); the guests that map the buffer keep
 * its pages until they unmap them. */
VX_API void vx_buffer_free(vx_buffer* buffer);
/* The host's view: `vx_buffer_size` bytes, readable and writable. NULL and 0
 * for NULL. */
VX_API void* vx_buffer_data(const vx_buffer* buffer);
VX_API size_t vx_buffer_size(const vx_buffer* buffer);
/* Maps the whole buffer at `address` with `perms`: VX_READ, or VX_READ |
 * VX_WRITE (else VX_ERR_INVALID_ARGUMENT; never VX_EXEC). A guest's write
 * to a read-only buffer is a fault. Address as vx_map (VX_ERR_INVALID_ARGUMENT,
 * VX_ERR_OUT_OF_RANGE), but nothing may be mapped there yet, nor may the
 * range meet the stack's grow-down region: VX_ERR_REFUSED.
 * VX_ERR_NO_MEMORY as vx_map. Its pages count against no memory limit. A
 * restore (vx_restore) unmaps it, and vx_snapshot_take refuses while one is
 * mapped; vx_unmap unmaps it. */
VX_API vx_status vx_map_buffer(vx_sandbox* sandbox, uint32_t address, const vx_buffer* buffer, unsigned perms);

/* The guest's i386 general registers. */
typedef struct vx_registers {
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t eip, eflags;
} vx_registers;

/* Reads or sets them (set: eflags keeps only what a guest may hold). An event
 * handler reads a system call's number and arguments here and answers in
 * eax; whatever a call's handler sets, the call puts the registers back as
 * they were before it when it ends. */
VX_API vx_status vx_get_registers(const vx_sandbox* sandbox, vx_registers* registers);
VX_API vx_status vx_set_registers(vx_sandbox* sandbox, const vx_registers* registers);

/* ---- Calls and events --------------------------------------------------- */

typedef enum vx_event_kind {
    VX_EVENT_NONE = 0,           /* no event: the function returned */
    VX_EVENT_SYSCALL = 1,        /* the guest executed int $0x80 (number in eax); eip is past it */
    VX_EVENT_FAULT = 2,          /* see fault_kind; eip is the faulting instruction */
    VX_EVENT_INTERRUPTED = 3,    /* vx_interrupt was called */
    VX_EVENT_LIMIT_EXCEEDED = 4, /* see limit */
    VX_EVENT_EXIT = 5,           /* the guest is gone (exit_status) */
    VX_EVENT_HOST_CALL = 6       /* a call of a host function was refused: see host_call_problem */
} vx_event_kind;

typedef enum vx_fault_kind {
    VX_FAULT_PAGE = 0,            /* access to unmapped guest memory or without permission */
    VX_FAULT_SEGMENT_BOUNDS = 1,  /* access beyond the end of guest memory */
    VX_FAULT_STACK_BOUNDS = 2,    /* a stack access beyond the end of guest memory */
    VX_FAULT_GENERAL_PROTECTION = 3,
    VX_FAULT_PRIVILEGED_INSTRUCTION = 4,
    VX_FAULT_INVALID_INSTRUCTION = 5,
    VX_FAULT_DIVIDE_ERROR = 6,
    VX_FAULT_FLOATING_POINT = 7,
    VX_FAULT_ALIGNMENT_CHECK = 8,
    VX_FAULT_BREAKPOINT = 9
} vx_fault_kind;

typedef enum vx_limit {
    VX_LIMIT_MEMORY = 0,        /* bytes */
    VX_LIMIT_CPU_TIME = 1,      /* nanoseconds */
    VX_LIMIT_WALL_TIME = 2,     /* nanoseconds */
    VX_LIMIT_INSTRUCTIONS = 3,  /* fuel */
    VX_LIMIT_HOST_MAPPINGS = 4, /* host mappings the guest's pages make */
    VX_LIMIT_OTHER = 5          /* one a host of the C++ API enforces (output, files, processes) */
} vx_limit;

/* What stopped the guest. Fields other than kind and description hold only
 * for the kinds named. */
/* Why a guest's call of a host function was refused (VX_EVENT_HOST_CALL). */
typedef enum vx_host_call_problem {
    VX_HOST_CALL_NO_SUCH_GATE = 0,     /* it ran into the gate page where no function's gate is */
    VX_HOST_CALL_UNREADABLE_FRAME = 1, /* its return address or arguments are not readable guest memory */
    VX_HOST_CALL_BAD_NAME = 2,         /* the name it looked up is not a readable string of at most 255 bytes */
    VX_HOST_CALL_UNKNOWN_FUNCTION = 3, /* it called a function by a name the host does not have */
    VX_HOST_CALL_BAD_POINTER = 4,      /* a range it passed is not guest memory the function may read (write) */
    VX_HOST_CALL_TOO_LONG = 5,         /* a length or string longer than the function takes */
    VX_HOST_CALL_REFUSED = 6           /* the function refused the call (vx_host_call_refuse, or a failed status) */
} vx_host_call_problem;

typedef struct vx_event {
    vx_event_kind kind;
    vx_fault_kind fault_kind;    /* FAULT */
    uint32_t fault_eip;          /* FAULT: the guest address of the faulting instruction */
    uint32_t fault_address;      /* FAULT, when has_fault_address: the data address */
    int has_fault_address;
    int exit_status;             /* EXIT */
    vx_limit limit;              /* LIMIT_EXCEEDED: which, */
    uint64_t limit_used;         /* how much was used, */
    uint64_t limit_maximum;      /* and the limit; */
    int limit_per_call;          /* nonzero: the call's own limit (vx_call_options), which stops no later call */
    vx_host_call_problem host_call_problem; /* HOST_CALL: what was wrong (the description names the function) */
    char description[128];       /* for people, NUL-terminated: "page fault at eip 0x08049000 (address 0x00000000)" */
} vx_event;

typedef struct vx_call_result {
    int returned;    /* 1: the function returned, and value is what it left in edx:eax */
    uint64_t value;  /* (a 32-bit result: the low 32 bits) */
    vx_event event;  /* when it did not return: what ended the call */
} vx_call_result;

/* Given each event of a call (the registers, vx_get_registers, are as the
 * guest left them): nonzero when it has handled it (a system call answered
 * in eax, more fuel given) and the guest goes on; 0 ends the call with it.
 * It may use the sandbox (memory, registers, fuel, vx_call again: the inner
 * call runs below the outer one's stack), but neither load a program, nor
 * restore, nor free it. A handler that returns nonzero for what it did not
 * handle (a limit with no fuel given) is given the same event again. An
 * EXIT event ends the call whatever the handler says. */
typedef int (*vx_event_handler)(vx_sandbox* sandbox, const vx_event* event, void* user);

/* ---- Host functions --------------------------------------------------- */

/* A registry of functions a plug-in calls by name through the guest SDK
 * (guest/include/vx/plugin.h: VX_HOST_FUNCTION; docs/plugins.md), given to
 * calls in vx_call_options. One registry may serve many sandboxes and calls,
 * on several threads once it is complete (adding is not thread-safe). */
typedef struct vx_host_functions vx_host_functions;
/* One guest call of a host function, valid while that function runs. */
typedef struct vx_host_call vx_host_call;

/* A host function: its arguments through vx_host_call_arg, guest memory
 * through vx_host_call_read/_write/_read_string (all checked); it sets
 * *result (edx:eax for the guest) and returns VX_OK. Any other status, or
 * vx_host_call_refuse, refuses the guest's call: the whole call (vx_call)
 * ends with VX_EVENT_HOST_CALL. It may vx_call the same sandbox again
 * (vx_host_call_sandbox). */
typedef vx_status (*vx_host_function)(vx_host_call* call, void* user, uint64_t* result);

/* A new, empty registry in *functions, which the caller owns. */
VX_API vx_status vx_host_functions_new(vx_host_functions** functions);
/* NULL is allowed. No call may be using it. */
VX_API void vx_host_functions_free(vx_host_functions* functions);
/* Adds `function` under `name` (1..255 bytes, not yet added), taking
 * `arg_count` 32-bit arguments (0..16; a 64-bit argument counts two);
 * `user` is given to it as it is. VX_ERR_INVALID_ARGUMENT for a bad name or
 * count, VX_ERR_REFUSED for a name already added or a full registry (1022). */
VX_API vx_status vx_host_functions_add(vx_host_functions* functions, const char* name, unsigned arg_count,
                                       vx_host_function function, void* user);

/* The sandbox the call is of (to call into the guest again). */
VX_API vx_sandbox* vx_host_call_sandbox(vx_host_call* call);
/* Argument `index` (0-based) in *value: VX_ERR_INVALID_ARGUMENT past the
 * function's arg_count. */
VX_API vx_status vx_host_call_arg(const vx_host_call* call, unsigned index, uint32_t* value);
/* Copies `size` bytes of guest memory at `address` into `buffer`, or
 * `buffer` into it: VX_ERR_OUT_OF_RANGE when any byte is not guest memory
 * the guest may read (write), wrapping past 4 GiB included; nothing is
 * written then, and the guest's call is refused (BAD_POINTER) when the
 * function returns, whatever it returns. */
VX_API vx_status vx_host_call_read(vx_host_call* call, uint32_t address, void* buffer, size_t size);
VX_API vx_status vx_host_call_write(vx_host_call* call, uint32_t address, const void* buffer, size_t size);
/* The NUL-terminated guest string at `address`, of at most capacity-1
 * bytes, into `buffer` (NUL-terminated), its length in *length (may be
 * NULL). VX_ERR_OUT_OF_RANGE for unreadable memory, VX_ERR_LIMIT for a
 * longer string: as vx_host_call_read, the guest's call is then refused. */
VX_API vx_status vx_host_call_read_string(vx_host_call* call, uint32_t address, char* buffer, size_t capacity,
                                          size_t* length);
/* Refuses the guest's call with `reason` (REFUSED) when the function
 * returns. Returns VX_ERR_REFUSED, for `return vx_host_call_refuse(...)`. */
VX_API vx_status vx_host_call_refuse(vx_host_call* call, const char* reason);

/* How a call is made. A zeroed struct: no handler, no limits of its own. */
typedef struct vx_call_options {
    vx_event_handler on_event;  /* NULL: every event ends the call */
    void* user;                 /* given to on_event as it is */
    /* What this call may spend, on top of the sandbox's limits (0: nothing
     * of its own). A call that reaches one ends with VX_EVENT_LIMIT_EXCEEDED
     * and limit_per_call set, without asking on_event; the sandbox is not
     * stopped by it. Instructions: only in a sandbox made with fuel (else
     * VX_ERR_REFUSED, having run nothing), spent from the sandbox's fuel,
     * which keeps what the call did not spend. Nested calls are held by the
     * calls around them. */
    uint64_t max_instructions;
    uint64_t max_cpu_time_ns;
    uint64_t max_wall_time_ns;
    /* The functions the guest may call by name (NULL: none; its gates are
     * faults). Borrowed: it must outlive the call. */
    const vx_host_functions* host_functions;
    /* Host functions the guest calls by name (the C++ API's registry in
     * vx::CallOptions) will be given here. */
} vx_call_options;

/* Calls the guest function at `entry` with `nargs` 32-bit arguments (i386
 * cdecl: pushed below the guest's esp, which must have room: see
 * vx_map_stack) and runs it until it returns or an event ends the call:
 * *result says which. VX_OK whenever the call was made, however it ended;
 * VX_ERR_REFUSED when it could not be (the stack below esp is not writable
 * guest memory, the page of the call's return address is mapped, or, from
 * a handler, when the handler maps it); VX_ERR_INVALID_ARGUMENT for null
 * pointers (args may be NULL when nargs is 0). The guest's registers are
 * put back as they were before the call however it ends; its memory keeps
 * what the call did. After a stop, the sandbox can be called again (after
 * giving fuel, when fuel ended it; a pending vx_interrupt ends the next
 * call at once). On an error, *result is zeroed. */
VX_API vx_status vx_call(vx_sandbox* sandbox, uint32_t entry, const uint32_t* args, size_t nargs,
                         vx_call_result* result);
/* As vx_call, with `options` (NULL: as vx_call). */
VX_API vx_status vx_call_with(vx_sandbox* sandbox, uint32_t entry, const uint32_t* args, size_t nargs,
                              const vx_call_options* options, vx_call_result* result);

/* Makes the sandbox's guest stop soon with VX_EVENT_INTERRUPTED, from any
 * thread: a running call within microseconds, else the next call at once.
 * The sandbox must stay alive until this returns. */
VX_API vx_status vx_interrupt(vx_sandbox* sandbox);

/* ---- Fuel ----------------------------------------------------------------- */

/* Guest instructions left to run (only in a sandbox made with fuel:
 * VX_ERR_NOT_COUNTED otherwise). At 0 a call ends with
 * VX_EVENT_LIMIT_EXCEEDED (VX_LIMIT_INSTRUCTIONS) until more is given. */
VX_API vx_status vx_fuel(const vx_sandbox* sandbox, uint64_t* fuel);
/* Gives `instructions` more (VX_ERR_INVALID_ARGUMENT when the fuel left would
 * pass 2^64-1). */
VX_API vx_status vx_add_fuel(vx_sandbox* sandbox, uint64_t instructions);
/* Takes back the fuel left, in *taken (may be NULL): the guest stops at once
 * when next run, until more is given. */
VX_API vx_status vx_take_fuel(vx_sandbox* sandbox, uint64_t* taken);

/* ---- Snapshots --------------------------------------------------------- */

/* An image of the sandbox's guest now (memory, copy-on-write; registers;
 * fuel left; the program, for vx_symbol) in *snapshot, which the caller owns
 * (vx_snapshot_free). Sandboxes made from it or restored to it hold what
 * they need of it: it may be freed while they live. VX_ERR_REFUSED while a
 * shared buffer is mapped (vx_map_buffer: unmap it first); VX_ERR_NO_MEMORY
 * when the host refuses. */
VX_API vx_status vx_snapshot_take(const vx_sandbox* sandbox, vx_snapshot** snapshot);

/* A new sandbox whose guest is the snapshot's, in *sandbox (the caller's:
 * vx_sandbox_free). With `options` NULL, those of the sandbox the snapshot
 * was taken from; given, a memory_size of 0 means the snapshot's.
 * VX_ERR_REFUSED for options the snapshot cannot be restored with (another
 * memory size; no fuel counted when the snapshot counts it); else as
 * vx_sandbox_new. */
VX_API vx_status vx_sandbox_from_snapshot(const vx_snapshot* snapshot, const vx_sandbox_options* options,
                                          vx_sandbox** sandbox);

/* Makes the sandbox's guest the snapshot's again (its memory, registers,
 * fuel, program). What the sandbox spent (CPU and wall time) stays its own.
 * VX_ERR_REFUSED, and nothing changed, for a snapshot of another memory size,
 * one that counts fuel when the sandbox does not, or from an event handler
 * of a call on this sandbox. VX_ERR_NO_MEMORY when the host refuses a mapping
 * on the way: the sandbox then has no guest memory until a restore succeeds. */
VX_API vx_status vx_restore(vx_sandbox* sandbox, const vx_snapshot* snapshot);

/* Kept sandboxes (C++: vx::Snapshot::keep_sandboxes; docs/snapshots.md): a
 * sandbox made from the snapshot and later freed is reset to it and kept, up
 * to `max` of them (none unless set), while the snapshot lives. The next
 * sandbox made from it with the same options takes one: its host memory
 * mapped, the snapshot's code translated, ready to call in microseconds, and
 * nothing of the sandbox it was (memory, registers, fuel, counts) in it.
 * A sandbox left stopped (a limit, an interrupt) is not kept. Each kept one
 * holds its host memory; a lower `max` frees the extra ones now. The number
 * kept now in *kept. */
VX_API vx_status vx_snapshot_keep_sandboxes(const vx_snapshot* snapshot, size_t max);
VX_API vx_status vx_snapshot_sandboxes_kept(const vx_snapshot* snapshot, size_t* kept);

/* Frees the snapshot (and the sandboxes it keeps). NULL is allowed. */
VX_API void vx_snapshot_free(vx_snapshot* snapshot);

/* ---- Pools ----------------------------------------------------------------- */

/* Sandboxes made from one snapshot, lent one at a time, each reset to the
 * snapshot when given back (C++: vx::SandboxPool; docs/plugins.md, "Pools"):
 * the next tenant of a sandbox finds nothing of the last (its memory,
 * registers, fuel, time spent, a limit or interrupt it ran into). Any
 * thread may take and return leases of a pool at once. */
typedef struct vx_pool vx_pool;
/* One sandbox of a pool, its holder's alone until vx_lease_return. */
typedef struct vx_lease vx_lease;

/* A pool of at most `max_sandboxes` (at least 1) sandboxes made from
 * `snapshot`, in *pool, which the caller owns (vx_pool_free). `options` as
 * vx_sandbox_from_snapshot's (NULL: those of the sandbox the snapshot was
 * taken from), for every sandbox of the pool. One sandbox is made now, the
 * others when first needed: options the snapshot cannot be restored with
 * are VX_ERR_REFUSED here; else as vx_sandbox_from_snapshot. The pool
 * holds what it needs of the snapshot, which may be freed. */
VX_API vx_status vx_pool_new(const vx_snapshot* snapshot, const vx_sandbox_options* options, size_t max_sandboxes,
                             vx_pool** pool);

/* Frees the pool and its idle sandboxes. NULL is allowed. Its leases stay
 * valid (their sandboxes are freed when returned), but no thread may be in
 * vx_pool_take or vx_pool_try_take on it. */
VX_API void vx_pool_free(vx_pool* pool);

/* A lease in *lease, which the caller returns (vx_lease_return), of a
 * sandbox as the snapshot left it: an idle one, or a new one while fewer
 * than max_sandboxes exist; else it waits until a lease is returned (on
 * another thread: it waits for ever when the caller holds them all).
 * VX_ERR_REFUSED, VX_ERR_NO_MEMORY when a new sandbox cannot be made (as
 * vx_sandbox_from_snapshot). */
VX_API vx_status vx_pool_take(vx_pool* pool, vx_lease** lease);
/* As vx_pool_take, without waiting: VX_ERR_BUSY (and *lease unchanged)
 * when every sandbox is leased. */
VX_API vx_status vx_pool_try_take(vx_pool* pool, vx_lease** lease);

/* The lease's sandbox (NULL for NULL), valid until the lease is returned:
 * every function of a sandbox takes it but vx_sandbox_free, which leaves
 * it. vx_symbol finds the functions of the snapshot's program. */
VX_API vx_sandbox* vx_lease_sandbox(vx_lease* lease);

/* Ends the lease and frees it: its sandbox goes back to the pool, reset to
 * the snapshot here, on this thread. Using the lease or its sandbox after,
 * or returning it again, is undefined, as free() twice. A sandbox the reset
 * leaves stopped (a pending vx_interrupt, a time limit) or that the host
 * refused to reset is freed instead, and the pool makes a new one when one
 * is needed. VX_ERR_REFUSED, and the lease stays, from an event handler or
 * host function of a call on its sandbox; as with any use of a sandbox, no
 * call on it may run on another thread. */
VX_API vx_status vx_lease_return(vx_lease* lease);

/* What a pool holds; each count read on its own, a moment's: other threads'
 * takes and returns change them. */
typedef struct vx_pool_stats {
    size_t max_sandboxes; /* as vx_pool_new was given */
    size_t sandboxes;     /* that exist: leased or idle */
    size_t idle;          /* of those, not leased */
} vx_pool_stats;

VX_API vx_status vx_pool_get_stats(const vx_pool* pool, vx_pool_stats* stats);

#ifdef __cplusplus
}
#endif

#endif /* VX_VX_H */
