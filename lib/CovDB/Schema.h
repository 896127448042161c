//===- Schema.h - The covdb's tables ----------------------------*- C++ -*-===//
//
// Private to lib/CovDB: the SQL that creates a database of version
// CovDBSchemaVersion (CovDBReader.h); Schema.cpp documents each column and
// the version history, as docs/covdb.md does for users.
//
//===----------------------------------------------------------------------===//

#ifndef COVLOCK_LIB_COVDB_SCHEMA_H
#define COVLOCK_LIB_COVDB_SCHEMA_H

namespace covlock {

/// The tables, created empty.
extern const char *const CovDBSchemaSQL;
/// The indexes, created after the rows are in.
extern const char *const CovDBIndexSQL;

} // namespace covlock

#endif // COVLOCK_LIB_COVDB_SCHEMA_H
