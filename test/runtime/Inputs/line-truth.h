/* Ground truth for the line tests: MARK() records, in a file shared by
 * every process of the program (fork children included), that its line
 * ran. line-truth.py compares the marks with what the coverage says. */
#ifndef LINE_TRUTH_H
#define LINE_TRUTH_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define LINE_TRUTH_LINES 65536
static volatile unsigned char *LineTruth;

/* Maps $TRUTH (created empty by the first call in the process tree). */
static void truthOpen(void) {
  const char *Path = getenv("TRUTH");
  int Fd = Path ? open(Path, O_RDWR | O_CREAT, 0644) : -1;
  if (Fd < 0 || ftruncate(Fd, LINE_TRUTH_LINES) != 0)
    abort();
  LineTruth = (volatile unsigned char *)mmap(
      NULL, LINE_TRUTH_LINES, PROT_READ | PROT_WRITE, MAP_SHARED, Fd, 0);
  close(Fd);
  if (LineTruth == (volatile unsigned char *)MAP_FAILED)
    abort();
}

#define MARK() (LineTruth[__LINE__] = 1)

#endif
