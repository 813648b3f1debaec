# mailwire is header-only: the port installs headers, a CMake package and a
# pkg-config file, and nothing that depends on the triplet.
#
# No release has been tagged yet. Once v${VERSION} is, vcpkg_from_github()
# below downloads it; SHA512 0 is a placeholder until then (vcpkg refuses it
# and prints the real hash). Until a release exists, use this port as an
# overlay on a local checkout, named by the environment variable
# MAILWIRE_SOURCE_DIR (see the README; on Windows also set
# VCPKG_KEEP_ENV_VARS=MAILWIRE_SOURCE_DIR so that vcpkg passes it through).
if(DEFINED ENV{MAILWIRE_SOURCE_DIR})
    set(SOURCE_PATH "$ENV{MAILWIRE_SOURCE_DIR}")
else()
    vcpkg_from_github(
        OUT_SOURCE_PATH SOURCE_PATH
        REPO mailwire/mailwire
        REF "v${VERSION}"
        SHA512 0
        HEAD_REF main
    )
endif()

# No libraries, so one configuration is enough and there is no debug tree.
set(VCPKG_BUILD_TYPE release)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DMAILWIRE_INSTALL=ON
        -DMAILWIRE_BUILD_TESTS=OFF
        -DMAILWIRE_BUILD_EXAMPLES=OFF
        -DMAILWIRE_BUILD_BENCHMARKS=OFF
        -DMAILWIRE_BUILD_FUZZERS=OFF
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/mailwire)
vcpkg_fixup_pkgconfig()

# Header-only: nothing may be left in lib/ or under debug/.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/lib" "${CURRENT_PACKAGES_DIR}/debug")

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
