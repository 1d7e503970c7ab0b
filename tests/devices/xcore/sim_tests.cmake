# Simulated board tests (state machine, simulator, umockdev testbed).
tinyserve_test(xcore_board_state_machine_test
  ${CMAKE_CURRENT_LIST_DIR}/board_state_machine_test.cc)
target_link_libraries(xcore_board_state_machine_test PRIVATE tinyserve_xcore_sim)

tinyserve_test(xcore_sim_server_test ${CMAKE_CURRENT_LIST_DIR}/sim_server_test.cc)
target_link_libraries(xcore_sim_server_test PRIVATE tinyserve_xcore_sim)
target_compile_definitions(xcore_sim_server_test PRIVATE
  TINYSERVE_XCORE_SIM="$<TARGET_FILE:tinyserve-xcore-sim>")
add_dependencies(xcore_sim_server_test tinyserve-xcore-sim)

# The umockdev testbed: simulated boards behind real usbfs ioctls, for
# programs run under umockdev's preload library (libusb unmodified).
find_package(PkgConfig REQUIRED)
pkg_check_modules(UMOCKDEV REQUIRED IMPORTED_TARGET umockdev-1.0)
if(NOT TARGET PkgConfig::USB)
  pkg_check_modules(USB REQUIRED IMPORTED_TARGET libusb-1.0)
endif()
add_library(tinyserve_umockdev_testbed STATIC
  ${CMAKE_CURRENT_LIST_DIR}/umockdev_board_testbed.cc
  ${CMAKE_CURRENT_LIST_DIR}/umockdev_uevent.cc
  ${CMAKE_CURRENT_LIST_DIR}/umockdev_usbfs_board.cc)
target_include_directories(tinyserve_umockdev_testbed PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(tinyserve_umockdev_testbed PUBLIC tinyserve_xcore_sim PkgConfig::UMOCKDEV)

add_executable(umockdev_probe ${CMAKE_CURRENT_LIST_DIR}/umockdev_probe_main.cc)
target_link_libraries(umockdev_probe PRIVATE PkgConfig::USB)

tinyserve_test(xcore_umockdev_testbed_test ${CMAKE_CURRENT_LIST_DIR}/umockdev_testbed_test.cc)
target_link_libraries(xcore_umockdev_testbed_test PRIVATE tinyserve_umockdev_testbed)
target_compile_definitions(xcore_umockdev_testbed_test PRIVATE
  TINYSERVE_UMOCKDEV_PROBE="$<TARGET_FILE:umockdev_probe>")
add_dependencies(xcore_umockdev_testbed_test umockdev_probe)
