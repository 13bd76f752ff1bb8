# libnatsrs: build and install like a C library.
#
#   make                                  cargo build --release (target/release)
#   make install PREFIX=/usr/local        install (DESTDIR=/staging for packagers)
#   make install-strip PREFIX=/usr/local  the same, without debug information in the libraries
#   make uninstall PREFIX=/usr/local      remove exactly what install put there
#   make print-files PREFIX=...           list the files install writes (the install manifest)
#
# Installs:
#   $(LIBDIR)/libnatsrs.so.X.Y.Z          shared library, soname libnatsrs.so.X
#   $(LIBDIR)/libnatsrs.so.X -> .X.Y.Z    (what programs load at run time)
#   $(LIBDIR)/libnatsrs.so -> .so.X       (what -lnatsrs finds at link time)
#   $(LIBDIR)/libnatsrs.a                 static library
#   $(INCLUDEDIR)/natsrs.h, natsrs.hpp    C header, header-only C++17 wrapper
#   $(PKGCONFIGDIR)/natsrs.pc             pkg-config (Libs.private for static links)
#   $(CMAKEDIR)/natsrsConfig.cmake, natsrsConfigVersion.cmake   find_package(natsrs CONFIG)
#   $(DOCDIR)/README.md, LICENSE, CHANGELOG.md
#
# Variables: PREFIX (/usr/local), DESTDIR, LIBDIR ($(PREFIX)/lib), INCLUDEDIR, PKGCONFIGDIR,
# CMAKEDIR, DOCDIR, CARGO (cargo), CARGO_TARGET_DIR (target), NATSRS_SKIP_BUILD=1 (install what
# is already built, without running cargo).

PREFIX       ?= /usr/local
DESTDIR      ?=
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/natsrs
DOCDIR       ?= $(PREFIX)/share/doc/natsrs
CARGO        ?= cargo
CARGO_TARGET_DIR ?= target
BUILDDIR     := $(CARGO_TARGET_DIR)/release
INSTALL      ?= install
STRIP        ?= strip

VERSION       := $(shell sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
# What a static link of libnatsrs.a needs besides it (rustc --print native-static-libs).
LIBS_PRIVATE  := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
SONAME        := libnatsrs.so.$(VERSION_MAJOR)
REALNAME      := libnatsrs.so.$(VERSION)

INSTALLED := $(LIBDIR)/$(REALNAME) $(LIBDIR)/$(SONAME) $(LIBDIR)/libnatsrs.so $(LIBDIR)/libnatsrs.a \
             $(INCLUDEDIR)/natsrs.h $(INCLUDEDIR)/natsrs.hpp $(PKGCONFIGDIR)/natsrs.pc \
             $(CMAKEDIR)/natsrsConfig.cmake $(CMAKEDIR)/natsrsConfigVersion.cmake \
             $(DOCDIR)/README.md $(DOCDIR)/LICENSE $(DOCDIR)/CHANGELOG.md

empty :=
space := $(empty) $(empty)
SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
            -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' \
            -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|g' \
            -e 's|@CMAKE_LIBS_PRIVATE@|$(subst $(space),;,$(patsubst -l%,%,$(filter-out -lpthread,$(LIBS_PRIVATE))))|g'

.PHONY: all build install install-strip uninstall print-files

all: build

build:
ifneq ($(NATSRS_SKIP_BUILD),1)
	$(CARGO) build --release
endif

install: build
	@test -n "$(VERSION)" || { echo "could not read the version from Cargo.toml"; exit 1; }
	@test -f $(BUILDDIR)/libnatsrs.so -a -f $(BUILDDIR)/libnatsrs.a || \
	  { echo "no $(BUILDDIR)/libnatsrs.so or .a: run cargo build --release"; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 755 $(BUILDDIR)/libnatsrs.so $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libnatsrs.so
	$(INSTALL) -m 644 $(BUILDDIR)/libnatsrs.a $(DESTDIR)$(LIBDIR)/libnatsrs.a
	$(INSTALL) -m 644 include/natsrs.h include/natsrs.hpp $(DESTDIR)$(INCLUDEDIR)/
	$(SUBST) packaging/natsrs.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/natsrs.pc
	$(SUBST) packaging/natsrsConfig.cmake.in >$(DESTDIR)$(CMAKEDIR)/natsrsConfig.cmake
	$(SUBST) packaging/natsrsConfigVersion.cmake.in >$(DESTDIR)$(CMAKEDIR)/natsrsConfigVersion.cmake
	$(INSTALL) -m 644 README.md LICENSE CHANGELOG.md $(DESTDIR)$(DOCDIR)/
	@echo "installed libnatsrs $(VERSION) into $(DESTDIR)$(PREFIX)"

install-strip: install
	$(STRIP) --strip-debug $(DESTDIR)$(LIBDIR)/$(REALNAME) $(DESTDIR)$(LIBDIR)/libnatsrs.a

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null
	@echo "removed libnatsrs $(VERSION) from $(DESTDIR)$(PREFIX)"

print-files:
	@for f in $(INSTALLED); do echo "$(DESTDIR)$$f"; done
