/*===- calc.c - a small expression calculator library ---------------------===*\
|*
|* Grammar (lowest to highest precedence):
|*   expr    := term (('+' | '-') term)*
|*   term    := unary (('*' | '/' | '%') unary)*
|*   unary   := ('-' | '+') unary | power
|*   power   := primary ('^' unary)?            (right-associative)
|*   primary := NUM | IDENT | IDENT '(' [expr (',' expr)*] ')' | '(' expr ')'
|*
\*===----------------------------------------------------------------------===*/

#include "calc.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- Errors ------------------------------------------------------------- */

static void set_error(calc_error *err, size_t pos, const char *fmt, ...) {
  va_list ap;
  if (!err)
    return;
  err->ok = 0;
  err->pos = pos;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  va_end(ap);
}

static void clear_error(calc_error *err) {
  if (err) {
    err->ok = 1;
    err->pos = 0;
    err->msg[0] = '\0';
  }
}

/* ---- Tokenizer ---------------------------------------------------------- */

const char *calc_tok_kind_name(calc_tok_kind k) {
  switch (k) {
  case CALC_TOK_NUM:
    return "NUM";
  case CALC_TOK_IDENT:
    return "IDENT";
  case CALC_TOK_OP:
    return "OP";
  case CALC_TOK_LPAREN:
    return "LPAREN";
  case CALC_TOK_RPAREN:
    return "RPAREN";
  case CALC_TOK_COMMA:
    return "COMMA";
  case CALC_TOK_END:
    return "END";
  }
  return "?";
}

int calc_tokenize(const char *src, calc_token *toks, calc_error *err) {
  size_t i = 0;
  int n = 0;
  clear_error(err);
  for (;;) {
    calc_token *t;
    while (isspace((unsigned char)src[i]))
      ++i;
    if (n == CALC_MAX_TOKENS - 1 && src[i] != '\0') {
      set_error(err, i, "too many tokens");
      return -1;
    }
    t = &toks[n];
    memset(t, 0, sizeof(*t));
    t->pos = i;
    if (src[i] == '\0') {
      t->kind = CALC_TOK_END;
      return n + 1;
    }
    if (isdigit((unsigned char)src[i]) ||
        (src[i] == '.' && isdigit((unsigned char)src[i + 1]))) {
      char *end;
      t->kind = CALC_TOK_NUM;
      t->num = strtod(src + i, &end);
      if (isalpha((unsigned char)*end) || *end == '_') {
        set_error(err, (size_t)(end - src), "bad number");
        return -1;
      }
      i = (size_t)(end - src);
    } else if (isalpha((unsigned char)src[i]) || src[i] == '_') {
      size_t len = 0;
      t->kind = CALC_TOK_IDENT;
      while (isalnum((unsigned char)src[i]) || src[i] == '_') {
        if (len + 1 < sizeof(t->text))
          t->text[len++] = src[i];
        ++i;
      }
      t->text[len] = '\0';
    } else if (strchr("+-*/%^", src[i])) {
      t->kind = CALC_TOK_OP;
      t->text[0] = src[i++];
    } else if (src[i] == '(') {
      t->kind = CALC_TOK_LPAREN;
      ++i;
    } else if (src[i] == ')') {
      t->kind = CALC_TOK_RPAREN;
      ++i;
    } else if (src[i] == ',') {
      t->kind = CALC_TOK_COMMA;
      ++i;
    } else {
      set_error(err, i, "unexpected character '%c'", src[i]);
      return -1;
    }
    ++n;
  }
}

/* ---- Parser ------------------------------------------------------------- */

typedef enum { NODE_NUM, NODE_NAME, NODE_NEG, NODE_BIN, NODE_CALL } node_kind;

struct calc_node {
  node_kind kind;
  size_t pos;
  double num;
  char op;
  char name[16];
  int nargs;
  calc_node *args[CALC_MAX_ARGS]; /* BIN: lhs, rhs; NEG: operand */
};

