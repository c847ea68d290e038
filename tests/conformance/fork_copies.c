/* Memory a fork leaves copy-on-write, written every way a program writes:
 * each process sees its own writes and never the other's, whether it wrote
 * with a store, a string instruction, memcpy, a system call (read, a signal
 * frame on an inherited stack) or after mprotect; across several forks. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1u << 20)
#define SIZE (3 * MIB + 12345)

static unsigned sum(const unsigned char *p, size_t n) {
    unsigned s = 0;
    for (size_t i = 0; i < n; ++i) s = s * 31 + p[i];
    return s;
}

static volatile sig_atomic_t handled;
static void on_usr1(int signo) { handled = signo; }

static void child_writes(unsigned char *heap, unsigned char *mapped, int how) {
    int fds[2];
    switch (how) {
    case 0:  /* plain stores, one a MiB */
        for (size_t at = 0; at < SIZE; at += MIB) heap[at] = 0xaa;
        break;
    case 1:  /* rep stos, across run boundaries */
        memset(heap + MIB - 100, 0x55, 2 * MIB);
        break;
    case 2:  /* the host writes it: read() from a pipe */
        if (pipe(fds) != 0) exit(3);
        write(fds[1], "written by read", 15);
        if (read(fds[0], heap + 2 * MIB - 7, 15) != 15) exit(4);
        break;
    case 3:  /* made read-only, then writable again, then written */
        if (mprotect(mapped, MIB, PROT_READ) != 0 || mprotect(mapped, MIB, PROT_READ | PROT_WRITE) != 0) exit(5);
        mapped[4096] = 0x77;
        break;
    case 4:  /* a signal frame on the inherited stack */
        signal(SIGUSR1, on_usr1);
        raise(SIGUSR1);
        heap[0] = (unsigned char)handled;
        break;
    }
    printf("child %d: heap %08x mapped %08x\n", how, sum(heap, SIZE), sum(mapped, MIB));
    fflush(stdout);
}

int main(void) {
    unsigned char *heap = malloc(SIZE);
    unsigned char *mapped = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!heap || mapped == MAP_FAILED) return 1;
    for (size_t i = 0; i < SIZE; ++i) heap[i] = (unsigned char)(i * 7);
    memset(mapped, 0x11, MIB);
    printf("parent: heap %08x mapped %08x\n", sum(heap, SIZE), sum(mapped, MIB));
    fflush(stdout);
    for (int how = 0; how < 5; ++how) {
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            child_writes(heap, mapped, how);
            _exit(0);
        }
        int status;
        waitpid(child, &status, 0);
        /* The parent writes too, between forks: the next child sees it. */
        heap[how * 1000] ^= 0xff;
        printf("after child %d (status %d): heap %08x mapped %08x\n", how, WEXITSTATUS(status), sum(heap, SIZE),
               sum(mapped, MIB));
        fflush(stdout);
    }
    /* Two generations: a grandchild writes what both ancestors still share. */
    pid_t child = fork();
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            memcpy(heap + MIB, heap, MIB);
            printf("grandchild: heap %08x\n", sum(heap, SIZE));
            fflush(stdout);
            _exit(0);
        }
        waitpid(grandchild, NULL, 0);
        printf("child: heap %08x\n", sum(heap, SIZE));
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("parent at the end: heap %08x mapped %08x\n", sum(heap, SIZE), sum(mapped, MIB));
    return 0;
}
