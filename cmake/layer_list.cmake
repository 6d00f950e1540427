# The hardening layers, in one place (hardening_layers.cmake and the policy
# files read it). Each is documented in secure/ where it is implemented.
set(SHARDGUARD_LAYERS
  GUARD_PAGES        # PROT_NONE pages around pages, spans and metadata (secure/guard_pages.h)
  RANDOMIZE          # random free-list order, page and slot choice, placement (secure/randomize.h)
  ENCRYPT_FREELIST   # free-list links stored encoded with per-page keys (secure/encrypted_links.h)
  DOUBLE_FREE        # deterministic double-free detection (secure/double_free.h)
  INVALID_FREE       # interior/foreign/misaligned free detection (secure/invalid_free.h)
  CANARIES           # canary after each block, checked at free (secure/canary.h)
  FILL_CHECK         # freed memory zeroed and checked at reuse (secure/fill.h)
  QUARANTINE         # freed blocks wait before reuse, checked when they leave (secure/quarantine.h)
  MALLOC_HOOKS       # not a mitigation: libFuzzer's malloc/free hooks are called (secure/malloc_hooks.h)
)
