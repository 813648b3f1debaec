# Checks ports/mailwire without vcpkg: does on the local tree what the
# portfile asks vcpkg to do, then checks the package the way vcpkg's
# post-build checks and a user's find_package would. Leaves the package in
# <WORK_DIR>/packages/mailwire for package.vcpkg_consumer.
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<dir> -DGENERATOR=<generator>
#         [-DMAKE_PROGRAM=<path>] [-DCXX_COMPILER=<path>] -P vcpkg_port.cmake
cmake_minimum_required(VERSION 3.21)

set(port_dir "${SOURCE_DIR}/ports/mailwire")
set(packages "${WORK_DIR}/packages/mailwire")
file(REMOVE_RECURSE "${WORK_DIR}")

function(fail text)
  message(FATAL_ERROR "vcpkg port: ${text}")
endfunction()

# ------------------------------------------------------------ the manifest
file(STRINGS "${SOURCE_DIR}/include/mailwire/version.hpp" version
     REGEX "#define MAILWIRE_VERSION_STRING ")
string(REGEX REPLACE ".*\"(.*)\".*" "\\1" version "${version}")
file(READ "${port_dir}/vcpkg.json" manifest)
string(JSON port_version GET "${manifest}" version)
if(NOT port_version STREQUAL version)
  fail("vcpkg.json has version ${port_version}, version.hpp has ${version}")
endif()
string(JSON license GET "${manifest}" license)
string(JSON fmt_dependency GET "${manifest}" features fmt dependencies 0)
if(NOT license STREQUAL "MIT" OR NOT fmt_dependency STREQUAL "fmt")
  fail("vcpkg.json needs license MIT and a feature fmt that depends on fmt")
endif()

# ------------------------------------------------------------ the portfile
# Read as text: each vcpkg call's arguments, with the variables vcpkg gives a
# portfile expanded, so the emulation below does what the portfile says.
file(READ "${port_dir}/portfile.cmake" portfile)
string(REGEX REPLACE "#[^\n]*" "" portfile "${portfile}")
# Before the first release the README sends users to the overlay on a local
# checkout; the portfile must take it from MAILWIRE_SOURCE_DIR.
if(NOT portfile MATCHES "if\\(DEFINED ENV{MAILWIRE_SOURCE_DIR}\\)[ \n]*set\\(SOURCE_PATH \"\\\$ENV{MAILWIRE_SOURCE_DIR}\"\\)")
  fail("portfile.cmake must set SOURCE_PATH to \$ENV{MAILWIRE_SOURCE_DIR} when that is defined (README: vcpkg)")
endif()
set(PORT mailwire)
set(VERSION "${version}")
set(SOURCE_PATH "${SOURCE_DIR}")
set(CURRENT_PACKAGES_DIR "${packages}")
string(REPLACE "\${CMAKE_CURRENT_LIST_DIR}" "${port_dir}" portfile "${portfile}")
string(CONFIGURE "${portfile}" portfile)

# Sets <prefix>_<keyword> from the arguments of the one call to <command>;
# keywords the emulation does not know are an error.
macro(portfile_call command prefix options one_value multi_value)
  string(REGEX MATCHALL "${command}\\([^)]*\\)" _calls "${portfile}")
  list(LENGTH _calls _count)
  if(NOT _count EQUAL 1)
    fail("portfile.cmake must call ${command}() once")
  endif()
  string(REGEX REPLACE "^${command}\\((.*)\\)$" "\\1" _args "${_calls}")
  separate_arguments(_args UNIX_COMMAND "${_args}")
  cmake_parse_arguments(${prefix} "${options}" "${one_value}" "${multi_value}" ${_args})
  if(DEFINED ${prefix}_UNPARSED_ARGUMENTS)
    fail("${command}(): this test does not emulate '${${prefix}_UNPARSED_ARGUMENTS}'")
  endif()
endmacro()

# The port ships with the sources it packages, so it never needs patches.
if(portfile MATCHES "PATCHES")
  fail("portfile.cmake applies patches; fix the sources instead")
