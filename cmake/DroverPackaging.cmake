# Install rules and Debian packages (CPack, DEB generator).
#
# Layout (docs/admin-guide.md, "Packages"):
#   drover-common  the drover user, /etc/drover, the example configuration and the docs
#   drover-ctld    /usr/sbin/drover-ctld and its unit; /var/lib/drover
#   drover-noded   /usr/sbin/drover-noded, drover-stepd and drover-zygote beside it (noded looks
#                  there) and its unit; /var/spool/drover
#   drover-client  /usr/bin/drover and the Slurm front ends (symlinks to drover)
# `cmake --install build --prefix /usr` installs the same tree; `cpack` in the build directory
# makes the four .deb files for the target architecture (amd64, or arm64 when cross-building).
include(GNUInstallDirs)

set(DROVER_UNIT_DIR /lib/systemd/system CACHE PATH "where the systemd units are installed")
set(DROVER_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/drover-common)

install(TARGETS drover-ctld RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT ctld)
install(FILES systemd/drover-ctld.service DESTINATION ${DROVER_UNIT_DIR} COMPONENT ctld)

install(TARGETS drover-noded drover-stepd drover-zygote RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT noded)
install(FILES systemd/drover-noded.service DESTINATION ${DROVER_UNIT_DIR} COMPONENT noded)

install(TARGETS drover RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT client)
# The front ends are whatever symlinks to drover the build made (src/cli/CMakeLists.txt), so a
# front end added there is packaged without a second list here.
install(CODE "
  file(GLOB drover_entries LIST_DIRECTORIES false \"$<TARGET_FILE_DIR:drover>/*\")
  foreach(entry \${drover_entries})
    if(IS_SYMLINK \"\${entry}\")
      file(READ_SYMLINK \"\${entry}\" target)
      if(target STREQUAL \"drover\")
        get_filename_component(name \"\${entry}\" NAME)
        set(link \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\${name}\")
        message(STATUS \"Installing: \${link} -> drover\")
        file(CREATE_LINK drover \"\${link}\" SYMBOLIC)
      endif()
    endif()
  endforeach()" COMPONENT client)

# Man pages (made by the build, src/cli/CMakeLists.txt) and bash completion, which bash-completion
# loads by command name: the same script under each front end's name.
install(DIRECTORY ${CMAKE_BINARY_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT client
        OPTIONAL FILES_MATCHING PATTERN "*.1")
set(DROVER_COMPLETION_DIR ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions)
install(FILES etc/bash-completion/drover DESTINATION ${DROVER_COMPLETION_DIR} COMPONENT client)
install(CODE "
  foreach(name sbatch srun salloc squeue sinfo scancel sacct scontrol)
    file(CREATE_LINK drover \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${DROVER_COMPLETION_DIR}/\${name}\" SYMBOLIC)
  endforeach()" COMPONENT client)

install(FILES etc/drover.yaml DESTINATION ${DROVER_DOC_DIR}/examples COMPONENT common)
install(FILES README.md docs/admin-guide.md docs/configuration.md docs/security.md
        docs/user-guide.md docs/architecture.md DESTINATION ${DROVER_DOC_DIR} COMPONENT common)

# --- CPack ---------------------------------------------------------------------------------
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(DROVER_DEB_ARCH arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(DROVER_DEB_ARCH amd64)
else()
  set(DROVER_DEB_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME drover)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "drover maintainers <drover@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "batch workload manager for small clusters, Slurm-compatible")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL common ctld noded client)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${DROVER_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON)
if(CMAKE_CROSSCOMPILING)
  # dpkg-shlibdeps asks the host's dpkg database, which has no arm64 libraries: name them.
  # These are what it finds for the native Debian 12 build.
  set(DROVER_DEB_LIB_DEPENDS
      "libc6 (>= 2.34), libgcc-s1 (>= 3.0), libstdc++6 (>= 12), libssl3 (>= 3.0.0), libprotobuf32 (>= 3.21.12), libyaml-cpp0.7 (>= 0.7.0), libspdlog1.10-fmt9, libfmt9 (>= 9.1.0+ds1), libsqlite3-0 (>= 3.7.15), libhwloc15 (>= 2.0.0)"
      CACHE STRING "Depends of the arm64 packages")
  foreach(comp CTLD NODED CLIENT)
    set(CPACK_DEBIAN_${comp}_PACKAGE_DEPENDS "${DROVER_DEB_LIB_DEPENDS}")
  endforeach()
else()
  # Library dependencies come from dpkg-shlibdeps on the binaries themselves.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)

set(drover_pkg ${PROJECT_SOURCE_DIR}/packaging/debian)
foreach(comp common ctld noded client)
  string(TOUPPER ${comp} COMP)
  set(CPACK_DEBIAN_${COMP}_PACKAGE_NAME drover-${comp})
  set(CPACK_DEBIAN_${COMP}_PACKAGE_ARCHITECTURE ${DROVER_DEB_ARCH})
  set(extra)
  foreach(script postinst prerm postrm)
    if(EXISTS ${drover_pkg}/${comp}.${script})
      # CPack copies CONTROL_EXTRA files by name: stage each under its plain name.
      configure_file(${drover_pkg}/${comp}.${script} ${CMAKE_BINARY_DIR}/packaging/${comp}/${script} COPYONLY)
      list(APPEND extra ${CMAKE_BINARY_DIR}/packaging/${comp}/${script})
    endif()
  endforeach()
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_EXTRA "${extra}")
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
endforeach()
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_COMMON_DESCRIPTION "drover: the drover user, /etc/drover, example configuration and documentation")
set(CPACK_COMPONENT_COMMON_DESCRIPTION "drover: the drover user, /etc/drover, example configuration and documentation")
set(CPACK_COMPONENT_CTLD_DESCRIPTION "drover controller daemon (drover-ctld) and its systemd unit")
set(CPACK_COMPONENT_NODED_DESCRIPTION "drover node daemon (drover-noded, drover-stepd, drover-zygote) and its systemd unit")
set(CPACK_COMPONENT_CLIENT_DESCRIPTION "drover command line and the Slurm front ends (sbatch, srun, squeue, ...)")
set(CPACK_COMPONENT_CTLD_DEPENDS common)
set(CPACK_COMPONENT_NODED_DEPENDS common)
set(CPACK_COMPONENT_CLIENT_DEPENDS common)
include(CPack)
