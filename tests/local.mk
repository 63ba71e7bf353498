# tests: build rules (see the top Makefile.am)
