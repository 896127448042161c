//===- Schema.cpp - The covdb's tables, column by column ------------------===//
//
// Version history (PRAGMA user_version, meta.schema_version):
//   1  2026-11: labels, binaries, files, label_file, contexts, problems,
//      coverage, profile; blobs as in covdb/Encoding.h.
//   2  2026-12: context.outcome_pass, outcome_fail, outcome_skip (the
//      test ends of each context by outcome).
//
// Any change to a table, a column or a blob encoding is a new version, and
// readers refuse versions they do not know. Ids are given in sorted order
// (labels by name, binaries by path/build id/function table, files by path,
// contexts as contextBefore() orders them), so the same inputs give the
// same bytes. Users' description of the same: docs/covdb.md.
//
//===----------------------------------------------------------------------===//

#include "Schema.h"

namespace covlock {

const char *const CovDBSchemaSQL = R"sql(
-- What the file is: format = 'covlock-covdb', schema_version, writer,
-- llvm_version (fixes the profile and mapping formats), line_semantics.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
-- An environment (COVLOCK_LABEL or --label): linux, macos-arm64, asan...
CREATE TABLE label (
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  -- The sum of the label's contexts as an indexed profile (.profdata bytes,
  -- every function included, as llvm-profdata merge writes it).
  profile BLOB NOT NULL
);
-- An instrumented executable or library whose profiles were merged.
CREATE TABLE binary (
  id               INTEGER PRIMARY KEY,
  path             TEXT NOT NULL,    -- as merged
  build_id         TEXT NOT NULL,    -- GNU build id, hex; '' if none
  num_functions    INTEGER NOT NULL, -- the function table's size, repeated
  num_counters     INTEGER NOT NULL,
  num_bitmap_bytes INTEGER NOT NULL,
  functions        BLOB NOT NULL     -- the function table (encodeFunctions)
);
-- A source file, by the path the coverage mapping names.
CREATE TABLE file (
  id   INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE
);
-- Per label and file: what is executable there, and what the label covered.
CREATE TABLE label_file (
  label_id        INTEGER NOT NULL REFERENCES label(id),
  file_id         INTEGER NOT NULL REFERENCES file(id),
  lines           INTEGER NOT NULL, -- executable lines
  lines_covered   INTEGER NOT NULL, -- of them, covered by the aggregate
  regions         INTEGER NOT NULL, -- code regions (distinct spans)
  regions_covered INTEGER NOT NULL,
  executable      BLOB NOT NULL,    -- line bitmap (encodeBitmap)
  covered         BLOB NOT NULL,    -- line bitmap
  region_spans    BLOB NOT NULL,    -- the regions, indexed 0.. (encodeRegions)
  covered_regions BLOB NOT NULL,    -- bitmap of region indices
  PRIMARY KEY (label_id, file_id)
) WITHOUT ROWID;
-- A label x a test (test NULL: what ran outside any test).
CREATE TABLE context (
  id              INTEGER PRIMARY KEY,
  label_id        INTEGER NOT NULL REFERENCES label(id),
  test            TEXT,             -- the id exactly as the harness gave it
  confidence      TEXT NOT NULL
                  CHECK (confidence IN ('exact', 'normal', 'dubious', 'outside')),
  processes       INTEGER NOT NULL, -- processes merged into it
  lost            INTEGER NOT NULL, -- processes killed before a last flush
  failed          INTEGER NOT NULL, -- flushes that failed
  unreadable      INTEGER NOT NULL, -- profiles that could not be read
  lines_covered   INTEGER NOT NULL, -- totals over its coverage rows
  regions_covered INTEGER NOT NULL,
  -- Its test ends (covlock_test_end) by outcome; all 0 for a test that is
  -- a process of its own (lit, CTest), which records no outcome.
  outcome_pass    INTEGER NOT NULL, -- ends with outcome 0
  outcome_fail    INTEGER NOT NULL, -- ends with any outcome but 0 and 2
  outcome_skip    INTEGER NOT NULL  -- ends with outcome 2 (GTEST_SKIP)
);
-- Why a context is dubious, one row per problem, ordered by seq.
CREATE TABLE problem (
  context_id INTEGER NOT NULL REFERENCES context(id),
  seq        INTEGER NOT NULL,
  kind       TEXT NOT NULL,         -- lost, failed, unreadable, mismatch
  path       TEXT NOT NULL,         -- the file concerned
  message    TEXT NOT NULL,
  PRIMARY KEY (context_id, seq)
) WITHOUT ROWID;
-- What a context covered in a file (only files with something covered).
CREATE TABLE coverage (
  file_id         INTEGER NOT NULL REFERENCES file(id),
  context_id      INTEGER NOT NULL REFERENCES context(id),
  lines_covered   INTEGER NOT NULL,
  regions_covered INTEGER NOT NULL,
  lines           BLOB NOT NULL,    -- line bitmap
  regions         BLOB NOT NULL,    -- bitmap of indices into the label's
                                    -- region_spans of the file
  PRIMARY KEY (file_id, context_id)
) WITHOUT ROWID;
-- A context's counters for one binary (sparse, against its function table).
CREATE TABLE profile (
  context_id INTEGER NOT NULL REFERENCES context(id),
  binary_id  INTEGER NOT NULL REFERENCES binary(id),
  counters   BLOB NOT NULL,         -- encodeSparse
  PRIMARY KEY (context_id, binary_id)
) WITHOUT ROWID;
)sql";

const char *const CovDBIndexSQL = R"sql(
CREATE UNIQUE INDEX context_label_test ON context (label_id, test);
CREATE INDEX coverage_context ON coverage (context_id);
)sql";

} // namespace covlock
