# Checks that each code block marked `<!-- verbatim: PATH -->` in the given
# Markdown files is an exact copy of PATH (relative to ROOT), so a document
# never shows code that no longer compiles. The marker is the line just
# before the block's opening fence; a file with no marker fails too.
#   cmake -DROOT=<repository> -DDOCS=docs/a.md;docs/b.md -P check_verbatim.cmake
cmake_minimum_required(VERSION 3.21)

# Splits `text` at the first `needle`: `before` gets what precedes it, and
# `text` keeps what follows it, or `found` is FALSE and nothing changes.
macro(split_at needle)
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

foreach(doc IN LISTS DOCS)
  file(READ "${ROOT}/${doc}" text)
  set(blocks 0)
  while(TRUE)
    split_at("<!-- verbatim: ")
    if(NOT found)
      break()
    endif()
    split_at(" -->\n```")
    if(NOT found)
      message(FATAL_ERROR "${doc}: a verbatim marker must end with ' -->' and be followed by a ``` fence")
    endif()
    set(path "${before}")
    split_at("\n")  # the rest of the fence line
    # The block runs to the next line that starts with ```; keep its last
    # line break, which the file has too.
    set(text "\n${text}")
    split_at("\n```")
    if(NOT found)
      message(FATAL_ERROR "${doc}: the block for ${path} has no closing fence")
    endif()
    string(SUBSTRING "${before}\n" 1 -1 block)
    if(NOT EXISTS "${ROOT}/${path}")
      message(FATAL_ERROR "${doc}: shows ${path}, which does not exist")
    endif()
    file(READ "${ROOT}/${path}" source)
    if(NOT block STREQUAL source)
      message(FATAL_ERROR "${doc}: the block marked verbatim differs from ${path}; copy the file into it")
    endif()
    math(EXPR blocks "${blocks} + 1")
  endwhile()
  if(blocks EQUAL 0)
    message(FATAL_ERROR "${doc}: no verbatim block found")
  endif()
  message(STATUS "${doc}: ${blocks} block(s) match their files")
endforeach()
