/* Pools in the C API (vx_pool, vx_lease), from C and through libvx.so only,
 * over the guest "plug-in" of tests/unit/guests/plugin_functions.c: take,
 * call and return; the next tenant of a sandbox finds nothing of the last;
 * try_take when every sandbox is leased; a lease that cannot be returned
 * or freed while a call on it runs; threads with leases of their own; and
 * each error status for the bad input that earns it.
 *
 *     pool_test PLUGIN_FUNCTIONS_GUEST HOST_CALLS_PLUGIN */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "vx/vx.h"

static const char* plugin_path;
static const char* other_plugin_path;

/* As tests/unit/guests/plugin_functions.c numbers its calls to the host. */
enum { kHostAsk = 0x4001 };
/* The prepared plug-in's buffer: kWords words, word i holding i + 1. */
enum { kData = 0x1e000000, kPage = 4096, kWords = 1024 };
static const uint32_t kPreparedSum = kWords * (kWords + 1) / 2;
enum { kSecret = 0x5ec2e7 };

/* A snapshot of the plug-in ready to call, its buffer filled; with `fuel`
 * (0: none counted). */
static vx_snapshot* prepared(uint64_t fuel) {
    vx_sandbox_options options = {0};
    options.fuel = fuel;
    vx_sandbox* sandbox = NULL;
    vx_snapshot* snapshot = NULL;
    if (vx_sandbox_new(&options, &sandbox) != VX_OK) {
        fprintf(stderr, "no sandbox: %s\n", vx_last_error());
        exit(1);
    }
    uint32_t words[kWords];
    for (uint32_t i = 0; i < kWords; ++i) words[i] = i + 1;
    CHECK_OK(vx_load_plugin_file(sandbox, plugin_path));
    CHECK_OK(vx_map(sandbox, kData, sizeof words, VX_READ | VX_WRITE));
    CHECK_OK(vx_write(sandbox, kData, words, sizeof words));
    CHECK_OK(vx_snapshot_take(sandbox, &snapshot));
    vx_sandbox_free(sandbox);
    if (!snapshot) exit(1);
    return snapshot;
}

static vx_pool* new_pool(const vx_snapshot* snapshot, const vx_sandbox_options* options, size_t max) {
    vx_pool* pool = NULL;
    CHECK_OK(vx_pool_new(snapshot, options, max, &pool));
    if (!pool) exit(1);
    return pool;
}

static vx_lease* take(vx_pool* pool) {
    vx_lease* lease = NULL;
    CHECK_OK(vx_pool_take(pool, &lease));
    if (!lease) exit(1);
    return lease;
}

/* `name` with up to 3 arguments; the status is checked, a failure to call
 * is a result that did not return. */
static vx_call_result call3(vx_sandbox* sandbox, const char* name, size_t nargs, uint32_t a0, uint32_t a1,
                            uint32_t a2) {
    const uint32_t args[3] = {a0, a1, a2};
    uint32_t entry = 0;
    vx_call_result result;
    memset(&result, 0, sizeof result);
    if (vx_symbol(sandbox, name, &entry) != VX_OK || vx_call(sandbox, entry, args, nargs, &result) != VX_OK) {
        fprintf(stderr, "%s: %s\n", name, vx_last_error());
        result.returned = 0;
    }
    return result;
}

static int returns(vx_call_result result, uint32_t value) { return result.returned && (uint32_t)result.value == value; }

static vx_pool_stats stats_of(const vx_pool* pool) {
    vx_pool_stats stats;
    memset(&stats, 0xff, sizeof stats);
    CHECK_OK(vx_pool_get_stats(pool, &stats));
    return stats;
}

