# For the package scripts that configure mailwire themselves: `toolchain`
# holds the -D options that give the inner configure the outer build's make
# program and compiler (MAKE_PROGRAM, CXX_COMPILER; either may be empty).
set(toolchain "")
if(MAKE_PROGRAM)
  list(APPEND toolchain "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND toolchain "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
