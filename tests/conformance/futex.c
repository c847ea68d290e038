/* futex on the guest's own words: a wait that times out, one whose word
 * changed, wakes with nobody waiting, FUTEX_WAKE_OP's write of the second
 * word (also on a page a fork left copy-on-write, and on a read-only page),
 * CMP_REQUEUE's check, and a wake between two processes through a shared
 * page. */
#include <errno.h>
#if __has_include(<linux/futex.h>)
#include <linux/futex.h>
#else  /* a libc built without the kernel's headers (musl here): the ABI's values */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    (((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff))
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *word, int op, uint32_t value, const struct timespec *timeout, uint32_t *second,
                  uint32_t value3) {
    return syscall(SYS_futex, word, op, value, timeout, second, value3);
}

static void show(const char *what, long result) {
    printf("%s: %ld%s%s\n", what, result, result < 0 ? " " : "", result < 0 ? strerror(errno) : "");
}

static uint32_t word = 7, second = 1;

int main(void) {
    struct timespec brief = {0, 20 * 1000 * 1000};
    show("wait, times out", futex(&word, FUTEX_WAIT, 7, &brief, NULL, 0));
    show("wait, word changed", futex(&word, FUTEX_WAIT, 8, &brief, NULL, 0));
    show("wake, nobody waits", futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0));
    show("private wake", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    /* second += 5, then wake word's waiters and, if second was 1, second's */
    const uint32_t add_five_if_one = FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 1);
    show("wake_op", futex(&word, FUTEX_WAKE_OP, 1, (void *)1, &second, add_five_if_one));
    printf("second word: %u\n", second);
    show("cmp_requeue, word differs", futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)1, &second, 99));
    show("cmp_requeue, word matches", futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)1, &second, 7));
    show("unaligned word", futex((uint32_t *)((char *)&word + 1), FUTEX_WAKE, 1, NULL, NULL, 0));

    uint32_t *readonly = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("wake_op on a read-only word", futex(&word, FUTEX_WAKE_OP, 1, (void *)1, readonly, add_five_if_one));

    /* After a fork the heap is copy-on-write: the child's wake_op writes its
     * own copy (of a word in the middle of 1 MiB nothing else touches), the
     * parent's stays. */
    uint32_t *heap = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t *cow = heap + (1 << 20) / 8;
    *cow = 1;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        show("child's wake_op", futex(&word, FUTEX_WAKE_OP, 1, (void *)1, cow, FUTEX_OP(FUTEX_OP_SET, 42, 0, 0)));
        printf("child's word: %u\n", *cow);
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("parent's word: %u\n", *cow);

    /* A wake through a page both processes share. */
    uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *shared = 0;
    fflush(stdout);
    child = fork();
    if (child == 0) {
        while (__atomic_load_n(shared, __ATOMIC_SEQ_CST) == 0) futex(shared, FUTEX_WAIT, 0, NULL, NULL, 0);
        printf("child woke with %u\n", *shared);
        fflush(stdout);
        _exit(0);
    }
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    __atomic_store_n(shared, 5, __ATOMIC_SEQ_CST);
    int status = 0;
    pid_t reaped = 0;
    while (!reaped) {  /* until it was woken, or saw the word before it waited */
        if (futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0) > 0) reaped = waitpid(child, &status, 0);
        else if (!(reaped = waitpid(child, &status, WNOHANG))) nanosleep(&pause, NULL);
    }
    printf("child exited %d\n", WEXITSTATUS(status));
    return 0;
}
