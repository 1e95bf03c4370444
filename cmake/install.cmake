# The installable library: libadnet, shared and static, made of every layer's objects, with the
# public header, adnet.pc and a CMake package (find_package(adnet) gives adnet::adnet and
# adnet::adnet_static). The shared library exports only ADNET_API symbols (the layers are
# compiled with hidden visibility) and links its dependencies privately: an embedder compiles
# against adnet.h alone and links -ladnet.
include(GNUInstallDirs)

set(ADNET_ALL_OBJECTS "")
foreach(layer ${ADNET_LAYERS})
    list(APPEND ADNET_ALL_OBJECTS $<TARGET_OBJECTS:adnet_${layer}>)
endforeach()
set(ADNET_PRIVATE_DEPS clblast OpenCL::OpenCL PkgConfig::TURBOJPEG PkgConfig::PNG
                       PkgConfig::CJSON Threads::Threads m)
if(ADNET_HAVE_ONEDNN)
    list(APPEND ADNET_PRIVATE_DEPS DNNL::dnnl OpenMP::OpenMP_C)
endif()

add_library(adnet_shared SHARED ${ADNET_ALL_OBJECTS})
set_target_properties(adnet_shared PROPERTIES OUTPUT_NAME adnet VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR} LINKER_LANGUAGE C)
target_link_libraries(adnet_shared PRIVATE ${ADNET_PRIVATE_DEPS})
# an embedder's program must not see an undefined symbol of ours at run time
target_link_options(adnet_shared PRIVATE -Wl,--no-undefined)

add_library(adnet_static STATIC ${ADNET_ALL_OBJECTS})
set_target_properties(adnet_static PROPERTIES OUTPUT_NAME adnet LINKER_LANGUAGE C)

# The static library's own dependencies, for pkg-config --static and the CMake package.
set(ADNET_STATIC_LIBS "-lclblast -lOpenCL -lturbojpeg -lpng16 -lz -lcjson -lpthread -lm")
if(ADNET_HAVE_ONEDNN)
    string(PREPEND ADNET_STATIC_LIBS "-ldnnl -lgomp ")
endif()
# adnet.pc finds the prefix from where it lies, so that an install with --prefix (or a copy of
# the tree) stays usable
file(RELATIVE_PATH ADNET_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${CMAKE_SOURCE_DIR}/cmake/adnet.pc.in ${CMAKE_BINARY_DIR}/adnet.pc @ONLY)
include(CMakePackageConfigHelpers)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/adnetConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/adnetConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/adnet
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/adnetConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)

install(TARGETS adnet_shared adnet_static
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS adnet RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/adnet.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/adnet.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${CMAKE_BINARY_DIR}/adnetConfig.cmake ${CMAKE_BINARY_DIR}/adnetConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/adnet)
# adnet demo finds these in <prefix>/share/adnet (beside <prefix>/bin/adnet)
install(FILES ${CMAKE_SOURCE_DIR}/weights/demo.safetensors DESTINATION ${CMAKE_INSTALL_DATADIR}/adnet)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/weights/demo-clips DESTINATION ${CMAKE_INSTALL_DATADIR}/adnet)
