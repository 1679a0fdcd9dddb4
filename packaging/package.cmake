# authd as a Debian package (make package): the binaries and certlib from the normal install rules, plus
# the systemd unit, a configuration template in /etc/authd, logrotate's file and the documentation.
# The destinations are absolute (Debian's), so this is included only with -DAUTHD_INSTALL_SERVICE=ON and
# -DCMAKE_INSTALL_PREFIX=/usr; an ordinary `cmake --install --prefix DIR` never writes outside DIR.
include(GNUInstallDirs)
set(here ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
install(FILES ${here}/systemd/authd.service DESTINATION /lib/systemd/system)
install(FILES ${here}/authd.yaml DESTINATION /etc/authd)
install(FILES ${here}/logrotate DESTINATION /etc/logrotate.d RENAME authd)
install(FILES README.md docs/operations.md docs/postgresql.md docs/logs.md docs/formats.md docs/architecture.md
              docs/identifiers.md docs/licences.md docs/errors.md docs/openapi.yaml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/authd)
# The demo policies as an example of the format, never in force: their clients' tokens are public.
install(DIRECTORY policies/ DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/authd/examples/policies)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME authd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "authd maintainers <authd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "identity-number checks and signed e-licences (电子证照) for 一证通办 counters")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${here}/debian/postinst ${here}/debian/prerm ${here}/debian/postrm
    ${here}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
