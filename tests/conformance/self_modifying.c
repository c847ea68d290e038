/* Code that writes code, as JITs do: each result must come from the bytes
 * written last. A buffer rewritten and run 2000 times; a page holding both
 * code and the counter that code keeps; code made read-only and executable,
 * then writable again and patched; code read in from a pipe. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*function)(void);

static void emit_return_of(unsigned char* at, int value) {  // mov $value, %eax; ret
    at[0] = 0xb8;
    memcpy(at + 1, &value, 4);
    at[5] = 0xc3;
}

int main(void) {
    unsigned char* page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return 1;

    long sum = 0;
    for (int i = 0; i < 2000; ++i) {
        emit_return_of(page, i);
        sum += ((function)page)();
    }
    printf("rewritten 2000 times: sum %ld\n", sum);

    // incl counter; mov counter, %eax; ret -- and the counter on the same page
    static const unsigned char counting[] = {0xff, 0x05, 0, 0, 0, 0, 0xa1, 0, 0, 0, 0, 0xc3};
    unsigned char* code = page + 64;
    unsigned int counter_address = (unsigned int)(page + 32);
    memcpy(code, counting, sizeof counting);
    memcpy(code + 2, &counter_address, 4);
    memcpy(code + 7, &counter_address, 4);
    memset(page + 32, 0, 4);
    int last = 0;
    for (int i = 0; i < 500; ++i) last = ((function)code)();
    printf("code counting on its own page: %d\n", last);

    emit_return_of(page + 128, 7);
    mprotect(page, 4096, PROT_READ | PROT_EXEC);
    int before = ((function)(page + 128))();
    mprotect(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    emit_return_of(page + 128, 8);
    printf("made writable and patched: %d then %d\n", before, ((function)(page + 128))());

    int fds[2];
    unsigned char bytes[6];
    emit_return_of(bytes, 9);
    if (pipe(fds) != 0 || write(fds[1], bytes, 6) != 6 || read(fds[0], page + 128, 6) != 6) return 2;
    printf("read from a pipe: %d\n", ((function)(page + 128))());
    return 0;
}
