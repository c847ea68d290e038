/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement io_uring_setup (ENOSYS) */
/* io_uring: a ring of requests the kernel carries out without any system
 * call of their own, so nothing that screens system calls sees them. Sets
 * up a ring and submits IORING_OP_OPENAT on the secret, then a read. vx has
 * no io_uring_setup: ENOSYS. */
#include "escape.h"
#include <linux/io_uring.h>
#include <sys/mman.h>

int main(void) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ring = (int)syscall(425 /* io_uring_setup */, 4, &p);
    if (ring < 0) return refused("io_uring_setup", errno, ENOSYS);
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char* sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    char* cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
    struct io_uring_sqe* sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) return refused("mmap(ring)", errno, 0);
    unsigned* sq_tail = (unsigned*)(sq + p.sq_off.tail);
    unsigned* sq_array = (unsigned*)(sq + p.sq_off.array);
    unsigned* cq_head = (unsigned*)(cq + p.cq_off.head);
    unsigned* cq_tail = (unsigned*)(cq + p.cq_off.tail);
    struct io_uring_cqe* cqes = (struct io_uring_cqe*)(cq + p.cq_off.cqes);

    /* One request at a time: submit it, wait for its completion. */
    int result;
    char buffer[64] = {0};
    for (int step = 0; step < 2; ++step) {
        struct io_uring_sqe* sqe = &sqes[0];
        memset(sqe, 0, sizeof *sqe);
        if (step == 0) {
            sqe->opcode = IORING_OP_OPENAT;
            sqe->fd = AT_FDCWD;
            sqe->addr = (unsigned long)secret_path();
            sqe->open_flags = O_RDONLY;
        } else {
            sqe->opcode = IORING_OP_READ;
            sqe->fd = result;
            sqe->addr = (unsigned long)buffer;
            sqe->len = sizeof buffer - 1;
        }
        sq_array[*sq_tail & (p.sq_entries - 1)] = 0;
        __atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
        if (syscall(426 /* io_uring_enter */, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
            return refused("io_uring_enter", errno, 0);
        unsigned head = *cq_head;
        if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) return gained_nothing("io_uring_enter");
        result = cqes[head & (p.cq_entries - 1)].res;
        __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
        if (result < 0) return refused(step == 0 ? "IORING_OP_OPENAT" : "IORING_OP_READ", -result, 0);
    }
    if (strncmp(buffer, "the host's secret", 17) == 0) escaped();
    return gained_nothing("io_uring");
}
