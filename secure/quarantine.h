// Layer quarantine: a block freed by the thread that owns its page is not
// reused at once. It waits in the thread's quarantine (a ring of the last
// SHARDGUARD_QUARANTINE_BLOCKS frees, at most SHARDGUARD_QUARANTINE_BYTES of
// block sizes) and joins its page's free list only when it is pushed out, so
// a use after free reads and writes a block nobody else owns, filled with
// zeroes when fill checks are on, instead of the next object of its size.
//
// Invariant: a block in the quarantine has been through block_release (it
// carries the free mark, its fill window is zero, its link word too) and is
// still counted in its page's `used`, so its page stays alive. When it is
// pushed out, the mark and the whole window, link word included, are
// verified before the block joins a free list: a write while it waited is
// reported there, not found later in some other object.
//
// Only frees by the owning thread are held: a block freed by another thread
// goes to its page's thread_free list as before (it waits there anyway until
// the owner collects it), so no thread's quarantine ever holds a block of a
// page another thread might free (mi_heap_destroy, thread exit). The owner
// empties its quarantine before it destroys a heap, visits blocks, collects
// with force, or exits.
#pragma once
#include <shardguard/config.h>

#include "core/types.h"

namespace shardguard::secure {

// Holds `block` (released, of `page`, owned by the calling thread); may
// push older blocks out.
void quarantine_hold(ThreadData* tld, Page* page, Block* block);

// Pushes every held block out (they join their pages' free lists).
void quarantine_flush(ThreadData* tld);

}  // namespace shardguard::secure
