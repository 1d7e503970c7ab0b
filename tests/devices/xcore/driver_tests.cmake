# Host driver tests (protocol framing, io_server link, transports, the
# signature reader, the xcore device and its catalog).
tinyserve_test(io_server_protocol_test ${CMAKE_CURRENT_LIST_DIR}/io_server_protocol_test.cc)
tinyserve_test(io_server_link_test ${CMAKE_CURRENT_LIST_DIR}/io_server_link_test.cc)
tinyserve_test(model_signature_test ${CMAKE_CURRENT_LIST_DIR}/model_signature_test.cc)
tinyserve_test(xcore_device_test ${CMAKE_CURRENT_LIST_DIR}/xcore_device_test.cc)

# End to end against simulated boards (engineer B's simulator, in-process).
tinyserve_test(xcore_driver_e2e_test ${CMAKE_CURRENT_LIST_DIR}/xcore_driver_e2e_test.cc)
target_link_libraries(xcore_driver_e2e_test PRIVATE tinyserve_xcore_sim)

# The production USB path (libusb) under engineer B's umockdev testbed: the
# driver runs in a child process that umockdev's preload library redirects.
add_executable(xcore_usb_driver_probe ${CMAKE_CURRENT_LIST_DIR}/xcore_usb_driver_probe_main.cc)
target_link_libraries(xcore_usb_driver_probe PRIVATE tinyserve_devices)
tinyserve_test(xcore_usb_driver_test ${CMAKE_CURRENT_LIST_DIR}/xcore_usb_driver_test.cc)
target_link_libraries(xcore_usb_driver_test PRIVATE tinyserve_umockdev_testbed)
target_compile_definitions(xcore_usb_driver_test PRIVATE
  TINYSERVE_XCORE_USB_DRIVER_PROBE="$<TARGET_FILE:xcore_usb_driver_probe>")
add_dependencies(xcore_usb_driver_test xcore_usb_driver_probe)

# tinyserve-model run / bench on a simulated board.
tinyserve_test(xcore_model_tool_driver_test ${CMAKE_CURRENT_LIST_DIR}/xcore_model_tool_driver_test.cc)
target_link_libraries(xcore_model_tool_driver_test PRIVATE tinyserve_xcore_sim)
target_compile_definitions(xcore_model_tool_driver_test PRIVATE
  TINYSERVE_MODEL_TOOL="$<TARGET_FILE:tinyserve-model>")
add_dependencies(xcore_model_tool_driver_test tinyserve-model)
