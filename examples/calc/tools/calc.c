/*===- calc.c - the calc command-line tool --------------------------------===*\
|*
|* calc [MODE] [OPTIONS] [EXPR...]
|*
|* Evaluates each EXPR (or each non-blank, non-'#' line of stdin if there is
|* none) and prints its value. Modes:
|*   --tokens        print the tokens instead
|*   --ast           print the parse tree instead
|*   --stats         the arguments are numbers: print statistics
|* Process behaviours (the reason this example exists):
|*   --fork          evaluate each expression in a forked child
|*   --exec          check the expressions, then exec calc-helper on them
|*   --crash=KIND    after printing, crash: abort | segv
|*   --exit-now      after printing, leave with _exit
|*
|* Exit status: 0, or 1 if an expression failed, 2 for a usage error.
|*
\*===----------------------------------------------------------------------===*/

#include "calc.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum mode { MODE_EVAL, MODE_TOKENS, MODE_AST, MODE_STATS };

static void report(const char *src, const calc_error *err) {
  fprintf(stderr, "calc: error: %s at column %zu in '%s'\n", err->msg,
          err->pos + 1, src);
}

static int do_tokens(const char *src) {
  calc_token toks[CALC_MAX_TOKENS];
  calc_error err;
  int n = calc_tokenize(src, toks, &err);
  if (n < 0) {
    report(src, &err);
    return 1;
  }
  for (int i = 0; i < n; ++i) {
    printf("%s", calc_tok_kind_name(toks[i].kind));
    if (toks[i].kind == CALC_TOK_NUM) {
      putchar(' ');
      calc_print_value(toks[i].num, stdout);
    } else if (toks[i].kind == CALC_TOK_IDENT || toks[i].kind == CALC_TOK_OP) {
      printf(" %s", toks[i].text);
    }
    printf(" @%zu\n", toks[i].pos + 1);
  }
  return 0;
}

static int do_ast(const char *src) {
  calc_error err;
  calc_node *n = calc_parse(src, &err);
  if (!n) {
    report(src, &err);
    return 1;
  }
  calc_print_tree(n, stdout);
  putchar('\n');
  calc_free(n);
  return 0;
}

static int do_eval(const char *src) {
  calc_error err;
  double v;
  if (calc_eval(src, &v, &err) < 0) {
    report(src, &err);
    return 1;
  }
  calc_print_value(v, stdout);
  putchar('\n');
  return 0;
}

static int run_one(enum mode mode, const char *src) {
  switch (mode) {
  case MODE_TOKENS:
    return do_tokens(src);
  case MODE_AST:
    return do_ast(src);
  default:
    return do_eval(src);
  }
}

/* Evaluates in a forked child; the parent reports how the child ended. */
static int run_forked(enum mode mode, const char *src, const char *crash) {
  pid_t pid;
  int status;
  fflush(NULL); /* never let the child inherit unwritten output */
  pid = fork();
  if (pid < 0) {
    perror("calc: fork");
    return 1;
  }
  if (pid == 0) {
    int r = run_one(mode, src);
    fflush(NULL);
    if (crash && !strcmp(crash, "abort"))
      abort();
    if (crash && !strcmp(crash, "segv"))
      raise(SIGSEGV);
    exit(r);
  }
  if (waitpid(pid, &status, 0) < 0) {
    perror("calc: waitpid");
    return 1;
  }
  if (WIFSIGNALED(status)) {
    printf("child %s: killed by signal %d\n", src, WTERMSIG(status));
    return 0;
  }
  printf("child %s: exit %d\n", src, WEXITSTATUS(status));
  return WEXITSTATUS(status) != 0;
}