static void test_take_call_return(void) {
    vx_snapshot* snapshot = prepared(0);
    vx_pool* pool = new_pool(snapshot, NULL, 2);
    vx_snapshot_free(snapshot); /* the pool holds what it needs */
    vx_pool_stats stats = stats_of(pool);
    CHECK(stats.max_sandboxes == 2 && stats.sandboxes == 1 && stats.idle == 1); /* the first, made at once */

    vx_lease* first = take(pool);
    vx_sandbox* sandbox = vx_lease_sandbox(first);
    CHECK(sandbox != NULL);
    CHECK(returns(call3(sandbox, "add", 2, 40, 2, 0), 42));
    CHECK(returns(call3(sandbox, "sum", 2, kData, kWords, 0), kPreparedSum));
    stats = stats_of(pool);
    CHECK(stats.sandboxes == 1 && stats.idle == 0);

    /* A second sandbox is made when none is idle; then none is left. */
    vx_lease* second = NULL;
    CHECK_OK(vx_pool_try_take(pool, &second));
    CHECK(second != NULL && vx_lease_sandbox(second) != sandbox);
    vx_lease* third = (vx_lease*)&third; /* stays as it is */
    CHECK_STATUS(vx_pool_try_take(pool, &third), VX_ERR_BUSY);
    CHECK(third == (vx_lease*)&third);
    CHECK(strstr(vx_last_error(), "every sandbox of the pool is leased") != NULL);
    stats = stats_of(pool);
    CHECK(stats.sandboxes == 2 && stats.idle == 0);
    if (second) CHECK(returns(call3(vx_lease_sandbox(second), "add", 2, 1, 2, 0), 3));

    /* Returned, it is taken again. */
    CHECK_OK(vx_lease_return(first));
    stats = stats_of(pool);
    CHECK(stats.sandboxes == 2 && stats.idle == 1);
    CHECK_OK(vx_pool_try_take(pool, &first));
    CHECK(returns(call3(vx_lease_sandbox(first), "add", 2, 2, 3, 0), 5));
    CHECK_OK(vx_lease_return(first));

    /* A lease outlives its pool. */
    vx_pool_free(pool);
    if (second) {
        CHECK(returns(call3(vx_lease_sandbox(second), "sum", 2, kData, kWords, 0), kPreparedSum));
        CHECK_OK(vx_lease_return(second));
    }
}

/* One sandbox, so that each tenant has the last one's: a tenant writes a
 * secret in the buffer, in a page it maps, in the registers, and spends the
 * fuel; the next finds the snapshot's of each. One that loads another
 * program leaves the next the snapshot's program. */
static void test_the_next_tenant_finds_nothing_of_the_last(void) {
    vx_snapshot* snapshot = prepared(1000000);
    vx_pool* pool = new_pool(snapshot, NULL, 1);
    vx_registers prepared_registers;
    vx_lease* lease = take(pool);
    CHECK_OK(vx_get_registers(vx_lease_sandbox(lease), &prepared_registers));
    CHECK_OK(vx_lease_return(lease));

    lease = take(pool);
    vx_sandbox* sandbox = vx_lease_sandbox(lease);
    CHECK(returns(call3(sandbox, "fill", 3, kData, kWords, kSecret), kWords));
    CHECK(returns(call3(sandbox, "sum", 2, kData, kWords, 0), (uint32_t)kWords * kSecret));
    const uint32_t secret = kSecret;
    CHECK_OK(vx_map(sandbox, kData + 0x100000, kPage, VX_READ | VX_WRITE));
    CHECK_OK(vx_write(sandbox, kData + 0x100000, &secret, sizeof secret));
    vx_call_result result = call3(sandbox, "spin", 0, 0, 0, 0);
    CHECK(!result.returned && result.event.limit == VX_LIMIT_INSTRUCTIONS);
    CHECK_OK(vx_add_fuel(sandbox, 1000)); /* and leaves some of it */
    vx_registers registers = prepared_registers;
    registers.ebx = registers.esi = kSecret;
    registers.esp -= 64;
    CHECK_OK(vx_set_registers(sandbox, &registers));
    CHECK_OK(vx_lease_return(lease));

    lease = take(pool);
    sandbox = vx_lease_sandbox(lease);
    vx_pool_stats stats = stats_of(pool);
    CHECK(stats.sandboxes == 1); /* the same sandbox */
    uint64_t fuel = 0;
    CHECK_OK(vx_fuel(sandbox, &fuel));
    CHECK(fuel == 1000000);
    CHECK_OK(vx_get_registers(sandbox, &registers));
    CHECK(memcmp(&registers, &prepared_registers, sizeof registers) == 0);
    uint32_t word = 0;
    CHECK_STATUS(vx_read(sandbox, kData + 0x100000, &word, sizeof word), VX_ERR_OUT_OF_RANGE);
    CHECK(returns(call3(sandbox, "sum", 2, kData, kWords, 0), kPreparedSum));

    /* Another program, whose functions the next tenant does not find. */
    CHECK_OK(vx_load_plugin_file(sandbox, other_plugin_path));
    uint32_t address = 0;
    CHECK_STATUS(vx_symbol(sandbox, "add", &address), VX_ERR_NO_SYMBOL);
    CHECK_OK(vx_lease_return(lease));
    lease = take(pool);
    sandbox = vx_lease_sandbox(lease);
    CHECK(returns(call3(sandbox, "add", 2, 40, 2, 0), 42));
    CHECK(returns(call3(sandbox, "sum", 2, kData, kWords, 0), kPreparedSum));
    CHECK_OK(vx_lease_return(lease));
    vx_pool_free(pool);
    vx_snapshot_free(snapshot);
}

