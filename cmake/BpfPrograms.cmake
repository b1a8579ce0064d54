# BPF programs: clang compiles src/bpf/*.bpf.c to BPF objects (CO-RE, against the hand-written
# kt_kernel.h, never a vmlinux.h of the build host), bpftool turns each into a skeleton header
# in the build tree, and libbpf is linked statically where its archive exists so the installed
# tool does not need libbpf at run time.
#
# KT_BPF=AUTO builds the engine when clang, bpftool and libbpf are all found; ON requires them;
# OFF leaves it out (the tool then runs the pidfd engine and says BPF was not built in).
set(KT_BPF AUTO CACHE STRING "Build the BPF engine: AUTO, ON or OFF")
set_property(CACHE KT_BPF PROPERTY STRINGS AUTO ON OFF)

option(KT_BPF_STATIC "Link libbpf and libelf statically (the installed tool then needs no libbpf)" ON)

set(KT_BPF_ENABLED OFF)
if(NOT KT_BPF STREQUAL "OFF")
  find_program(KT_BPF_CLANG NAMES clang clang-16 clang-15 clang-14)
  find_program(KT_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
  find_program(KT_LLVM_STRIP NAMES llvm-strip llvm-strip-16 llvm-strip-15 llvm-strip-14)
  pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf>=0.8)
  find_library(KT_LIBBPF_A NAMES libbpf.a)
  find_library(KT_LIBELF_A NAMES libelf.a)
  set(_missing "")
  foreach(_v KT_BPF_CLANG KT_BPFTOOL KT_LLVM_STRIP)
    if(NOT ${_v})
      list(APPEND _missing ${_v})
    endif()
  endforeach()
  if(NOT LIBBPF_FOUND)
    list(APPEND _missing libbpf-dev)
  endif()
  if(_missing)
    if(KT_BPF STREQUAL "ON")
      message(FATAL_ERROR "KT_BPF=ON but not found: ${_missing} (scripts/install-deps installs clang, llvm, bpftool, libbpf-dev)")
    endif()
    message(STATUS "BPF engine: not built (missing: ${_missing})")
  else()
    set(KT_BPF_ENABLED ON)
    message(STATUS "BPF engine: built with ${KT_BPF_CLANG} and ${KT_BPFTOOL}")
  endif()
endif()

if(KT_BPF_ENABLED)
  add_library(kt_libbpf INTERFACE)
  # zlib stays shared: every system has it, and a copy embedded in the binary would miss its
  # security updates.
  if(KT_BPF_STATIC AND KT_LIBBPF_A AND KT_LIBELF_A)
    target_link_libraries(kt_libbpf INTERFACE -Wl,-Bstatic ${KT_LIBBPF_A} ${KT_LIBELF_A} -Wl,-Bdynamic -lz)
  else()
    target_link_libraries(kt_libbpf INTERFACE PkgConfig::LIBBPF)
  endif()

  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    set(_arch x86)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(_arch arm64)
  else()
    set(_arch ${CMAKE_SYSTEM_PROCESSOR})
  endif()
  set(KT_BPF_GENERATED "${PROJECT_BINARY_DIR}/generated/bpf")
  file(MAKE_DIRECTORY "${KT_BPF_GENERATED}")

  # kt_bpf_program(NAME [DIR]) : DIR/NAME.bpf.c (DIR: src/bpf) -> kt_NAME.skel.h with skeleton
  # kt_NAME_bpf.
  function(kt_bpf_program name)
    set(_dir "${PROJECT_SOURCE_DIR}/src/bpf")
    if(ARGC GREATER 1)
      set(_dir "${ARGV1}")
    endif()
    set(_src "${_dir}/${name}.bpf.c")
    set(_obj "${KT_BPF_GENERATED}/${name}.bpf.o")
    set(_skel "${KT_BPF_GENERATED}/kt_${name}.skel.h")
    add_custom_command(
      OUTPUT "${_skel}"
      COMMAND "${KT_BPF_CLANG}" -g -O2 -target bpf -D__TARGET_ARCH_${_arch}
              "-I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}" "-I${PROJECT_SOURCE_DIR}/src/bpf"
              -Wall -Werror -c "${_src}" -o "${_obj}"
      COMMAND "${KT_LLVM_STRIP}" -g "${_obj}"
      COMMAND "${KT_BPFTOOL}" gen skeleton "${_obj}" name "kt_${name}_bpf" > "${_skel}"
      DEPENDS "${_src}" "${PROJECT_SOURCE_DIR}/src/bpf/kt_kernel.h" "${PROJECT_SOURCE_DIR}/src/bpf/kt_bpf_shared.h"
              "${PROJECT_SOURCE_DIR}/src/bpf/kt_sockopt.h" "${PROJECT_SOURCE_DIR}/src/bpf/kt_plan_pass.h"
              "${PROJECT_SOURCE_DIR}/src/bpf/kt_sock_inode.h"
      COMMENT "BPF program ${name}"
      VERBATIM)
    set_property(GLOBAL APPEND PROPERTY KT_BPF_SKELETONS "${_skel}")
  endfunction()
  kt_bpf_program(sockets)
  kt_bpf_program(enforce)
  kt_bpf_program(trace)
  get_property(_skels GLOBAL PROPERTY KT_BPF_SKELETONS)
  add_custom_target(kt_bpf_skeletons DEPENDS ${_skels})
endif()
