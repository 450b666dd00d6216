/* tsanclose.c -- in the ThreadSanitizer build only: lets TSan see the descriptors libuv closes.
 *
 * Debian's libuv closes a descriptor with syscall(SYS_close, fd), which TSan does not
 * intercept, so TSan goes on believing the descriptor is open. When another thread then
 * gets the same number from open(), TSan reports a race on a descriptor that was closed and
 * reused in order: CI saw it as postproc's open() on a pool thread "racing" the loop's earlier
 * uv_pipe() of that number, and halt_on_error stopped the daemon. libuv built by clang with
 * TSan tells the sanitizer itself; for the packaged library this file does it: linksnapd
 * defines syscall(), which the executable's symbol interposes for libuv, announces a close
 * to the sanitizer (the hooks TSan's own close() interceptor uses) and passes every call on
 * to libc's syscall() unchanged. daemon/CMakeLists.txt adds it to linksnapd in TSan builds.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the sanitizer runtime's syscall hooks (compiler-rt's linux_syscall_hooks.h, which gcc
 * does not install) */
void __sanitizer_syscall_pre_impl_close(long fd);
void __sanitizer_syscall_post_impl_close(long res, long fd);

typedef long (*tsanclose_syscall_fn_t)(long, ...);

static tsanclose_syscall_fn_t tsanclose_real(void)
{
    static tsanclose_syscall_fn_t real;
    tsanclose_syscall_fn_t fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (!fn) {
        /* two threads may both look it up; they store the same address */
        fn = (tsanclose_syscall_fn_t)dlsym(RTLD_NEXT, "syscall");
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

long syscall(long number, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, number);
    /* as libc's own wrapper does, take six argument words whatever the call uses */
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);

    tsanclose_syscall_fn_t real = tsanclose_real();
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    if (number == SYS_close)
        __sanitizer_syscall_pre_impl_close(a[0]);
    long rc = real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (number == SYS_close)
        __sanitizer_syscall_post_impl_close(rc, a[0]);
    return rc;
}
