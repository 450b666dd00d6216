/* test_tsanclose.c -- daemon/tsanclose.c: TSan must see the descriptors libuv closes.
 *
 * The sequence CI once failed on, made deterministic: the main thread runs a libuv loop,
 * opens a pipe with uv_pipe() and closes the pipe and the loop through libuv (which closes
 * with syscall(SYS_close)), and a thread that started before, and is told to go on only through a relaxed atomic (no
 * happens-before), opens a file and gets the same descriptor number. Without the shim the
 * TSan build reports a race on that descriptor and halts (exit 66); with it, none. In the
 * builds without TSan the shim is not linked, and the test checks only the precondition (the
 * number is reused) and that syscall() still answers as libc's does. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include "test.h"

static int go;          /* relaxed on purpose: no happens-before from the loop thread */
static int opened = -1;

static void *opener_cb(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&go, __ATOMIC_RELAXED))
        usleep(1000);
    __atomic_store_n(&opened, open("/dev/null", O_RDONLY | O_CLOEXEC), __ATOMIC_RELAXED);
    return NULL;
}

TEST(fd_closed_by_libuv_and_reused_on_another_thread)
{
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, opener_cb, NULL), 0);

    /* the lowest free number now: libuv's loop takes it (its epoll descriptor) */
    int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT(lowest >= 0);
    ASSERT_EQ(close(lowest), 0);

    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    uv_file fds[2];
    ASSERT_EQ(uv_pipe(fds, 0, 0), 0);
    uv_pipe_t a, b;
    ASSERT_EQ(uv_pipe_init(&loop, &a, 0), 0);
    ASSERT_EQ(uv_pipe_init(&loop, &b, 0), 0);
    ASSERT_EQ(uv_pipe_open(&a, fds[0]), 0);
    ASSERT_EQ(uv_pipe_open(&b, fds[1]), 0);
    uv_close((uv_handle_t *)&a, NULL);
    uv_close((uv_handle_t *)&b, NULL);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(&loop), 0);

    __atomic_store_n(&go, 1, __ATOMIC_RELAXED);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    int fd = __atomic_load_n(&opened, __ATOMIC_RELAXED);
    /* the thread got a number libuv used and closed (the loop's, then the pipe's ends above
     * it): otherwise this tests nothing */
    ASSERT_EQ(fd, lowest);
    ASSERT(fds[0] > lowest);
    ASSERT_EQ(close(fd), 0);
    return 0;
}

TEST(other_syscalls_pass_through)
{
    ASSERT_EQ(syscall(SYS_getpid), (long)getpid());
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT(fd >= 0);
    ASSERT_EQ(syscall(SYS_close, fd), 0);
    errno = 0;
    ASSERT_EQ(syscall(SYS_close, fd), -1);
    ASSERT_EQ(errno, EBADF);
    char buf[4];
    ASSERT_EQ(syscall(SYS_read, -1, buf, sizeof buf), -1);
    ASSERT_EQ(errno, EBADF);
    return 0;
}

TEST_LIST = {
    TEST_ENTRY(fd_closed_by_libuv_and_reused_on_another_thread),
    TEST_ENTRY(other_syscalls_pass_through),
    TEST_END,
};
TEST_MAIN()
