/* fork under LD_PRELOAD, while other threads are inside malloc/free in a
   tight loop at the moment of fork. Not linked with shardguard.

   usage: preload_fork MODE
     alloc  the child allocates and frees right after fork (small, large,
            calloc, realloc, a new thread), then exits 0
     exec   the child execs /bin/sh, which allocates under shardguard (it is
            preloaded too) and checks its own maps; also system()
   A child that deadlocks is killed by alarm() and counts as a failure. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { LOOPERS = 2, FORKS = 30, SLOTS = 64 };
static atomic_int stop;
static atomic_long loops;

/* Tight malloc/free loop with a mix of sizes and cross-slot reuse, so the
   fork lands inside the allocator's fast and slow paths alike. */
static void* looper(void* arg) {
  uint64_t x = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
  void* live[SLOTS] = {0};
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const size_t i = x % SLOTS;
    free(live[i]);
    const size_t size = (x >> 8) % 100 == 0 ? (size_t)(x >> 20) % (4u << 20) : (size_t)(x >> 20) % 2000;
    live[i] = malloc(size + 1);
    atomic_fetch_add_explicit(&loops, 1, memory_order_relaxed);
  }
  for (size_t i = 0; i < SLOTS; i++) free(live[i]);
  return NULL;
}

static void* child_thread(void* arg) {
  (void)arg;
  void* p = malloc(3000);
  if (p) memset(p, 3, 3000);
  return p;
}

/* In the child: every kind of allocation must work at once. */
static int child_allocates(void) {
  for (int j = 0; j < 20000; j++) {
    const size_t size = 1 + (size_t)j % 5000;
    char* p = malloc(size);
    if (!p) return 2;
    memset(p, 1, size);
    if (j % 3) free(p);
  }
  char* z = calloc(1, 1 << 20);
  if (!z) return 3;
  for (size_t i = 0; i < (1u << 20); i += 4096)
    if (z[i]) return 4;
  char* big = realloc(z, 16u << 20);
  if (!big) return 5;
  memset(big, 2, 16u << 20);
  free(big);
  pthread_t t;
  void* from_thread = NULL;
  if (pthread_create(&t, NULL, child_thread, NULL) != 0 || pthread_join(t, &from_thread) != 0) return 6;
  if (!from_thread) return 7;
  free(from_thread);
  return 0;
}

static int child_execs(void) {
  execl("/bin/sh", "sh", "-c", "x=$(ls / | sort); [ -n \"$x\" ] && grep -q shardguard /proc/self/maps", (char*)NULL);
  return 10;  // exec failed
}

int main(int argc, char** argv) {
  if (argc != 2 || (strcmp(argv[1], "alloc") != 0 && strcmp(argv[1], "exec") != 0)) {
    fprintf(stderr, "usage: %s alloc|exec\n", argv[0]);
    return 2;
  }
  if (!dlsym(RTLD_DEFAULT, "mi_malloc")) {
    fprintf(stderr, "FAIL: shardguard is not preloaded\n");
    return 1;
  }
  const int exec_mode = strcmp(argv[1], "exec") == 0;
  pthread_t threads[LOOPERS];
  for (intptr_t i = 0; i < LOOPERS; i++) pthread_create(&threads[i], NULL, looper, (void*)(i + 1));
  while (atomic_load(&loops) < 10000) usleep(100);  // the loopers are running

  int failures = 0;
  for (int i = 0; i < FORKS; i++) {
    const pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      alarm(20);  // a deadlock in the child shows up as SIGALRM
      _exit(exec_mode ? child_execs() : child_allocates());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
      fprintf(stderr, "FAIL: child %d killed by signal %d%s\n", i, WTERMSIG(status),
              WTERMSIG(status) == SIGALRM ? " (deadlocked after fork)" : "");
      failures++;
    } else if (WEXITSTATUS(status) != 0) {
      fprintf(stderr, "FAIL: child %d exited with %d\n", i, WEXITSTATUS(status));
      failures++;
    }
    usleep(1000 * (i % 3));  // land the next fork elsewhere in the loop
  }
  if (exec_mode) {
    const int rc = system("x=$(ls / | wc -l); [ \"$x\" -gt 0 ] && grep -q shardguard /proc/self/maps");
    if (rc != 0) {
      fprintf(stderr, "FAIL: system() returned %d\n", rc);
      failures++;
    }
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < LOOPERS; i++) pthread_join(threads[i], NULL);
  if (failures) {
    fprintf(stderr, "preload_fork %s: %d failure(s)\n", argv[1], failures);
    return 1;
  }
  printf("preload_fork %s: OK (%d forks while %d threads looped in malloc/free)\n", argv[1], FORKS, LOOPERS);
  return 0;
}
