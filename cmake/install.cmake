# Install rules: headers, an exported target, a relocatable config, an
# architecture-independent version file and a pkg-config file. Everything goes
# under the data directory because nothing here depends on the architecture.
include(CMakePackageConfigHelpers)

set(MAILWIRE_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/cmake/mailwire" CACHE STRING
  "Where mailwireConfig.cmake is installed, relative to the prefix")

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS mailwire EXPORT mailwire-targets)
install(EXPORT mailwire-targets NAMESPACE mailwire:: DESTINATION ${MAILWIRE_CMAKE_DIR})
# Build-tree export, for projects that point CMAKE_PREFIX_PATH at our build dir.
export(EXPORT mailwire-targets NAMESPACE mailwire::
       FILE "${PROJECT_BINARY_DIR}/mailwire-targets.cmake")

configure_package_config_file(cmake/mailwireConfig.cmake.in
  "${PROJECT_BINARY_DIR}/mailwireConfig.cmake"
  INSTALL_DESTINATION ${MAILWIRE_CMAKE_DIR})
# 0.x: minor versions may break the API, so only the same minor is compatible.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/mailwireConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/mailwireConfig.cmake"
              "${PROJECT_BINARY_DIR}/mailwireConfigVersion.cmake"
        DESTINATION ${MAILWIRE_CMAKE_DIR})

# pkg-config: the include dir is written relative to ${prefix} so the tree
# stays relocatable.
file(RELATIVE_PATH MAILWIRE_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_DATADIR}/pkgconfig" "/prefix")
configure_file(cmake/mailwire.pc.in "${PROJECT_BINARY_DIR}/mailwire.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/mailwire.pc" DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)