endif()
portfile_call(vcpkg_from_github from "" "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF" "")
if(NOT from_REF STREQUAL "v${version}")
  fail("vcpkg_from_github() fetches ${from_REF}, not the release tag v${version}")
endif()
if(NOT portfile MATCHES "set\\(VCPKG_BUILD_TYPE release\\)")
  fail("portfile.cmake must set VCPKG_BUILD_TYPE release (header-only)")
endif()

# vcpkg_cmake_configure() + vcpkg_cmake_install(), release only.
portfile_call(vcpkg_cmake_configure configure "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE")
foreach(option IN LISTS configure_OPTIONS configure_OPTIONS_RELEASE)
  if(NOT option MATCHES "^-")  # an unknown keyword swallowed by OPTIONS
    fail("vcpkg_cmake_configure(): this test does not emulate '${option}'")
  endif()
endforeach()
include("${CMAKE_CURRENT_LIST_DIR}/toolchain.cmake")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${configure_SOURCE_PATH}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
          ${toolchain} -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${packages}"
          ${configure_OPTIONS} ${configure_OPTIONS_RELEASE}
  COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
portfile_call(vcpkg_cmake_install cmake_install "" "" "")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${WORK_DIR}/build" --config Release
                COMMAND_ERROR_IS_FATAL ANY)

# vcpkg rejects packages that name the directories they were built in; the
# install must be relocatable without vcpkg's rewriting.
file(GLOB_RECURSE installed "${packages}/*")
foreach(file IN LISTS installed)
  file(READ "${file}" contents)
  foreach(dir IN ITEMS "${SOURCE_DIR}" "${WORK_DIR}")
    string(FIND "${contents}" "${dir}" at)
    if(at GREATER_EQUAL 0)
      fail("${file} contains the absolute path ${dir}")
    endif()
  endforeach()
endforeach()

# vcpkg_cmake_config_fixup(): the config files move to share/<package>,
# and their prefix computations are rewritten for that depth.
portfile_call(vcpkg_cmake_config_fixup fixup "" "PACKAGE_NAME;CONFIG_PATH" "")
if(NOT fixup_PACKAGE_NAME)
  set(fixup_PACKAGE_NAME "${PORT}")
endif()
if(NOT fixup_CONFIG_PATH)
  set(fixup_CONFIG_PATH "share/${fixup_PACKAGE_NAME}")
endif()
set(share "${packages}/share/${fixup_PACKAGE_NAME}")
set(config "${packages}/${fixup_CONFIG_PATH}")
if(NOT IS_DIRECTORY "${config}")
  fail("'${config}' does not exist")
endif()
if(NOT config STREQUAL share)
  file(GLOB files "${config}/*")
  file(COPY ${files} DESTINATION "${share}")
  file(REMOVE_RECURSE "${config}")
  get_filename_component(parent "${config}" DIRECTORY)
  get_filename_component(parent_name "${parent}" NAME)
  if(parent_name STREQUAL "cmake")
    file(REMOVE_RECURSE "${parent}")
  endif()
endif()
file(GLOB files "${share}/*.cmake")
foreach(file IN LISTS files)
  file(READ "${file}" contents)
  string(REGEX REPLACE
[[get_filename_component\(_IMPORT_PREFIX "\${CMAKE_CURRENT_LIST_FILE}" PATH\)(
get_filename_component\(_IMPORT_PREFIX "\${_IMPORT_PREFIX}" PATH\))*]]
[[get_filename_component(_IMPORT_PREFIX "${CMAKE_CURRENT_LIST_FILE}" PATH)
get_filename_component(_IMPORT_PREFIX "${_IMPORT_PREFIX}" PATH)
get_filename_component(_IMPORT_PREFIX "${_IMPORT_PREFIX}" PATH)]]
    contents "${contents}")
  string(REGEX REPLACE
[[get_filename_component\(PACKAGE_PREFIX_DIR "\${CMAKE_CURRENT_LIST_DIR}/\.\./(\.\./)*" ABSOLUTE\)]]
[[get_filename_component(PACKAGE_PREFIX_DIR "${CMAKE_CURRENT_LIST_DIR}/../../" ABSOLUTE)]]
    contents "${contents}")
  file(WRITE "${file}" "${contents}")
