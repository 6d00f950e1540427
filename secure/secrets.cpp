#include "secure/secrets.h"

#include <sys/random.h>
#include <time.h>

#include <cerrno>

#include "secure/random.h"

namespace shardguard::secure {

constinit Secrets secrets{};

uint64_t os_random() {
  const int saved = errno;
  uint64_t value = 0;
  if (getrandom(&value, sizeof value, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof value)) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t mix = static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(ts.tv_sec) << 32) ^ reinterpret_cast<uintptr_t>(&value);
    value = rng_next(mix);
  }
  errno = saved;
  return value;
}

void secrets_init() {
  secrets.free_cookie = os_random();
  secrets.size_key = os_random() | 0x80;  // the canary's first byte: never text, never NUL
  secrets.delayed_keys[0] = os_random();
  secrets.delayed_keys[1] = os_random() | 1;
  secrets.aligned_tag = os_random();
}

}  // namespace shardguard::secure
