# Installation (`cmake --install`) and the Debian package (CPack), included
# from the top-level CMakeLists.txt after the ssebridge target exists.
#
# With the prefix /usr (what the package uses) the files land where Debian
# expects them: /usr/bin, /usr/lib/systemd/system, /usr/share/man/man1,
# /usr/share/doc/ssebridge and /etc/ssebridge/ssebridge.json. With the
# default /usr/local the configuration goes to /usr/local/etc/ssebridge.
include(GNUInstallDirs)

set(SSEBRIDGE_PACKAGE_DIR ${CMAKE_CURRENT_BINARY_DIR}/package)
set(SSEBRIDGE_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/ssebridge)

find_program(GZIP_EXECUTABLE gzip REQUIRED)

# The manual page comes from the binary itself (`--print-man` writes it from
# the option table), so it cannot list an option the program lacks or miss
# one it has. gzip -n keeps the timestamp out, so two builds give the same
# bytes; -9 is what Debian's tools use.
add_custom_command(
  OUTPUT ${SSEBRIDGE_PACKAGE_DIR}/ssebridge.1.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SSEBRIDGE_PACKAGE_DIR}
  COMMAND $<TARGET_FILE:ssebridge> --print-man > ${SSEBRIDGE_PACKAGE_DIR}/ssebridge.1
  COMMAND ${GZIP_EXECUTABLE} -9nf ${SSEBRIDGE_PACKAGE_DIR}/ssebridge.1
  DEPENDS ssebridge
  COMMENT "Writing the manual page ssebridge(1)"
  VERBATIM)

# Debian wants a changelog in every package's doc directory.
add_custom_command(
  OUTPUT ${SSEBRIDGE_PACKAGE_DIR}/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SSEBRIDGE_PACKAGE_DIR}
  COMMAND ${GZIP_EXECUTABLE} -9nc ${PROJECT_SOURCE_DIR}/deploy/debian/changelog > ${SSEBRIDGE_PACKAGE_DIR}/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/deploy/debian/changelog
  VERBATIM)
add_custom_target(ssebridge_package_files ALL
                  DEPENDS ${SSEBRIDGE_PACKAGE_DIR}/ssebridge.1.gz ${SSEBRIDGE_PACKAGE_DIR}/changelog.gz)

install(TARGETS ssebridge RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The unit and the configuration, whose paths depend on the prefix given at
# install time (see the script).
install(CODE "set(SSEBRIDGE_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(SSEBRIDGE_PACKAGE_DIR \"${SSEBRIDGE_PACKAGE_DIR}\")
set(SSEBRIDGE_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(SSEBRIDGE_DOCDIR \"${SSEBRIDGE_DOC_DIR}\")")
install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/install_unit_and_config.cmake)
install(FILES ${SSEBRIDGE_PACKAGE_DIR}/ssebridge.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES README.md ${PROJECT_SOURCE_DIR}/deploy/debian/copyright ${SSEBRIDGE_PACKAGE_DIR}/changelog.gz
        DESTINATION ${SSEBRIDGE_DOC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${SSEBRIDGE_DOC_DIR} FILES_MATCHING PATTERN "*.md")
# Examples the documentation refers to: the nginx site and the Lua scripts.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/nginx/ssebridge.conf DESTINATION ${SSEBRIDGE_DOC_DIR}/examples/nginx)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/redis/publish.lua ${PROJECT_SOURCE_DIR}/deploy/redis/fetch.lua
        DESTINATION ${SSEBRIDGE_DOC_DIR}/examples/redis)

# --- Debian package: cpack -G DEB (scripts/package.sh) -----------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ssebridge)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Stage with DESTDIR and the real prefix, whatever prefix the build was
# configured with, so the install script sees /usr and puts the
# configuration under /etc.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "relay Redis pub/sub messages to browsers over Server-Sent Events")
# The extended description; CPack puts the summary above it.
set(CPACK_PACKAGE_DESCRIPTION
    "ssebridge serves Server-Sent Event streams to browsers and relays to them
the messages published through its HTTP API or, in Redis mode, with Redis
PUBLISH. Clients that reconnect with Last-Event-ID receive what they missed.
It runs as a systemd service (Type=notify, watchdog, draining restarts).")
set(SSEBRIDGE_PACKAGE_MAINTAINER "ssebridge maintainers <maintainers@users.noreply.b-seed-3c40998d.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SSEBRIDGE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends is computed by dpkg-shlibdeps from the libraries the binary links.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Debian ships binaries stripped; the debug symbols would be a -dbgsym package.
set(CPACK_STRIP_FILES ON)
# The configuration is the administrator's: dpkg keeps their edits on upgrade.
# The unit is not a conffile: Debian allows conffiles only under /etc, and
# units under /usr/lib are changed with drop-ins (systemctl edit ssebridge).
file(WRITE ${SSEBRIDGE_PACKAGE_DIR}/conffiles "/etc/ssebridge/ssebridge.json\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${SSEBRIDGE_PACKAGE_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/deb)
include(CPack)
