# Debian packages with CPack, one per install component:
#   libshardguard      the shared library of every policy this build makes
#                      (versioned SONAME), the `shardguard` command and its
#                      probe, the documentation
#   libshardguard-dev  headers, static library, libshardguard*.so links,
#                      CMake package, pkg-config file
# The version is project(VERSION) in CMakeLists.txt, the one place it is
# written. Build: `cpack -G DEB` in the build folder (the script's `test`
# does it for build/fast). Configure with -DCMAKE_INSTALL_PREFIX=/usr, so
# that GNUInstallDirs picks the multiarch libdir (lib/x86_64-linux-gnu).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shardguard)
set(CPACK_PACKAGE_VENDOR "shardguard")
# (No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPack would put it in front of each
# package's own first line, the Debian synopsis.)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "shardguard maintainers <shardguard@localhost>")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)  # nothing else (tests, benchmarks) is packaged
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # NAME_VERSION_ARCH.deb

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libshardguard)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "hardened memory allocator with the mimalloc C API
A malloc replacement to preload into programs: libshardguard.so.${PROJECT_VERSION_MAJOR} is the \
plain allocator (policy fast), libshardguard-POLICY.so.${PROJECT_VERSION_MAJOR} the hardened \
policies. The shardguard command runs a program on a policy (run), lists the \
policies and the layers each library was built with (info), and checks what \
the hardening needs from the system (doctor).")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libshardguard-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "hardened memory allocator with the mimalloc C API (development files)
Headers (mimalloc.h, shardguard.h), the static library, the links to link \
against each policy's shared library, the CMake package \
(find_package(shardguard)) and the pkg-config file.")
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)  # libshardguard-dev depends on libshardguard (= version)

# The shlibs file (so packages linking the library get a dependency on it)
# and postinst/postrm scripts that run ldconfig come with it.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
find_program(SHARDGUARD_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SHARDGUARD_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # libc6 (>= ...) from the binaries themselves
else()
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libc6 (>= 2.34)")
endif()

include(CPack)
