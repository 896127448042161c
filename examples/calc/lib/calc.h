/*===- calc.h - a small expression calculator library ---------------------===*\
|*
|* The bundled covlock example: a tokenizer, a recursive-descent parser that
|* builds a tree, an evaluator, and a few statistics helpers. Real branches,
|* so that different tests cover different code.
|*
\*===----------------------------------------------------------------------===*/

#ifndef CALC_H
#define CALC_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
  CALC_TOK_NUM,
  CALC_TOK_IDENT,
  CALC_TOK_OP, /* + - * / % ^ */
  CALC_TOK_LPAREN,
  CALC_TOK_RPAREN,
  CALC_TOK_COMMA,
  CALC_TOK_END
} calc_tok_kind;

typedef struct {
  calc_tok_kind kind;
  size_t pos;    /* byte offset in the input */
  double num;    /* CALC_TOK_NUM */
  char text[16]; /* CALC_TOK_IDENT (truncated), CALC_TOK_OP */
} calc_token;

#define CALC_MAX_TOKENS 256
#define CALC_MAX_ARGS 32

typedef struct {
  int ok;
  size_t pos;
  char msg[96];
} calc_error;

/* Splits `src` into at most CALC_MAX_TOKENS tokens (the last is END).
 * Returns the number of tokens, or -1 with `err` set. */
int calc_tokenize(const char *src, calc_token *toks, calc_error *err);
const char *calc_tok_kind_name(calc_tok_kind k);

typedef struct calc_node calc_node;

/* Parses `src` into a tree; NULL with `err` set on a syntax error. */
calc_node *calc_parse(const char *src, calc_error *err);
void calc_free(calc_node *n);
/* Evaluates a tree; returns 0 and sets *out, or -1 with `err` set. */
int calc_eval_tree(const calc_node *n, double *out, calc_error *err);
/* Prints the tree in prefix form, e.g. (+ 1 (* 2 3)). */
void calc_print_tree(const calc_node *n, FILE *f);
/* parse + eval. */
int calc_eval(const char *src, double *out, calc_error *err);
/* Prints a value the way the calc tool does (integers without decimals). */
void calc_print_value(double v, FILE *f);

/* Statistics over n values; each returns 0, or -1 for an empty input. */
int calc_mean(const double *v, size_t n, double *out);
int calc_median(const double *v, size_t n, double *out);
int calc_stddev(const double *v, size_t n, double *out);
int calc_minmax(const double *v, size_t n, double *min, double *max);

#endif /* CALC_H */
