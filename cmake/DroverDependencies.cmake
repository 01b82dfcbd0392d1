# All dependencies come from distribution packages (scripts/install-deps installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 1.1.1 REQUIRED)
find_package(Protobuf REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(GTest REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
find_package(SQLite3 REQUIRED)

# Standalone asio and CLI11 are header-only; find their headers so a missing package fails here.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(drover_asio INTERFACE)
target_include_directories(drover_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
target_compile_definitions(drover_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
target_link_libraries(drover_asio INTERFACE Threads::Threads OpenSSL::SSL OpenSSL::Crypto)

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(drover_cli11 INTERFACE)
target_include_directories(drover_cli11 SYSTEM INTERFACE ${CLI11_INCLUDE_DIR})

# yaml-cpp 0.7's package exports the target under different names across distributions.
if(TARGET yaml-cpp::yaml-cpp)
  set(DROVER_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(DROVER_YAML_TARGET yaml-cpp)
endif()
