# Cross-compiling for arm64 (the Turing RK1) from a Debian 12 amd64 host; used by
# scripts/cross-build-arm64, which prepares everything this file expects:
#   - the cross compiler (g++-aarch64-linux-gnu);
#   - DROVER_ARM64_SYSROOT: an arm64 root holding libc, libstdc++ and every -dev package drover
#     builds against, unpacked from Debian's arm64 packages;
#   - qemu-aarch64 (qemu-user) to run the unit tests and gtest's test discovery.
# protoc runs on the host: programs are never looked up in the sysroot, so FindProtobuf takes
# /usr/bin/protoc (the same protobuf version as the arm64 library).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT DROVER_ARM64_SYSROOT)
  set(DROVER_ARM64_SYSROOT "$ENV{DROVER_ARM64_SYSROOT}")
endif()
if(NOT DROVER_ARM64_SYSROOT OR NOT EXISTS "${DROVER_ARM64_SYSROOT}/usr/include")
  message(FATAL_ERROR "set DROVER_ARM64_SYSROOT to an arm64 sysroot (scripts/cross-build-arm64 makes one)")
endif()
# Try-compiles need the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DROVER_ARM64_SYSROOT)

set(CMAKE_SYSROOT "${DROVER_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${DROVER_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${DROVER_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${DROVER_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${DROVER_ARM64_SYSROOT}/usr/share/pkgconfig")

# -L: the guest's dynamic loader and libraries come from the sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L "${DROVER_ARM64_SYSROOT}")
