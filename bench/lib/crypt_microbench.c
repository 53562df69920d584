/*
 * The raw cost of the password hash behind the control rows of bench.pl ("auth_basic
 * sha1crypt"): crypt_r(3) called exactly as nginx's auth_basic calls it (ngx_libc_crypt in
 * src/os/unix/ngx_user.c: a crypt_data on the stack, `initialized` cleared, one call per
 * request), in a warm loop, as the module's microbenchmark times its signature checks.
 *
 *   crypt_microbench SETTING PASSWORD [MILLISECONDS]
 *
 * Prints one number: nanoseconds per call, the fastest of five runs of MILLISECONDS each
 * (default 300). Exits 1 if crypt_r refuses SETTING.
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Keeps the result alive, so that the compiler cannot drop the call. */
static volatile char sink;

static int hash_once(const char *password, const char *setting)
{
    struct crypt_data data;
    data.initialized = 0;
    const char *value = crypt_r(password, setting, &data);
    if (value == NULL || value[0] == '*') {
        return 0;
    }
    sink = value[strlen(value) - 1];
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SETTING PASSWORD [MILLISECONDS]\n", argv[0]);
        return 2;
    }
    const char *setting = argv[1];
    const char *password = argv[2];
    double run_ns = (argc > 3 ? atof(argv[3]) : 300) * 1e6;
    if (!hash_once(password, setting)) {
        fprintf(stderr, "crypt_r refuses the setting %s\n", setting);
        return 1;
    }
    double best = 0;
    for (int run = 0; run < 5; run++) {
        double start = now_ns(), elapsed;
        long calls = 0;
        do {
            hash_once(password, setting);
            calls++;
            elapsed = now_ns() - start;
        } while (elapsed < run_ns);
        double per_call = elapsed / calls;
        if (best == 0 || per_call < best) {
            best = per_call;
        }
    }
    printf("%.0f\n", best);
    return 0;
}
