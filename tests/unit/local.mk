# tests/unit: build rules (see the top Makefile.am)
