/* A small memcached load generator and checker (text protocol, loopback).

   usage: memcached_load PORT THREADS SECONDS VALUE_SIZE KEYS

   Each thread opens one connection and, until SECONDS have passed, runs
   rounds of one `set` and four `get`s on random keys of KEYS. The value of
   key k is a fixed function of k, so every hit can be checked byte for byte
   (a miss is fine: the cache may evict). Prints
     requests=N seconds=S rps=R hits=H misses=M
   and exits 0; exits 1 on any protocol error, wrong value or I/O failure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, threads, seconds, value_size, keys;
static double deadline;

struct worker {
  pthread_t thread;
  long requests, hits, misses;
  int failed;
  char why[320];
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char value_byte(unsigned k, int i) { return (unsigned char)('a' + (k * 31u + (unsigned)i * 7u) % 26u); }

/* Buffered reads of one connection. */
struct conn {
  int fd;
  char buf[1 << 16];
  size_t start, end;
};

static int fill(struct conn* c) {
  if (c->start > 0 && c->start == c->end) c->start = c->end = 0;
  if (c->end == sizeof c->buf) {
    memmove(c->buf, c->buf + c->start, c->end - c->start);
    c->end -= c->start;
    c->start = 0;
  }
  ssize_t n = read(c->fd, c->buf + c->end, sizeof c->buf - c->end);
  if (n <= 0) return -1;
  c->end += (size_t)n;
  return 0;
}

/* Reads one line (without \r\n) into out. */
static int read_line(struct conn* c, char* out, size_t cap) {
  for (;;) {
    char* nl = memchr(c->buf + c->start, '\n', c->end - c->start);
    if (nl) {
      size_t len = (size_t)(nl - (c->buf + c->start));
      if (len > 0 && c->buf[c->start + len - 1] == '\r') len--;
      if (len >= cap) return -1;
      memcpy(out, c->buf + c->start, len);
      out[len] = '\0';
      c->start = (size_t)(nl - c->buf) + 1;
      return 0;
    }
    if (fill(c) != 0) return -1;
  }
}

static int read_exact(struct conn* c, char* out, size_t n) {
  while (n > 0) {
    if (c->start == c->end && fill(c) != 0) return -1;
    size_t take = c->end - c->start < n ? c->end - c->start : n;
    memcpy(out, c->buf + c->start, take);
    c->start += take;
    out += take;
    n -= take;
  }
  return 0;
}

static int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

#define FAIL(w, ...)                                  \
  do {                                                \
    snprintf((w)->why, sizeof (w)->why, __VA_ARGS__); \
    (w)->failed = 1;                                  \
    goto out;                                         \
  } while (0)

static void* run(void* arg) {
  struct worker* w = arg;
  struct conn* c = calloc(1, sizeof *c);
  char* req = malloc((size_t)value_size + 128);
  char* val = malloc((size_t)value_size + 2);
  char line[256];
  unsigned seed = (unsigned)(uintptr_t)w ^ (unsigned)getpid();
  if (!c || !req || !val) FAIL(w, "out of memory");
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (c->fd < 0 || connect(c->fd, (struct sockaddr*)&addr, sizeof addr) != 0) FAIL(w, "connect: %s", strerror(errno));
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  while (now_s() < deadline) {
    for (int op = 0; op < 5; op++) {
      unsigned k = (unsigned)rand_r(&seed) % (unsigned)keys;
      if (op == 0) {
        int n = snprintf(req, 128, "set key:%u 0 0 %d\r\n", k, value_size);
        for (int i = 0; i < value_size; i++) req[n + i] = (char)value_byte(k, i);
        memcpy(req + n + value_size, "\r\n", 2);
        if (write_all(c->fd, req, (size_t)n + (size_t)value_size + 2) != 0) FAIL(w, "write failed");
        if (read_line(c, line, sizeof line) != 0) FAIL(w, "connection lost after set");
        if (strcmp(line, "STORED") != 0) FAIL(w, "set key:%u answered '%s'", k, line);
      } else {
        int n = snprintf(req, 128, "get key:%u\r\n", k);
        if (write_all(c->fd, req, (size_t)n) != 0) FAIL(w, "write failed");
        if (read_line(c, line, sizeof line) != 0) FAIL(w, "connection lost after get");
        if (strcmp(line, "END") == 0) {
          w->misses++;
        } else {
          unsigned rk;
          int flags, len;
          if (sscanf(line, "VALUE key:%u %d %d", &rk, &flags, &len) != 3 || rk != k || len != value_size)
            FAIL(w, "get key:%u answered '%s'", k, line);
          if (read_exact(c, val, (size_t)len + 2) != 0) FAIL(w, "connection lost in a value");
          for (int i = 0; i < len; i++)
            if ((unsigned char)val[i] != value_byte(k, i)) FAIL(w, "key:%u byte %d is wrong", k, i);
          if (read_line(c, line, sizeof line) != 0 || strcmp(line, "END") != 0) FAIL(w, "no END after a value");
          w->hits++;
        }
      }
      w->requests++;
    }
  }
out:
  if (c && c->fd > 0) close(c->fd);
  free(c);
  free(req);
  free(val);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s PORT THREADS SECONDS VALUE_SIZE KEYS\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  threads = atoi(argv[2]);
  seconds = atoi(argv[3]);
  value_size = atoi(argv[4]);
  keys = atoi(argv[5]);
  if (port <= 0 || threads <= 0 || seconds <= 0 || value_size <= 0 || keys <= 0) {
    fprintf(stderr, "memcached_load: every argument must be a positive integer\n");
    return 2;
  }
  struct worker* w = calloc((size_t)threads, sizeof *w);
  if (!w) return 1;
  const double start = now_s();
  deadline = start + seconds;
  for (int t = 0; t < threads; t++) pthread_create(&w[t].thread, NULL, run, &w[t]);
  long requests = 0, hits = 0, misses = 0;
  int failed = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(w[t].thread, NULL);
    requests += w[t].requests;
    hits += w[t].hits;
    misses += w[t].misses;
    if (w[t].failed) {
      fprintf(stderr, "memcached_load: thread %d: %s\n", t, w[t].why);
      failed = 1;
    }
  }
  const double elapsed = now_s() - start;
  printf("requests=%ld seconds=%.2f rps=%.0f hits=%ld misses=%ld\n", requests, elapsed, (double)requests / elapsed,
         hits, misses);
  if (hits == 0) {
    fprintf(stderr, "memcached_load: no get ever hit: the values were not stored\n");
    failed = 1;
  }
  free(w);
  return failed;
}