typedef struct {
  const calc_token *toks;
  int cur;
  calc_error *err;
} parser;

static calc_node *new_node(node_kind kind, size_t pos) {
  calc_node *n = calloc(1, sizeof(*n));
  if (!n) {
    fprintf(stderr, "calc: out of memory\n");
    exit(2);
  }
  n->kind = kind;
  n->pos = pos;
  return n;
}

void calc_free(calc_node *n) {
  if (!n)
    return;
  for (int i = 0; i < n->nargs; ++i)
    calc_free(n->args[i]);
  free(n);
}

static const calc_token *peek(parser *p) { return &p->toks[p->cur]; }

static int is_op(parser *p, char op) {
  return peek(p)->kind == CALC_TOK_OP && peek(p)->text[0] == op;
}

static calc_node *parse_expr(parser *p);
static calc_node *parse_unary(parser *p);

static calc_node *parse_primary(parser *p) {
  const calc_token *t = peek(p);
  calc_node *n;
  switch (t->kind) {
  case CALC_TOK_NUM:
    n = new_node(NODE_NUM, t->pos);
    n->num = t->num;
    p->cur++;
    return n;
  case CALC_TOK_IDENT:
    p->cur++;
    if (peek(p)->kind != CALC_TOK_LPAREN) {
      n = new_node(NODE_NAME, t->pos);
      memcpy(n->name, t->text, sizeof(n->name));
      return n;
    }
    p->cur++;
    n = new_node(NODE_CALL, t->pos);
    memcpy(n->name, t->text, sizeof(n->name));
    if (peek(p)->kind != CALC_TOK_RPAREN) {
      for (;;) {
        calc_node *arg;
        if (n->nargs == CALC_MAX_ARGS) {
          set_error(p->err, peek(p)->pos, "too many arguments");
          calc_free(n);
          return NULL;
        }
        if (!(arg = parse_expr(p))) {
          calc_free(n);
          return NULL;
        }
        n->args[n->nargs++] = arg;
        if (peek(p)->kind != CALC_TOK_COMMA)
          break;
        p->cur++;
      }
    }
    if (peek(p)->kind != CALC_TOK_RPAREN) {
      set_error(p->err, peek(p)->pos, "expected ')'");
      calc_free(n);
      return NULL;
    }
    p->cur++;
    return n;
  case CALC_TOK_LPAREN:
    p->cur++;
    if (!(n = parse_expr(p)))
      return NULL;
    if (peek(p)->kind != CALC_TOK_RPAREN) {
      set_error(p->err, peek(p)->pos, "expected ')'");
      calc_free(n);
      return NULL;
    }
    p->cur++;
    return n;
  case CALC_TOK_END:
    set_error(p->err, t->pos, "unexpected end of input");
    return NULL;
  default:
    set_error(p->err, t->pos, "unexpected %s", calc_tok_kind_name(t->kind));
    return NULL;
  }
}

static calc_node *make_bin(char op, size_t pos, calc_node *l, calc_node *r) {
  calc_node *n = new_node(NODE_BIN, pos);
  n->op = op;
  n->nargs = 2;
  n->args[0] = l;
  n->args[1] = r;
  return n;
}

static calc_node *parse_power(parser *p) {
  calc_node *base = parse_primary(p), *exp;
  size_t pos;
  if (!base || !is_op(p, '^'))
    return base;
  pos = peek(p)->pos;
  p->cur++;
  if (!(exp = parse_unary(p))) {
    calc_free(base);
    return NULL;
  }
  return make_bin('^', pos, base, exp);
}

static calc_node *parse_unary(parser *p) {
  if (is_op(p, '-') || is_op(p, '+')) {
    char op = peek(p)->text[0];
    size_t pos = peek(p)->pos;
    calc_node *operand, *n;
    p->cur++;
    if (!(operand = parse_unary(p)))
      return NULL;
    if (op == '+')
      return operand;
    n = new_node(NODE_NEG, pos);
    n->nargs = 1;
    n->args[0] = operand;
    return n;
  }
  return parse_power(p);
}

