# What `cmake --install` puts where (GNUInstallDirs): the public headers, the
# libraries, a CMake package (find_package(vx): vx::vx, vx::vx_static) and a
# pkg-config module (vx.pc), the guest SDK, the tools and their man pages.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vx DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS vx_shared vx_static EXPORT vxTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS vxrun vxverify vxa RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# vxa's decoders, where `vxa create` finds them once installed (when they
# were built: cmake --build build --target vxa-decoders).
install(DIRECTORY ${VXA_DECODER_DIR}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/vx/vxa/decoders OPTIONAL
        FILES_MATCHING PATTERN "deflate" PATTERN "bzip2" PATTERN "xz" PATTERN "zstd"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

set(VX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vx)
set(VX_GUEST_SDK_DIR ${CMAKE_INSTALL_DATADIR}/vx/guest)
install(EXPORT vxTargets NAMESPACE vx:: DESTINATION ${VX_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/vxConfig.cmake.in
  ${CMAKE_BINARY_DIR}/vxConfig.cmake INSTALL_DESTINATION ${VX_CMAKE_DIR} PATH_VARS VX_GUEST_SDK_DIR)
# Every 0.x may change the API: a request for 0.1 is met by 0.1.* only.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/vxConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/vxConfig.cmake ${CMAKE_BINARY_DIR}/vxConfigVersion.cmake
        DESTINATION ${VX_CMAKE_DIR})
# Building plug-ins with CMake (when the project has it): beside the package.
install(FILES ${PROJECT_SOURCE_DIR}/cmake/VxPlugin.cmake DESTINATION ${VX_CMAKE_DIR} OPTIONAL)

# vx.pc finds its prefix from where it lies, so that an installed tree
# may be moved (and installed with --prefix elsewhere than configured).
file(RELATIVE_PATH VX_PC_TO_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
configure_file(${CMAKE_CURRENT_LIST_DIR}/vx.pc.in ${CMAKE_BINARY_DIR}/vx.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/vx.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The guest SDK: headers, start-up code and whatever else guest/ holds.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/guest/ DESTINATION ${VX_GUEST_SDK_DIR})

install(FILES ${PROJECT_SOURCE_DIR}/docs/man/vxrun.1 ${PROJECT_SOURCE_DIR}/docs/man/vxa.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/vx.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
