/* shardguard's own additions to the mimalloc API (mimalloc.h stays exactly
   mimalloc's). */
#ifndef SHARDGUARD_H
#define SHARDGUARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* One line that describes the library the caller runs on, fixed when it was
   built: version, policy, hardening layers and their parameters, e.g.
     "shardguard 0.1.0 policy=secure layers=guard_pages,randomize,...
      guard_every=4 fill_bytes=64 build=release"
   Words are separated by one space; "layers=none" for the plain core. The
   string is static: never free it. Tools (`shardguard info`) call it with
   dlsym, so it answers for the library file itself, not for its package. */
__attribute__((visibility("default"))) const char* shardguard_build_info(void);

#ifdef __cplusplus
}
#endif

#endif /* SHARDGUARD_H */
