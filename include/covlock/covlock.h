/*===- covlock/covlock.h - covlock runtime C API --------------------------===*\
|*
|* Test boundaries for programs that run several tests in one process
|* (GoogleTest, custom harnesses). Link with `llvm-covlock link-flags`.
|* Without COVLOCK_DIR in the environment every call here does nothing.
|*
\*===----------------------------------------------------------------------===*/

#ifndef COVLOCK_COVLOCK_H
#define COVLOCK_COVLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* The longest test id, in bytes: longer ids (from covlock_test_begin or
 * COVLOCK_TEST) are cut to it, before a UTF-8 character that would not fit
 * whole, so an id and the same id inherited by a child cut alike. */
#define COVLOCK_TEST_ID_MAX 8191

/* Flushes what ran so far under the current test, starts the counts
 * afresh (without writing the counters: another thread's counts are never
 * lost) and makes `id` the current test: what runs next in this process,
 * on any of its threads, is attributed to it. Child processes inherit
 * COVLOCK_TEST from the environment, which this does not change: a program
 * started by the test counts under the process's own test unless the harness
 * sets COVLOCK_TEST for it. */
void covlock_test_begin(const char *id);

/* Outcomes for covlock_test_end. The tools count 0 as passed, 2 as skipped
 * and any other value as failed (`llvm-covlock status`, `llvm-covmerge
 * report --by-test`); the value itself is kept in the flush record. */
#define COVLOCK_OUTCOME_PASS 0
#define COVLOCK_OUTCOME_FAIL 1
#define COVLOCK_OUTCOME_SKIP 2

/* Flushes what ran in the current test, recording `outcome` (above; the
 * GoogleTest listener, libcovlock_gtest.a, passes GoogleTest's result),
 * starts the counts afresh and returns to the process's own test (COVLOCK_TEST,
 * or none). */
void covlock_test_end(int outcome);

/* Flushes what ran so far without changing the test; the next flush
 * writes only what runs after it. */
void covlock_flush(void);

#ifdef __cplusplus
}
#endif

#endif /* COVLOCK_COVLOCK_H */
