/*===- CovlockFormat.c - async-signal-safe formatting ---------------------===*\
|*
|* Records and paths are built on signal paths too, so nothing here calls
|* into libc beyond memcpy.
|*
\*===----------------------------------------------------------------------===*/

#include "CovlockInternal.h"

#include <errno.h>
#include <string.h>

void covlockBufInit(CovlockBuf *B, char *Data, size_t Cap) {
  B->Data = Data;
  B->Len = 0;
  B->Cap = Cap;
  B->Overflow = 0;
}

void covlockPutMem(CovlockBuf *B, const void *M, size_t N) {
  /* Keep one byte for the terminator. */
  if (B->Len + N + 1 > B->Cap) {
    B->Overflow = 1;
    return;
  }
  memcpy(B->Data + B->Len, M, N);
  B->Len += N;
}

void covlockPutStr(CovlockBuf *B, const char *S) {
  covlockPutMem(B, S, strlen(S));
}

void covlockPutU64(CovlockBuf *B, uint64_t V) {
  char Digits[20];
  size_t N = 0;
  do {
    Digits[sizeof(Digits) - ++N] = (char)('0' + V % 10);
    V /= 10;
  } while (V);
  covlockPutMem(B, Digits + sizeof(Digits) - N, N);
}

void covlockPutI64(CovlockBuf *B, int64_t V) {
  if (V < 0) {
    covlockPutMem(B, "-", 1);
    covlockPutU64(B, (uint64_t)0 - (uint64_t)V);
    return;
  }
  covlockPutU64(B, (uint64_t)V);
}

static const char HexDigits[] = "0123456789abcdef";

void covlockPutHex(CovlockBuf *B, const unsigned char *M, size_t N) {
  for (size_t I = 0; I != N; ++I) {
    char Pair[2] = {HexDigits[M[I] >> 4], HexDigits[M[I] & 15]};
    covlockPutMem(B, Pair, 2);
  }
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), or 0. */
static size_t utf8SequenceLength(const unsigned char *S, size_t N) {
  unsigned char C = S[0];
  size_t Len;
  uint32_t Min, CodePoint;
  if (C < 0x80)
    return 1;
  if ((C & 0xE0) == 0xC0)
    Len = 2, Min = 0x80, CodePoint = C & 0x1F;
  else if ((C & 0xF0) == 0xE0)
    Len = 3, Min = 0x800, CodePoint = C & 0x0F;
  else if ((C & 0xF8) == 0xF0)
    Len = 4, Min = 0x10000, CodePoint = C & 0x07;
  else
    return 0;
  if (Len > N)
    return 0;
  for (size_t I = 1; I != Len; ++I) {
    if ((S[I] & 0xC0) != 0x80)
      return 0;
    CodePoint = (CodePoint << 6) | (S[I] & 0x3F);
  }
  /* Overlong forms, surrogates and values past Unicode are invalid. */
  if (CodePoint < Min || CodePoint > 0x10FFFF ||
      (CodePoint >= 0xD800 && CodePoint <= 0xDFFF))
    return 0;
  return Len;
}

int covlockPutJsonStr(CovlockBuf *B, const char *S, size_t N) {
  const unsigned char *U = (const unsigned char *)S;
  int Valid = 1;
  covlockPutMem(B, "\"", 1);
  for (size_t I = 0; I < N;) {
    unsigned char C = U[I];
    if (C == '"' || C == '\\') {
      char Esc[2] = {'\\', (char)C};
      covlockPutMem(B, Esc, 2);
      ++I;
    } else if (C < 0x20 || C == 0x7F) {
      char Esc[6] = {'\\', 'u', '0', '0', HexDigits[C >> 4], HexDigits[C & 15]};
      covlockPutMem(B, Esc, 6);
      ++I;
    } else {
      size_t Len = utf8SequenceLength(U + I, N - I);
      if (Len) {
        covlockPutMem(B, U + I, Len);
        I += Len;
      } else {
        covlockPutStr(B, "\\ufffd");
        Valid = 0;
        ++I;
      }
    }
  }
  covlockPutMem(B, "\"", 1);
  return Valid;
}

int covlockBufFinish(CovlockBuf *B) {
  if (B->Cap)
    B->Data[B->Len < B->Cap ? B->Len : B->Cap - 1] = '\0';
  return B->Overflow;
}

/* strerror is not async-signal-safe; these are the errors a writer meets. */
const char *covlockErrnoText(int Err) {
  switch (Err) {
  case ENOSPC:
    return "No space left on device";
  case EDQUOT:
    return "Disk quota exceeded";
  case EFBIG:
    return "File too large";
  case EACCES:
    return "Permission denied";
  case EPERM:
    return "Operation not permitted";
  case ENOENT:
    return "No such file or directory";
  case ENOTDIR:
    return "Not a directory";
  case EROFS:
    return "Read-only file system";
  case EIO:
    return "Input/output error";
  case EEXIST:
    return "File exists";
  case ENAMETOOLONG:
    return "File name too long";
  case EMFILE:
    return "Too many open files";
  case ENOMEM:
    return "Cannot allocate memory";
  case EAGAIN:
    return "Resource temporarily unavailable";
  case ELOOP:
    return "Is a symbolic link; not followed";
  case ESTALE:
    return "Not the directory found at start-up";
  default:
    return "Unknown error";
  }
}
