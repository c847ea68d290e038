/* Random system calls with hostile arguments: small numbers, pointers into
 * its own buffer, pointers at the top of the address space, -1 and near it,
 * garbage. The host must carry on whatever they ask. Left out are only the
 * calls that end or replace this process or park it for good (exit,
 * execve, pause, sigsuspend, sleeps, futex waits, poll/select with long
 * timeouts) and those that kill it or return into garbage (kill, tkill,
 * tgkill, sigreturn, and the timers alarm and setitimer, whose signal would
 * end it at a moment the host's load decides): they would end the storm
 * early, or by chance, not test more. A
 * forked child leaves at once. Prints "storm done" and exits 0.
 * usage: syscall_storm SEED COUNT */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static uint32_t state;
static uint32_t next_random(void) {
    state = state * 1103515245u + 12345u;
    return state >> 1;
}

static char buffer[65536];

static uint32_t hostile_argument(void) {
    switch (next_random() % 8) {
    case 0: return next_random() % 16;
    case 1: return (uint32_t)(uintptr_t)(buffer + next_random() % sizeof buffer);
    case 2: return 0xfffff000u + next_random() % 4096;
    case 3: return next_random();
    case 4: return 0;
    case 5: return (uint32_t)-1 - next_random() % 200;
    case 6: return (uint32_t)(uintptr_t)buffer;
    default: return next_random() % 4096;
    }
}

static int left_out(uint32_t nr) {
    static const uint16_t calls[] = {1, 252, 11, 29, 179, 162, 267, 407, 240, 422, 168, 142, 308,
                                     309, 413, 414, 37, 238, 270, 119, 173, 27, 104};
    for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; ++i)
        if (calls[i] == nr) return 1;
    return 0;
}

int main(int argc, char** argv) {
    state = argc > 1 ? (uint32_t)atoi(argv[1]) : 1;
    int count = argc > 2 ? atoi(argv[2]) : 5000;
    for (int i = 0; i < count; ++i) {
        uint32_t nr = next_random() % 450;
        if (left_out(nr)) continue;
        uint32_t a[6];
        for (int k = 0; k < 6; ++k) a[k] = hostile_argument();
        long result;
        __asm__ volatile("push %%ebp\n\tmov %7, %%ebp\n\tint $0x80\n\tpop %%ebp"
                         : "=a"(result)
                         : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "m"(a[5])
                         : "memory");
        if ((nr == 2 || nr == 190 || nr == 120) && result == 0) _exit(0);  /* a forked child */
    }
    write(1, "storm done\n", 11);
    return 0;
}
