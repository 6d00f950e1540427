/* An example fuzz target with a planted heap bug, for the README's guide to
 * fuzzing with shardguard. It parses a toy record format:
 *
 *   record := kind:u8 len:u8 payload[len]
 *   'N' starts a new message with the payload, 'A' appends the payload,
 *   'T' trims the message to its first payload[0] bytes, 'P' prints it.
 *
 * The bug: an append whose payload ends with '\\' (an escape) also writes
 * the escaped terminator one byte past the grown buffer, once the message
 * is 40 bytes or more. (-DNO_PLANTED_BUG builds it without, to measure
 * executions per second.) glibc's malloc
 * lets the write land in the next chunk's header (or in the block's own
 * rounding) most of the time, so a fuzzer linked with it rarely sees a
 * crash; a canary right after the requested bytes sees every one. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct message {
  char* data;
  size_t len;
};

static void append(struct message* m, const uint8_t* payload, size_t n) {
  if (m->len + n == 0) return; /* realloc(p, 0) may free p */
  char* grown = realloc(m->data, m->len + n);
  if (!grown) return;
  memcpy(grown + m->len, payload, n);
#ifndef NO_PLANTED_BUG
  /* planted: one past the end, once the message is long enough */
  if (m->len + n >= 40 && payload[n - 1] == '\\') grown[m->len + n] = '\0';
#endif
  m->data = grown;
  m->len += n;
}

int LLVMFuzzerTestOneInput(const uint8_t* in, size_t size) {
  struct message m = {NULL, 0};
  size_t i = 0;
  while (i + 2 <= size) {
    const uint8_t kind = in[i], len = in[i + 1];
    i += 2;
    if (len > size - i) break;
    const uint8_t* payload = in + i;
    i += len;
    switch (kind) {
      case 'N':
        free(m.data);
        m.data = NULL;
        m.len = 0;
        append(&m, payload, len);
        break;
      case 'A':
        if (m.data) append(&m, payload, len);
        break;
      case 'T':
        if (m.data && len > 0 && payload[0] < m.len) {
          m.len = payload[0];
          char* shrunk = realloc(m.data, m.len ? m.len : 1);
          if (shrunk) m.data = shrunk;
        }
        break;
      case 'P': {
        volatile size_t sum = 0;
        for (size_t k = 0; k < m.len; k++) sum += (unsigned char)m.data[k];
        break;
      }
      default:
        break;
    }
  }
  free(m.data);
  return 0;
}
