/*
 * tests/socketmap/fake_engine.h - see fake_engine.c.
 */
#ifndef TESTS_SOCKETMAP_FAKE_ENGINE_H
#define TESTS_SOCKETMAP_FAKE_ENGINE_H

#include <stdatomic.h>

#define FAKE_SLOW_MS 200

extern atomic_uint fake_engine_calls;

#endif
