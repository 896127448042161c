#!/usr/bin/env python3
"""Generates a C++17 program whose templates compile different code per
instantiation: N instantiations of one function template, each with a lambda
whose `if constexpr` picks a branch, so that every component of its coverage
mapping has alternatives (the case covlock's line rules build views for).

Run with K in 1..7 as its argument count, a test runs the instantiations
whose index is K - 1 mod 7.
"""
import argparse

TEMPLATE = """\
volatile int sink;

template <int N> int f(int x) {
  auto l = [](int y) {
    if constexpr (N % 2) {
      sink = y;
      return y + 1;
    }
    sink = -y;
    return y - 1;
  };
  if constexpr (N % 3 == 0) {
    return l(x);
  }
  return l(x) * 2;
}
"""


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("-n", type=int, default=5000, help="instantiations")
    p.add_argument("-o", required=True, help="output .cpp")
    a = p.parse_args()
    with open(a.o, "w") as out:
        out.write(TEMPLATE)
        out.write("int main(int argc, char **argv) {\n  int s = 0;\n")
        for i in range(a.n):
            out.write("  if (argc == %d)\n    s += f<%d>(argc);\n" % (i % 7 + 1, i))
        out.write("  return s == 12345;\n}\n")


if __name__ == "__main__":
    main()