/* A sandbox the reset leaves stopped (here a pending interrupt) is dropped;
 * the next take makes a new one, which runs. */
static void test_a_stopped_sandbox_is_not_lent_again(void) {
    vx_snapshot* snapshot = prepared(0);
    vx_pool* pool = new_pool(snapshot, NULL, 1);
    vx_lease* lease = take(pool);
    CHECK_OK(vx_interrupt(vx_lease_sandbox(lease)));
    CHECK_OK(vx_lease_return(lease));
    vx_pool_stats stats = stats_of(pool);
    CHECK(stats.sandboxes == 0 && stats.idle == 0);
    lease = take(pool);
    CHECK(returns(call3(vx_lease_sandbox(lease), "add", 2, 2, 3, 0), 5));
    CHECK_OK(vx_lease_return(lease));
    vx_pool_free(pool);
    vx_snapshot_free(snapshot);
}

struct in_call {
    vx_lease* lease; /* NULL: a sandbox of its own */
    int return_refused;
    int free_left;
};

/* Answers ask_host after trying to return the lease and free the sandbox
 * the call runs in: both must be refused. */
static int return_in_call(vx_sandbox* sandbox, const vx_event* event, void* user) {
    struct in_call* in_call = user;
    vx_registers registers;
    if (event->kind != VX_EVENT_SYSCALL || vx_get_registers(sandbox, &registers) != VX_OK ||
        registers.eax != kHostAsk)
        return 0;
    if (in_call->lease) in_call->return_refused = vx_lease_return(in_call->lease) == VX_ERR_REFUSED;
    vx_sandbox_free(sandbox);
    in_call->free_left = strstr(vx_last_error(), "vx_sandbox_free") != NULL;
    registers.eax = registers.ebx * 2;
    return vx_set_registers(sandbox, &registers) == VX_OK;
}

static void test_no_return_or_free_while_a_call_runs(void) {
    vx_snapshot* snapshot = prepared(0);
    vx_pool* pool = new_pool(snapshot, NULL, 1);
    vx_lease* lease = take(pool);
    vx_sandbox* sandbox = vx_lease_sandbox(lease);
    struct in_call in_call = {lease, 0, 0};
    vx_call_options options = {.on_event = return_in_call, .user = &in_call};
    const uint32_t question = 21;
    uint32_t ask = 0;
    vx_call_result result;
    CHECK_OK(vx_symbol(sandbox, "ask_host", &ask));
    CHECK_OK(vx_call_with(sandbox, ask, &question, 1, &options, &result));
    CHECK(returns(result, 43));
    CHECK(in_call.return_refused && in_call.free_left);

    /* Nor is a lease's sandbox freed outside a call: the pool owns it. */
    vx_sandbox_free(sandbox);
    CHECK(strstr(vx_last_error(), "vx_lease_return") != NULL);
    CHECK(returns(call3(sandbox, "add", 2, 2, 3, 0), 5));
    CHECK_OK(vx_lease_return(lease));
    vx_pool_stats stats = stats_of(pool);
    CHECK(stats.sandboxes == 1 && stats.idle == 1);

    /* A sandbox of its own is not freed from its handler either. */
    vx_sandbox* plain = NULL;
    CHECK_OK(vx_sandbox_from_snapshot(snapshot, NULL, &plain));
    in_call = (struct in_call){NULL, 0, 0};
    CHECK_OK(vx_call_with(plain, ask, &question, 1, &options, &result));
    CHECK(returns(result, 43) && in_call.free_left);
    CHECK(returns(call3(plain, "add", 2, 2, 3, 0), 5));
    vx_sandbox_free(plain);
    vx_pool_free(pool);
    vx_snapshot_free(snapshot);
}

