# venuebus.cmake — dependencies, warnings and one helper per kind of artifact:
#   vb_add_library (name SOURCES ... [LIBS ...])
#   vb_add_service (name SOURCES ... [LIBS ...])       -> binary venuebus-<name>
#   vb_add_unit_test (name SOURCES ... [LIBS ...])     -> Criterion test, registered with ctest
#   vb_add_unit_tests (DIR dir [LIBS ...])              -> one test per tests/test_*.c in DIR
include_guard (GLOBAL)
find_package (PkgConfig REQUIRED)
pkg_check_modules (CZMQ REQUIRED IMPORTED_TARGET libczmq)
pkg_check_modules (ZMQ REQUIRED IMPORTED_TARGET libzmq)
pkg_check_modules (PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
pkg_check_modules (CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules (SIMDJSON REQUIRED IMPORTED_TARGET simdjson)
pkg_check_modules (CRITERION REQUIRED IMPORTED_TARGET criterion)
pkg_check_modules (ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules (SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules (CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules (LWS REQUIRED IMPORTED_TARGET libwebsockets)
pkg_check_modules (MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
find_program (PROTOC_C protoc-c REQUIRED)
find_program (PROTOC protoc REQUIRED)

set (VB_C_WARNINGS -Wall -Wextra -Werror -Wshadow -Wformat=2)
set (VB_CXX_WARNINGS -Wall -Wextra -Werror -Wshadow)
set (VB_SAN_FLAGS)
if (VB_SANITIZE OR VB_FUZZ)
    set (VB_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
endif ()
if (VB_FUZZ)
    list (APPEND VB_SAN_FLAGS -fsanitize=fuzzer-no-link)
endif ()
add_compile_options (
    "$<$<COMPILE_LANGUAGE:C>:${VB_C_WARNINGS}>"
    "$<$<COMPILE_LANGUAGE:CXX>:${VB_CXX_WARNINGS}>"
    ${VB_SAN_FLAGS})
add_link_options (${VB_SAN_FLAGS})
add_compile_definitions (_GNU_SOURCE)

enable_testing ()

function (vb_add_library name)
    cmake_parse_arguments (ARG "" "" "SOURCES;LIBS;INCLUDES" ${ARGN})
    add_library (${name} STATIC ${ARG_SOURCES})
    target_link_libraries (${name} PUBLIC ${ARG_LIBS})
    target_include_directories (${name} PUBLIC ${ARG_INCLUDES})
endfunction ()

function (vb_add_service name)
    cmake_parse_arguments (ARG "" "" "SOURCES;LIBS" ${ARGN})
    add_executable (venuebus-${name} ${ARG_SOURCES})
    target_link_libraries (venuebus-${name} PRIVATE ${ARG_LIBS})
    install (TARGETS venuebus-${name} RUNTIME DESTINATION bin)
endfunction ()

function (vb_add_unit_test name)
    cmake_parse_arguments (ARG "" "" "SOURCES;LIBS" ${ARGN})
    add_executable (${name} ${ARG_SOURCES})
    target_link_libraries (${name} PRIVATE ${ARG_LIBS} PkgConfig::CRITERION)
    target_compile_definitions (${name} PRIVATE VB_SHARED_DIR="${VB_SHARED_DIR}"
                                                VB_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                                                VB_BINARY_DIR="${CMAKE_BINARY_DIR}")
    # Criterion forks a process per test; two workers match the 2-core machines.
    add_test (NAME ${name} COMMAND ${name} --jobs 2)
    set_tests_properties (${name} PROPERTIES TIMEOUT 300)
endfunction ()

function (vb_add_unit_tests)
    cmake_parse_arguments (ARG "" "DIR" "LIBS" ${ARGN})
    file (GLOB tests CONFIGURE_DEPENDS "${ARG_DIR}/test_*.c")
    foreach (source ${tests})
        get_filename_component (name ${source} NAME_WE)
        vb_add_unit_test (${name} SOURCES ${source} LIBS ${ARG_LIBS})
    endforeach ()
endfunction ()
