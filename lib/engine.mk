# lib/ policy engine (issue [cache]).
lib_libmtasts_a_SOURCES += lib/sts_engine.h