/* ---- Threads ---------------------------------------------------------- */

enum { kThreads = 4, kRounds = 40, kPoolSize = 2 };

struct tenant {
    vx_pool* pool;
    uint32_t mark; /* what this thread fills the buffer with */
    int failures;
};

/* Each round: a lease (taken, or tried first), the buffer as the snapshot
 * left it, filled with the thread's mark and summed, returned. */
static void* tenant_rounds(void* argument) {
    struct tenant* tenant = argument;
    for (int round = 0; round < kRounds; ++round) {
        vx_lease* lease = NULL;
        vx_status status = round % 2 ? vx_pool_try_take(tenant->pool, &lease) : VX_ERR_BUSY;
        if (status == VX_ERR_BUSY) status = vx_pool_take(tenant->pool, &lease);
        CHECK_COUNTING(tenant->failures, status == VX_OK && lease != NULL);
        if (!lease) continue;
        vx_sandbox* sandbox = vx_lease_sandbox(lease);
        CHECK_COUNTING(tenant->failures, returns(call3(sandbox, "sum", 2, kData, kWords, 0), kPreparedSum));
        CHECK_COUNTING(tenant->failures, returns(call3(sandbox, "fill", 3, kData, kWords, tenant->mark), kWords));
        CHECK_COUNTING(tenant->failures,
                       returns(call3(sandbox, "sum", 2, kData, kWords, 0), (uint32_t)kWords * tenant->mark));
        CHECK_COUNTING(tenant->failures, vx_lease_return(lease) == VX_OK);
    }
    return NULL;
}

struct waiter {
    vx_pool* pool;
    vx_lease* lease;
    int done;
    pthread_mutex_t lock;
};

static void* wait_for_a_lease(void* argument) {
    struct waiter* waiter = argument;
    vx_lease* lease = NULL;
    const vx_status status = vx_pool_take(waiter->pool, &lease);
    pthread_mutex_lock(&waiter->lock);
    waiter->lease = status == VX_OK ? lease : NULL;
    waiter->done = 1;
    pthread_mutex_unlock(&waiter->lock);
    return NULL;
}

static void test_threads(void) {
    vx_snapshot* snapshot = prepared(0);
    vx_pool* pool = new_pool(snapshot, NULL, kPoolSize);
    pthread_t threads[kThreads];
    struct tenant tenants[kThreads];
    for (int i = 0; i < kThreads; ++i) {
        tenants[i] = (struct tenant){pool, 0x1000u * (uint32_t)(i + 1), 0};
        CHECK(pthread_create(&threads[i], NULL, tenant_rounds, &tenants[i]) == 0);
    }
    for (int i = 0; i < kThreads; ++i) {
        pthread_join(threads[i], NULL);
        failures += tenants[i].failures;
    }
    vx_pool_stats stats = stats_of(pool);
    CHECK(stats.sandboxes >= 1 && stats.sandboxes <= kPoolSize && stats.idle == stats.sandboxes);

    /* A take waits while every sandbox is leased, until one is returned. */
    vx_lease* held[kPoolSize];
    for (int i = 0; i < kPoolSize; ++i) held[i] = take(pool);
    struct waiter waiter = {pool, NULL, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, wait_for_a_lease, &waiter) == 0);
    const struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL); /* (time for it to reach the wait: the check below holds however long) */
    pthread_mutex_lock(&waiter.lock);
    CHECK(!waiter.done);
    pthread_mutex_unlock(&waiter.lock);
    CHECK_OK(vx_lease_return(held[0]));
    pthread_join(thread, NULL);
    CHECK(waiter.done && waiter.lease != NULL);
    if (waiter.lease) {
        CHECK(returns(call3(vx_lease_sandbox(waiter.lease), "add", 2, 2, 3, 0), 5));
        CHECK_OK(vx_lease_return(waiter.lease));
    }
    for (int i = 1; i < kPoolSize; ++i) CHECK_OK(vx_lease_return(held[i]));
    vx_pool_free(pool);
    vx_snapshot_free(snapshot);
}