static calc_node *parse_binary(parser *p, const char *ops,
                               calc_node *(*next)(parser *)) {
  calc_node *lhs = next(p);
  while (lhs && peek(p)->kind == CALC_TOK_OP && strchr(ops, peek(p)->text[0])) {
    char op = peek(p)->text[0];
    size_t pos = peek(p)->pos;
    calc_node *rhs;
    p->cur++;
    if (!(rhs = next(p))) {
      calc_free(lhs);
      return NULL;
    }
    lhs = make_bin(op, pos, lhs, rhs);
  }
  return lhs;
}

static calc_node *parse_term(parser *p) {
  return parse_binary(p, "*/%", parse_unary);
}
static calc_node *parse_expr(parser *p) {
  return parse_binary(p, "+-", parse_term);
}

calc_node *calc_parse(const char *src, calc_error *err) {
  calc_token toks[CALC_MAX_TOKENS];
  parser p;
  calc_node *n;
  if (calc_tokenize(src, toks, err) < 0)
    return NULL;
  p.toks = toks;
  p.cur = 0;
  p.err = err;
  if (!(n = parse_expr(&p)))
    return NULL;
  if (peek(&p)->kind != CALC_TOK_END) {
    set_error(err, peek(&p)->pos, "unexpected %s after expression",
              calc_tok_kind_name(peek(&p)->kind));
    calc_free(n);
    return NULL;
  }
  return n;
}

void calc_print_tree(const calc_node *n, FILE *f) {
  switch (n->kind) {
  case NODE_NUM:
    calc_print_value(n->num, f);
    return;
  case NODE_NAME:
    fputs(n->name, f);
    return;
  case NODE_NEG:
    fputs("(neg ", f);
    break;
  case NODE_BIN:
    fprintf(f, "(%c ", n->op);
    break;
  case NODE_CALL:
    fprintf(f, "(%s%s", n->name, n->nargs ? " " : "");
    break;
  }
  for (int i = 0; i < n->nargs; ++i) {
    if (i)
      fputc(' ', f);
    calc_print_tree(n->args[i], f);
  }
  fputc(')', f);
}

/* ---- Evaluator ---------------------------------------------------------- */

static int eval_name(const calc_node *n, double *out, calc_error *err) {
  if (!strcmp(n->name, "pi"))
    *out = 3.14159265358979323846;
  else if (!strcmp(n->name, "e"))
    *out = 2.71828182845904523536;
  else {
    set_error(err, n->pos, "unknown name '%s'", n->name);
    return -1;
  }
  return 0;
}

static int eval_call(const calc_node *n, double *out, calc_error *err) {
  double v[CALC_MAX_ARGS];
  const char *f = n->name;
  for (int i = 0; i < n->nargs; ++i)
    if (calc_eval_tree(n->args[i], &v[i], err) < 0)
      return -1;
  if (!strcmp(f, "abs") || !strcmp(f, "sqrt")) {
    if (n->nargs != 1) {
      set_error(err, n->pos, "%s takes 1 argument", f);
      return -1;
    }
    if (f[0] == 'a') {
      *out = v[0] < 0 ? -v[0] : v[0];
      return 0;
    }
    if (v[0] < 0) {
      set_error(err, n->pos, "sqrt of a negative number");
      return -1;
    }
    *out = sqrt(v[0]);
    return 0;
  }
  if (!strcmp(f, "min") || !strcmp(f, "max")) {
    double lo, hi;
    if (calc_minmax(v, (size_t)n->nargs, &lo, &hi) < 0) {
      set_error(err, n->pos, "%s needs at least 1 argument", f);
      return -1;
    }
    *out = f[1] == 'i' ? lo : hi;
    return 0;
  }
  if (!strcmp(f, "mean") || !strcmp(f, "median") || !strcmp(f, "stddev")) {
    int r;
    if (f[0] == 's')
      r = calc_stddev(v, (size_t)n->nargs, out);
    else if (!strcmp(f, "mean"))
      r = calc_mean(v, (size_t)n->nargs, out);
    else
      r = calc_median(v, (size_t)n->nargs, out);
    if (r < 0) {
      set_error(err, n->pos, "%s needs at least 1 argument", f);
      return -1;
    }
    return 0;
  }
  set_error(err, n->pos, "unknown function '%s'", f);
  return -1;
}

