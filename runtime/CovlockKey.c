/*===- CovlockKey.c - test ids to directory names -------------------------===*\
|*
|* The encoding is specified in docs/protocol.md ("Test keys"): injective,
|* never '/', '.', '..' or a leading '.'/'_', at most COVLOCK_KEY_MAX bytes.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <string.h>

#define COVLOCK_KEY_CUT 143 /* + '~' + 16 hex digits = COVLOCK_KEY_MAX */

static int isKeptByte(unsigned char C, size_t Pos) {
  if (Pos == 0 && (C == '.' || C == '_'))
    return 0;
  return (C >= 'A' && C <= 'Z') || (C >= 'a' && C <= 'z') ||
         (C >= '0' && C <= '9') || C == '.' || C == '_' || C == '-';
}

static uint64_t fnv1a64(const unsigned char *S, size_t N) {
  uint64_t H = 0xcbf29ce484222325ULL;
  for (size_t I = 0; I != N; ++I)
    H = (H ^ S[I]) * 0x100000001b3ULL;
  return H;
}

void covlockEncodeKey(const char *Id, size_t N, char *Out) {
  static const char Upper[] = "0123456789ABCDEF";
  const unsigned char *U = (const unsigned char *)Id;
  size_t Len = 0, Cut = 0; /* Cut: length at the last boundary <= KEY_CUT */
  int TooLong = 0;
  for (size_t I = 0; I != N; ++I) {
    size_t Width = isKeptByte(U[I], I) ? 1 : 3;
    if (Len + Width > COVLOCK_KEY_MAX) {
      TooLong = 1;
      break;
    }
    if (Width == 1) {
      Out[Len] = (char)U[I];
    } else {
      Out[Len] = '%';
      Out[Len + 1] = Upper[U[I] >> 4];
      Out[Len + 2] = Upper[U[I] & 15];
    }
    Len += Width;
    if (Len <= COVLOCK_KEY_CUT)
      Cut = Len;
  }
  if (TooLong) {
    uint64_t H = fnv1a64(U, N);
    Len = Cut;
    Out[Len++] = '~';
    for (int Shift = 60; Shift >= 0; Shift -= 4)
      Out[Len++] = "0123456789abcdef"[(H >> Shift) & 15];
  }
  Out[Len] = '\0';
}
