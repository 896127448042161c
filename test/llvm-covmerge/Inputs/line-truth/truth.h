// truth.h: the ground truth a program keeps about itself. ran(N) records
// that the line saying it ran; truth.c writes "<test> <N>" for each at exit
// to the file $TRUTH names. Every N is one line of one source file
// (truth.py finds it there), and ran is a plain call: no macro at the line.
#ifndef TRUTH_H
#define TRUTH_H
#ifdef __cplusplus
extern "C"
#endif
    void
    ran(int N);
#endif