static int do_stats(int n, char **args) {
  double *v = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
  double mean, median, sd, lo, hi;
  for (int i = 0; i < n; ++i) {
    calc_error err;
    if (calc_eval(args[i], &v[i], &err) < 0) {
      report(args[i], &err);
      free(v);
      return 1;
    }
  }
  if (calc_mean(v, (size_t)n, &mean) < 0) {
    fprintf(stderr, "calc: --stats needs at least one number\n");
    free(v);
    return 1;
  }
  calc_median(v, (size_t)n, &median);
  calc_stddev(v, (size_t)n, &sd);
  calc_minmax(v, (size_t)n, &lo, &hi);
  printf("n=%d mean=", n);
  calc_print_value(mean, stdout);
  printf(" median=");
  calc_print_value(median, stdout);
  printf(" stddev=");
  calc_print_value(sd, stdout);
  printf(" min=");
  calc_print_value(lo, stdout);
  printf(" max=");
  calc_print_value(hi, stdout);
  putchar('\n');
  free(v);
  return 0;
}

static int do_exec(int n, char **exprs) {
  static char helper[] = "calc-helper";
  char **argv = calloc((size_t)n + 2, sizeof(char *));
  for (int i = 0; i < n; ++i) {
    calc_error err;
    calc_node *t = calc_parse(exprs[i], &err);
    if (!t) {
      report(exprs[i], &err);
      free(argv);
      return 1;
    }
    calc_free(t);
  }
  argv[0] = helper;
  for (int i = 0; i < n; ++i)
    argv[i + 1] = exprs[i];
  printf("calc: handing %d expression(s) to calc-helper\n", n);
  fflush(NULL);
  execvp(argv[0], argv);
  perror("calc: exec calc-helper");
  free(argv);
  return 1;
}

static void crash_now(const char *kind) {
  fflush(NULL);
  if (!strcmp(kind, "abort"))
    abort();
  /* A real invalid access: address 0 (getpid() is never 0), which the
   * compiler cannot prove and so cannot turn into a trap. */
  *(volatile int *)(uintptr_t)(getpid() == 0) = 1;
  raise(SIGSEGV); /* not reached */
}

static void usage(void) {
  fprintf(stderr, "usage: calc [--tokens|--ast|--stats] [--fork] [--exec] "
                  "[--crash=abort|segv] [--exit-now] [EXPR...]\n");
}

int main(int argc, char **argv) {
  enum mode mode = MODE_EVAL;
  int fork_each = 0, exec_helper = 0, exit_now = 0, status = 0, first = 1;
  const char *crash = NULL;
  /* Results and errors interleave in order even through a pipe. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (; first < argc && argv[first][0] == '-' && argv[first][1] == '-';
       ++first) {
    const char *a = argv[first];
    if (!strcmp(a, "--")) {
      ++first;
      break;
    }
    if (!strcmp(a, "--tokens"))
      mode = MODE_TOKENS;
    else if (!strcmp(a, "--ast"))
      mode = MODE_AST;
    else if (!strcmp(a, "--stats"))
      mode = MODE_STATS;
    else if (!strcmp(a, "--fork"))
      fork_each = 1;
    else if (!strcmp(a, "--exec"))
      exec_helper = 1;
    else if (!strcmp(a, "--exit-now"))
      exit_now = 1;
    else if (!strncmp(a, "--crash=", 8) &&
             (!strcmp(a + 8, "abort") || !strcmp(a + 8, "segv")))
      crash = a + 8;
    else {
      fprintf(stderr, "calc: unknown option '%s'\n", a);
      usage();
      return 2;
    }
  }

  if (mode == MODE_STATS)
    return do_stats(argc - first, argv + first);
  if (exec_helper)
    return do_exec(argc - first, argv + first);

  if (first < argc) {
    for (int i = first; i < argc; ++i)
      status |=
          fork_each ? run_forked(mode, argv[i], crash) : run_one(mode, argv[i]);
  } else {
    char line[1024];
    while (fgets(line, sizeof(line), stdin)) {
      char *s = line;
      line[strcspn(line, "\r\n")] = '\0';
      while (*s == ' ' || *s == '\t')
        ++s;
      if (*s == '\0' || *s == '#')
        continue;
      status |= fork_each ? run_forked(mode, s, crash) : run_one(mode, s);
    }
  }

  if (crash && !fork_each)
    crash_now(crash);
  if (exit_now) {
    fflush(NULL);
    _exit(status);
  }
  return status;
}
