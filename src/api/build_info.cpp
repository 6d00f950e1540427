// shardguard_build_info(): the library describes itself, so `shardguard info`
// reads the layers from the file that is loaded, not from a package list
// that could drift from it.
#include "shardguard.h"

#include <shardguard/config.h>

namespace {

#ifdef NDEBUG
#define SHARDGUARD_BUILD_KIND "release"
#else
#define SHARDGUARD_BUILD_KIND "debug"
#endif

constexpr char kBuildInfo[] = SHARDGUARD_CONFIG_DESCRIPTION " build=" SHARDGUARD_BUILD_KIND;

}  // namespace

extern "C" const char* shardguard_build_info(void) { return kBuildInfo; }