endforeach()

# vcpkg_fixup_pkgconfig() finds nothing to fix (checked above); header-only
# packages keep their .pc file in share/pkgconfig.
portfile_call(vcpkg_fixup_pkgconfig pkgconfig "" "" "")

# The portfile's removals: they must stay inside the package and must not
# delete anything the install put there.
string(REGEX MATCHALL "file\\(REMOVE_RECURSE[^)]*\\)" removals "${portfile}")
foreach(removal IN LISTS removals)
  string(REGEX REPLACE "^file\\(REMOVE_RECURSE(.*)\\)$" "\\1" paths "${removal}")
  separate_arguments(paths UNIX_COMMAND "${paths}")
  foreach(path IN LISTS paths)
    cmake_path(IS_PREFIX packages "${path}" NORMALIZE inside)
    if(NOT inside OR path STREQUAL packages)
      fail("portfile.cmake removes ${path}, outside the package")
    endif()
    file(GLOB_RECURSE lost "${path}/*")
    if(lost)
      fail("portfile.cmake removes installed files: ${lost}")
    endif()
    file(REMOVE_RECURSE "${path}")
  endforeach()
endforeach()

# vcpkg_install_copyright(), and the portfile's file(INSTALL) of usage.
portfile_call(vcpkg_install_copyright copyright "" "" "FILE_LIST")
set(text "")
foreach(file IN LISTS copyright_FILE_LIST)
  if(NOT EXISTS "${file}")
    fail("the copyright file ${file} does not exist")
  endif()
  file(READ "${file}" contents)
  string(APPEND text "${contents}")
endforeach()
file(WRITE "${share}/copyright" "${text}")
string(REGEX MATCHALL "file\\(INSTALL[^)]*\\)" installs "${portfile}")
foreach(call IN LISTS installs)
  string(REGEX REPLACE "^file\\(INSTALL(.*)\\)$" "\\1" args "${call}")
  separate_arguments(args UNIX_COMMAND "${args}")
  cmake_parse_arguments(install "" "DESTINATION" "" ${args})
  cmake_path(IS_PREFIX packages "${install_DESTINATION}" NORMALIZE inside)
  if(NOT inside)
    fail("portfile.cmake installs into ${install_DESTINATION}, outside the package")
  endif()
  file(INSTALL ${install_UNPARSED_ARGUMENTS} DESTINATION "${install_DESTINATION}")
endforeach()

# ------------------------------------------------------------ the package
foreach(file IN ITEMS include/mailwire/mailwire.hpp include/mailwire/fmt.hpp
                      share/mailwire/mailwireConfig.cmake share/mailwire/mailwireConfigVersion.cmake
                      share/mailwire/mailwire-targets.cmake share/mailwire/copyright
                      share/mailwire/usage share/pkgconfig/mailwire.pc)
  if(NOT EXISTS "${packages}/${file}")
    fail("the package has no ${file}")
  endif()
endforeach()
foreach(dir IN ITEMS lib bin debug share/cmake)
  if(EXISTS "${packages}/${dir}")
    fail("a header-only package must not have ${dir}/")
  endif()
endforeach()

# One package serves every triplet: the version file must accept 32- and
# 64-bit users alike (write_basic_package_version_file ARCH_INDEPENDENT).
function(check_version_file bits)
  set(CMAKE_SIZEOF_VOID_P ${bits})
  set(PACKAGE_FIND_VERSION "${version}")
  string(REPLACE "." ";" parts "${version}")
  list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
  list(GET parts 2 PACKAGE_FIND_VERSION_PATCH)
  set(PACKAGE_FIND_VERSION_COUNT 3)
  include("${share}/mailwireConfigVersion.cmake")
  if(NOT PACKAGE_VERSION_COMPATIBLE OR PACKAGE_VERSION_UNSUITABLE)
    fail("mailwireConfigVersion.cmake rejects a ${bits}-byte-pointer user: ${PACKAGE_VERSION}")
  endif()
endfunction()
check_version_file(4)
check_version_file(8)

message(STATUS "vcpkg port: package for mailwire ${version} in ${packages}")
