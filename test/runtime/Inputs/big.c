// Enough functions for a profile of a few kilobytes.
#include <stdio.h>
#define F(N) __attribute__((noinline)) int f##N(int X) { return X > N ? X - N : X + N; }
#define F10(N) F(N##0) F(N##1) F(N##2) F(N##3) F(N##4) F(N##5) F(N##6) F(N##7) F(N##8) F(N##9)
F10(1) F10(2) F10(3) F10(4) F10(5) F10(6) F10(7) F10(8) F10(9)
int main(void) {
  printf("big ran\n");
  return f10(0) == 10 ? 5 : 0;
}
