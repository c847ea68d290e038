# vx plug-ins: static i386 executables whose functions a host calls through
# vx::Sandbox::call (docs/plugins.md), built with gcc -m32 against the SDK
# (guest/include/vx/plugin.h and its runtime).
#
#   include(VxPlugin)     # or include(path/to/VxPlugin.cmake)
#   vx_add_plugin(codec SOURCES codec.c [FLAGS -msse2 ...] [DEPENDS header.h ...]
#                 [OUTPUT_DIRECTORY dir])
#
# makes the target `codec`, which builds the file `codec` (in
# OUTPUT_DIRECTORY, else plugins/ in the current binary directory); its path is the
# target's VX_PLUGIN_FILE property. SOURCES (C or assembly) are relative to
# the current source directory; DEPENDS lists what else they include. The SDK
# is found beside this file (../guest, as in vx's tree and its installed
# share/vx), or where VX_PLUGIN_SDK_DIR says; the compiler is gcc unless
# VX_PLUGIN_C_COMPILER says (it must build and link -m32).
include_guard(GLOBAL)

set(_vx_plugin_sdk_candidates
  "${CMAKE_CURRENT_LIST_DIR}/../guest"
  "${CMAKE_CURRENT_LIST_DIR}/../../../share/vx/guest")
if(NOT VX_PLUGIN_SDK_DIR)
  foreach(candidate IN LISTS _vx_plugin_sdk_candidates)
    if(EXISTS "${candidate}/include/vx/plugin.h")
      get_filename_component(VX_PLUGIN_SDK_DIR "${candidate}" ABSOLUTE)
      break()
    endif()
  endforeach()
endif()
if(NOT VX_PLUGIN_SDK_DIR OR NOT EXISTS "${VX_PLUGIN_SDK_DIR}/include/vx/plugin.h")
  message(FATAL_ERROR "VxPlugin: no vx plug-in SDK (include/vx/plugin.h) in ${_vx_plugin_sdk_candidates}; "
                      "set VX_PLUGIN_SDK_DIR to the folder that holds it")
endif()
set(VX_PLUGIN_SDK_DIR "${VX_PLUGIN_SDK_DIR}" CACHE PATH "The vx plug-in SDK: the folder with include/vx/plugin.h")

if(NOT VX_PLUGIN_C_COMPILER)
  if(CMAKE_C_COMPILER AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
    set(_vx_plugin_cc "${CMAKE_C_COMPILER}")
  else()
    find_program(_vx_plugin_cc NAMES gcc)
  endif()
  if(NOT _vx_plugin_cc)
    message(FATAL_ERROR "VxPlugin: no gcc to build i386 plug-ins with; set VX_PLUGIN_C_COMPILER")
  endif()
  set(VX_PLUGIN_C_COMPILER "${_vx_plugin_cc}" CACHE FILEPATH "The compiler vx plug-ins are built with (gcc -m32)")
endif()

set(VX_PLUGIN_CFLAGS -m32 -static -nostdlib -fno-pie -no-pie -O2 -fno-stack-protector
    -fno-asynchronous-unwind-tables -ffreestanding -fno-builtin -Wall -Wextra
    CACHE STRING "The flags every vx plug-in is built with")
mark_as_advanced(VX_PLUGIN_CFLAGS)

function(vx_add_plugin name)
  cmake_parse_arguments(P "" "OUTPUT_DIRECTORY" "SOURCES;FLAGS;DEPENDS" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "vx_add_plugin(${name}): no SOURCES")
  endif()
  if(P_OUTPUT_DIRECTORY)
    set(out "${P_OUTPUT_DIRECTORY}/${name}")
  else()
    # Not the binary directory itself: the target has the file's name there.
    set(out "${CMAKE_CURRENT_BINARY_DIR}/plugins/${name}")
  endif()
  set(sdk "${VX_PLUGIN_SDK_DIR}")
  set(runtime "${sdk}/runtime/plugin.c" "${sdk}/runtime/mem.c")
  set(sources)
  foreach(source IN LISTS P_SOURCES)
    get_filename_component(source "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND sources "${source}")
  endforeach()
  add_custom_command(OUTPUT "${out}"
    COMMAND "${VX_PLUGIN_C_COMPILER}" ${VX_PLUGIN_CFLAGS} ${P_FLAGS} "-I${sdk}/include"
            -o "${out}" ${runtime} ${sources} -lgcc
    DEPENDS ${sources} ${runtime} "${sdk}/include/vx/plugin.h" ${P_DEPENDS}
    COMMENT "vx plug-in ${name}" VERBATIM)
  add_custom_target(${name} ALL DEPENDS "${out}")
  set_target_properties(${name} PROPERTIES VX_PLUGIN_FILE "${out}")
endfunction()
