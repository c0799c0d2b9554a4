# Runs at install time (cmake --install, and CPack's staging install), when
# CMAKE_INSTALL_PREFIX is the final prefix: `cmake --install --prefix /usr`
# and the Debian package (prefix /usr) both get /etc and /usr/bin in the
# unit, whatever prefix the build was configured with. GNUInstallDirs would
# fix these paths when the build is configured instead.
#
# Set by the install(CODE) before this script: SSEBRIDGE_SOURCE_DIR,
# SSEBRIDGE_PACKAGE_DIR, SSEBRIDGE_BINDIR (relative), SSEBRIDGE_DOCDIR (relative).

# The configuration directory, by the rule GNUInstallDirs applies to
# SYSCONFDIR: /etc for the /usr prefix, PREFIX/etc otherwise.
if(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
  set(ssebridge_etc_dir /etc/ssebridge)
else()
  set(ssebridge_etc_dir ${CMAKE_INSTALL_PREFIX}/etc/ssebridge)
endif()

# deploy/systemd/ssebridge.service names the paths of a hand install under
# /usr/local; the installed copy names this installation's.
file(READ ${SSEBRIDGE_SOURCE_DIR}/deploy/systemd/ssebridge.service ssebridge_unit)
string(REPLACE "/usr/local/bin/ssebridge" "${CMAKE_INSTALL_PREFIX}/${SSEBRIDGE_BINDIR}/ssebridge" ssebridge_unit
               "${ssebridge_unit}")
string(REPLACE "/etc/ssebridge" "${ssebridge_etc_dir}" ssebridge_unit "${ssebridge_unit}")
string(REPLACE "/usr/local/share/doc/ssebridge" "${CMAKE_INSTALL_PREFIX}/${SSEBRIDGE_DOCDIR}" ssebridge_unit
               "${ssebridge_unit}")
file(WRITE ${SSEBRIDGE_PACKAGE_DIR}/unit/ssebridge.service "${ssebridge_unit}")

# file(INSTALL) is what install() itself runs: it honours DESTDIR and records
# the files in install_manifest.txt.
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
     FILES ${SSEBRIDGE_PACKAGE_DIR}/unit/ssebridge.service)
file(INSTALL DESTINATION "${ssebridge_etc_dir}" TYPE FILE FILES ${SSEBRIDGE_SOURCE_DIR}/deploy/ssebridge.json)