/* ---- Bad input ---------------------------------------------------------- */

static void test_bad_input(void) {
    vx_snapshot* snapshot = prepared(0);
    vx_pool* pool = NULL;
    CHECK_STATUS(vx_pool_new(NULL, NULL, 1, &pool), VX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vx_last_error(), "vx_pool_new") != NULL && strstr(vx_last_error(), "snapshot") != NULL);
    CHECK_STATUS(vx_pool_new(snapshot, NULL, 1, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_pool_new(snapshot, NULL, 0, &pool), VX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vx_last_error(), "max_sandboxes") != NULL);
    vx_sandbox_options options = {0};
    options.memory_size = 1000;
    CHECK_STATUS(vx_pool_new(snapshot, &options, 1, &pool), VX_ERR_INVALID_ARGUMENT);
    /* Options the snapshot cannot be restored with: refused at once. */
    options.memory_size = 64u << 20;
    CHECK_STATUS(vx_pool_new(snapshot, &options, 1, &pool), VX_ERR_REFUSED);
    vx_snapshot* counting = prepared(1000000);
    options.memory_size = 0;
    CHECK_STATUS(vx_pool_new(counting, &options, 1, &pool), VX_ERR_REFUSED);
    CHECK(pool == NULL);
    /* Its own options, or others of its memory size, are taken. */
    options.fuel = 5000;
    CHECK_OK(vx_pool_new(counting, &options, 1, &pool));
    vx_snapshot_free(counting);
    if (pool) {
        vx_lease* lease = take(pool);
        uint64_t fuel = 0;
        CHECK_OK(vx_fuel(vx_lease_sandbox(lease), &fuel));
        CHECK(fuel == 1000000); /* the snapshot's */
        CHECK_OK(vx_lease_return(lease));
        vx_pool_free(pool);
    }

    pool = new_pool(snapshot, NULL, 1);
    vx_lease* lease = NULL;
    vx_pool_stats stats;
    CHECK_STATUS(vx_pool_take(NULL, &lease), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_pool_take(pool, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_pool_try_take(NULL, &lease), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_pool_try_take(pool, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK(lease == NULL);
    CHECK(vx_lease_sandbox(NULL) == NULL);
    CHECK_STATUS(vx_lease_return(NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vx_last_error(), "vx_lease_return") != NULL);
    CHECK_STATUS(vx_pool_get_stats(NULL, &stats), VX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(vx_pool_get_stats(pool, NULL), VX_ERR_INVALID_ARGUMENT);
    CHECK(strcmp(vx_status_name(VX_ERR_BUSY), "VX_ERR_BUSY") == 0);
    vx_pool_free(pool);
    vx_pool_free(NULL);
    vx_snapshot_free(snapshot);
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: pool_test PLUGIN_FUNCTIONS_GUEST HOST_CALLS_PLUGIN\n");
        return 2;
    }
    plugin_path = argv[1];
    other_plugin_path = argv[2];
    test_take_call_return();
    test_the_next_tenant_finds_nothing_of_the_last();
    test_a_stopped_sandbox_is_not_lent_again();
    test_no_return_or_free_while_a_call_runs();
    test_threads();
    test_bad_input();
    return finish();
}
