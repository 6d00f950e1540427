# What an operator gets beside the libraries (component runtime):
#  - bin/shardguard: the same script as scripts/shardguard; run from an
#    installed tree (no CMakeLists.txt above it) it offers run, info and
#    doctor against the libraries next to it;
#  - libexec/shardguard/shardguard-probe: a small C program that asks a
#    library for shardguard_build_info() (the script cannot call functions),
#    and installed.sh, the script's info/doctor half;
#  - the documentation and the preloading examples.
add_executable(shardguard-probe tools/shardguard_probe.c)
target_link_libraries(shardguard-probe PRIVATE ${CMAKE_DL_LIBS})
target_compile_options(shardguard-probe PRIVATE -Wall -Wextra)
install(TARGETS shardguard-probe RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/shardguard COMPONENT runtime)
install(PROGRAMS scripts/shardguard DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
# Its info/doctor half, which it sources (PREFIX/libexec/shardguard: the
# script looks there, so LIBEXECDIR must stay the default "libexec").
install(FILES scripts/installed.sh DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/shardguard COMPONENT runtime)
install(FILES README.md SECURITY.md docs/options.md docs/policies.md docs/operations.md docs/preloading.md
  docs/CHANGELOG.md docs/api.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY docs/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT runtime)
