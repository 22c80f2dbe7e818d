# Locates every third-party dependency. third_party/install-deps.sh installs them.

# V8 10.2 from Debian's libnode: the system package, or the copy install-deps.sh unpacked.
set(AGENTGATE_LIBNODE_PREFIX "${PROJECT_SOURCE_DIR}/third_party/.deps/libnode/usr")
find_path(V8_INCLUDE_DIR v8.h
  PATHS "${AGENTGATE_LIBNODE_PREFIX}/include/node" /usr/include/node NO_DEFAULT_PATH)
find_library(LIBNODE_LIBRARY NAMES node libnode.so.108
  PATHS "${AGENTGATE_LIBNODE_PREFIX}/lib/x86_64-linux-gnu" /usr/lib/x86_64-linux-gnu NO_DEFAULT_PATH)
if(NOT V8_INCLUDE_DIR OR NOT LIBNODE_LIBRARY)
  message(FATAL_ERROR "V8 (libnode-dev) not found: run third_party/install-deps.sh")
endif()
file(STRINGS "${V8_INCLUDE_DIR}/v8-version.h" _v8_major REGEX "define V8_MAJOR_VERSION")
if(NOT _v8_major MATCHES "10$")
  message(FATAL_ERROR "${V8_INCLUDE_DIR} is not V8 10.x (found: ${_v8_major}); run third_party/install-deps.sh")
endif()
get_filename_component(LIBNODE_DIR "${LIBNODE_LIBRARY}" DIRECTORY)
add_library(v8::v8 SHARED IMPORTED)
# libnode's V8 is built without pointer compression: never define V8_COMPRESS_POINTERS.
set_target_properties(v8::v8 PROPERTIES
  IMPORTED_LOCATION "${LIBNODE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}"
  INTERFACE_COMPILE_DEFINITIONS "V8_DEPRECATION_WARNINGS=0")
set(CMAKE_BUILD_RPATH "${LIBNODE_DIR}")
set(CMAKE_INSTALL_RPATH "${LIBNODE_DIR}")

find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json url)
find_package(OpenSSL REQUIRED)
find_package(simdjson REQUIRED)
find_package(RocksDB REQUIRED CONFIG)
find_package(Threads REQUIRED)
find_package(GTest REQUIRED)

# The JS toolchain that bundles whatwg-url into the isolate start-up code.
find_program(NODE_EXECUTABLE node REQUIRED)
set(AGENTGATE_JS_DIR "${PROJECT_SOURCE_DIR}/third_party/js")
if(NOT EXISTS "${AGENTGATE_JS_DIR}/node_modules/whatwg-url")
  message(FATAL_ERROR "third_party/js/node_modules missing: run third_party/install-deps.sh")
endif()
