# The one mechanism that keeps the documents' code compiling. Every ```cpp
# block of the given Markdown files is one of three kinds, told by the line
# just before its opening fence:
#
#   <!-- verbatim: PATH -->   the block is an exact copy of PATH (relative to
#                             the repository), which is built elsewhere (the
#                             drive loop, an example program);
#   <!-- fragment: NAME -->   statements: compiled as the body of a function,
#                             after docs/harness/NAME.hpp, which declares what
#                             they use (the socket, the message, handle()...);
#                             their #include lines go before the harness;
#   (nothing)                 a whole translation unit, compiled as it is.
#
# Blocks in other languages (```sh, ```cmake, plain ```) are not compiled.
#
# Script mode checks the verbatim blocks (a test: docs.code_blocks):
#   cmake -DROOT=<repository> -DDOCS=docs/a.md;docs/b.md -P code_blocks.cmake
# Included, it gives mailwire_doc_code_blocks(), which writes the other
# blocks as translation units at configure time (docs/CMakeLists.txt builds
# them with the warning flags of every other target).
cmake_minimum_required(VERSION 3.21)

# Splits `text` at the first `needle`: `before` gets what precedes it, and
# `text` keeps what follows it, or `found` is FALSE and nothing changes.
macro(_mw_split_at needle)
  string(FIND "${text}" "${needle}" _at)
  set(found FALSE)
  if(NOT _at EQUAL -1)
    set(found TRUE)
    string(SUBSTRING "${text}" 0 ${_at} before)
    string(LENGTH "${needle}" _length)
    math(EXPR _at "${_at} + ${_length}")
    string(SUBSTRING "${text}" ${_at} -1 text)
  endif()
endmacro()

# Adds the line breaks of `chunk` to `line` (a function, not a macro: a
# macro would read the backslashes of the document as escapes).
function(_mw_count_lines chunk)
  string(REGEX REPLACE "[^\n]" "" breaks "${chunk}")
  string(LENGTH "${breaks}" n)
  math(EXPR line "${line} + ${n}")
  set(line ${line} PARENT_SCOPE)
endfunction()

# Calls _mw_block(doc kind arg block first_line n) for each fenced block of
# `doc`: kind is verbatim, fragment, unit or other (another language).
function(_mw_walk root doc)
  file(READ "${root}/${doc}" text)
  set(text "\n${text}")
  set(line 0)  # the leading "\n" added above is line 0's end
  set(n 0)
  while(TRUE)
    _mw_split_at("\n```")
    if(NOT found)
      break()
    endif()
    _mw_count_lines("${before}\n")
    set(prefix "${before}")
    _mw_split_at("\n")  # the language, and the rest of the fence line
    if(NOT found)
      message(FATAL_ERROR "${doc}:${line}: a fence at the end of the file")
    endif()
    string(STRIP "${before}" lang)
    math(EXPR line "${line} + 1")
    set(first ${line})
    set(text "\n${text}")
    _mw_split_at("\n```")
    if(NOT found)
      message(FATAL_ERROR "${doc}:${line}: a block with no closing fence")
    endif()
    string(SUBSTRING "${before}\n" 1 -1 block)  # its lines, each with its line break
    _mw_count_lines("${block}")
    # The line before the fence says what the block is.
    string(FIND "${prefix}" "\n" _nl REVERSE)
    math(EXPR _nl "${_nl} + 1")
    string(SUBSTRING "${prefix}" ${_nl} -1 marker)
    set(kind other)
    set(arg "")
    if(marker MATCHES "^<!-- verbatim: (.+) -->$")
      set(kind verbatim)
      set(arg "${CMAKE_MATCH_1}")
    elseif(lang STREQUAL "cpp" OR lang STREQUAL "c++")
      set(kind unit)
      if(marker MATCHES "^<!-- fragment: ([a-z0-9_]+) -->$")
        set(kind fragment)
        set(arg "${CMAKE_MATCH_1}")
      elseif(marker MATCHES "^<!-- ")
        message(FATAL_ERROR "${doc}:${line}: unknown marker ${marker}")
      endif()
    endif()
    math(EXPR n "${n} + 1")
    _mw_block("${doc}" ${kind} "${arg}" "${block}" ${first} ${n})
  endwhile()
endfunction()

# Writes each fragment and unit block of `docs` into `outdir` as a .cpp file
# and sets `out_var` to their paths.
function(mailwire_doc_code_blocks root docs outdir out_var)
  set_property(GLOBAL PROPERTY _mw_doc_units "")
  function(_mw_block doc kind arg block first n)
    if(NOT (kind STREQUAL "unit" OR kind STREQUAL "fragment"))
      return()
    endif()
    string(REGEX REPLACE "[^A-Za-z0-9]" "_" stem "${doc}")
    set(tu "${outdir}/${stem}_${n}.cpp")
    if(kind STREQUAL "unit")
      set(source "#line ${first} \"${doc}\"\n${block}")
    else()
      if(NOT EXISTS "${root}/docs/harness/${arg}.hpp")
        message(FATAL_ERROR "${doc}:${first}: no harness docs/harness/${arg}.hpp")
      endif()
      # #include lines go to the top; they stay as empty lines so that the
      # line numbers of the rest still match the document.
      string(REGEX MATCHALL "#include [^\n]*\n" includes "${block}")
      string(REGEX REPLACE "#include [^\n]*\n" "\n" body "${block}")
      list(JOIN includes "" includes)
      string(CONCAT source "${includes}#include \"harness/${arg}.hpp\"\n"
             "void mailwire_doc_fragment_${n}();\n"
             "void mailwire_doc_fragment_${n}() {\n#line ${first} \"${doc}\"\n${body}}\n")
    endif()
    # Rewrite only on change, so a reconfigure recompiles only what changed.
    set(old "")
    if(EXISTS "${tu}")
      file(READ "${tu}" old)
    endif()
    if(NOT old STREQUAL source)
      file(WRITE "${tu}" "${source}")
    endif()
    set_property(GLOBAL APPEND PROPERTY _mw_doc_units "${tu}")
  endfunction()
  foreach(doc IN LISTS docs)
    _mw_walk("${root}" "${doc}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${root}/${doc}")
  endforeach()
  get_property(units GLOBAL PROPERTY _mw_doc_units)
  set(${out_var} ${units} PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  foreach(doc IN LISTS DOCS)
    function(_mw_block doc kind arg block first n)
      if(NOT kind STREQUAL "verbatim")
        return()
      endif()
      if(NOT EXISTS "${ROOT}/${arg}")
        message(FATAL_ERROR "${doc}:${first}: shows ${arg}, which does not exist")
      endif()
      file(READ "${ROOT}/${arg}" source)
      if(NOT block STREQUAL source)
        message(FATAL_ERROR "${doc}:${first}: the block marked verbatim differs from ${arg}; copy the file into it")
      endif()
    endfunction()
    _mw_walk("${ROOT}" "${doc}")
    message(STATUS "${doc}: verbatim blocks match their files")
  endforeach()
endif()
