// One misuse per run, by name: `misuse NAME` commits the attack of
// test/secure/attacks.h and reports "not detected" if it survives;
// `misuse --list` prints each attack with the layer that claims it. The
// program is not linked with shardguard: it is run with each policy's
// library preloaded (scripts/shardguard attacks), so the mi_* functions it
// uses are weak references bound at run time.
#include <cstdio>
#include <cstring>

#include "../secure/attack_table.h"

#pragma weak mi_heap_new
#pragma weak mi_heap_malloc
#pragma weak mi_heap_destroy
#pragma weak mi_usable_size
#pragma weak mi_free

namespace {

const char* layer_name(attacks::Layer layer) {
  switch (layer) {
    case attacks::Layer::kGuardPages: return "GUARD_PAGES";
    case attacks::Layer::kRandomize: return "RANDOMIZE";
    case attacks::Layer::kEncryptFreelist: return "ENCRYPT_FREELIST";
    case attacks::Layer::kDoubleFree: return "DOUBLE_FREE";
    case attacks::Layer::kInvalidFree: return "INVALID_FREE";
    case attacks::Layer::kCanaries: return "CANARIES";
    case attacks::Layer::kFillCheck: return "FILL_CHECK";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (const auto& a : attacks::kAttacks) printf("%s %s\n", a.name, layer_name(a.layer));
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: misuse NAME | --list\n");
    return 2;
  }
  for (const auto& a : attacks::kAttacks) {
    if (strcmp(a.name, argv[1]) != 0) continue;
    if (!mi_heap_new && (a.run == attacks::free_after_heap_destroy || a.run == attacks::overflow_across_freed_neighbours)) {
      printf("skipped: needs the mimalloc API\n");
      return 3;
    }
    a.run(true);
    printf("not detected: %s\n", a.name);
    return 0;
  }
  fprintf(stderr, "misuse: unknown attack '%s'\n", argv[1]);
  return 2;
}