static int eval_bin(const calc_node *n, double l, double r, double *out,
                    calc_error *err) {
  switch (n->op) {
  case '+':
    *out = l + r;
    return 0;
  case '-':
    *out = l - r;
    return 0;
  case '*':
    *out = l * r;
    return 0;
  case '/':
  case '%':
    if (r == 0) {
      set_error(err, n->pos, "%s by zero",
                n->op == '/' ? "division" : "modulo");
      return -1;
    }
    *out = n->op == '/' ? l / r : fmod(l, r);
    return 0;
  case '^':
    if (l == 0 && r < 0) {
      set_error(err, n->pos, "zero to a negative power");
      return -1;
    }
    *out = pow(l, r);
    return 0;
  }
  set_error(err, n->pos, "bad operator '%c'", n->op);
  return -1;
}

int calc_eval_tree(const calc_node *n, double *out, calc_error *err) {
  double l, r;
  switch (n->kind) {
  case NODE_NUM:
    *out = n->num;
    return 0;
  case NODE_NAME:
    return eval_name(n, out, err);
  case NODE_CALL:
    return eval_call(n, out, err);
  case NODE_NEG:
    if (calc_eval_tree(n->args[0], &l, err) < 0)
      return -1;
    *out = -l;
    return 0;
  case NODE_BIN:
    if (calc_eval_tree(n->args[0], &l, err) < 0 ||
        calc_eval_tree(n->args[1], &r, err) < 0)
      return -1;
    return eval_bin(n, l, r, out, err);
  }
  return -1;
}

int calc_eval(const char *src, double *out, calc_error *err) {
  calc_node *n = calc_parse(src, err);
  int r;
  if (!n)
    return -1;
  r = calc_eval_tree(n, out, err);
  calc_free(n);
  return r;
}

void calc_print_value(double v, FILE *f) {
  if (v == (double)(long long)v && v > -1e15 && v < 1e15)
    fprintf(f, "%lld", (long long)v);
  else
    fprintf(f, "%.10g", v);
}

/* ---- Statistics --------------------------------------------------------- */

int calc_mean(const double *v, size_t n, double *out) {
  double sum = 0;
  if (n == 0)
    return -1;
  for (size_t i = 0; i < n; ++i)
    sum += v[i];
  *out = sum / (double)n;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int calc_median(const double *v, size_t n, double *out) {
  double *s;
  if (n == 0)
    return -1;
  if (!(s = malloc(n * sizeof(*s))))
    return -1;
  memcpy(s, v, n * sizeof(*s));
  qsort(s, n, sizeof(*s), cmp_double);
  *out = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  free(s);
  return 0;
}

int calc_stddev(const double *v, size_t n, double *out) {
  double mean, acc = 0;
  if (calc_mean(v, n, &mean) < 0)
    return -1;
  for (size_t i = 0; i < n; ++i)
    acc += (v[i] - mean) * (v[i] - mean);
  *out = sqrt(acc / (double)n);
  return 0;
}

int calc_minmax(const double *v, size_t n, double *min, double *max) {
  if (n == 0)
    return -1;
  *min = *max = v[0];
  for (size_t i = 1; i < n; ++i) {
    if (v[i] < *min)
      *min = v[i];
    else if (v[i] > *max)
      *max = v[i];
  }
  return 0;
}
