// Giving the memory of free page slots back to the OS, a while after they
// were freed (the purge delay), unless they are reused first.
//
// Each thread keeps its free, still-resident slots in one queue, oldest
// first. With one delay for all of them the queue is ordered by due time,
// so finding what is due looks only at its front, and each call purges at
// most a bounded amount: no allocation or free ever walks the thread's
// segments or pays for more than kPurgeBudgetBytes of madvise.
#pragma once
#include "core/types.h"

namespace shardguard::purge {

// The purge delay in milliseconds: 0 purges at once, negative never (only
// an explicit collect does).
int64_t delay_ms();
// When a slot freed at `now` is due for purging: now + the delay, saturated
// (a delay of LONG_MAX from the environment means never, not an overflow);
// INT64_MAX for a negative delay. Never 0 (which means "nothing pending").
int64_t due_at(int64_t now);

// A slot was just freed with its memory still resident: purge it later.
void schedule(ThreadData* tld, Page* page);
// A slot is taken again before its purge: it keeps its memory.
void cancel(ThreadData* tld, Page* page);
// Purges what is due, at most kPurgeBudgetBytes of it; with force, every
// pending slot of the thread, due or not.
void run(ThreadData* tld, bool force);
// The empty segment s leaves the thread (to the segment cache): its pending
// slots leave the queue, still resident (the cache purges the segment).
void forget(ThreadData* tld, Segment* s);

}  // namespace shardguard::purge
