/* Strict option parsing and the help of the subcommands; see tool.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

static char prog[64] = "symclone";
static const char *cmd_name = NULL;

const char *tool_prog(void) { return prog; }

void tool_set_cmd(const char *cmd) {
  cmd_name = cmd;
  snprintf(prog, sizeof prog, cmd ? "symclone %s" : "symclone", cmd ? cmd : "");
}

static void vmessage(const char *fmt, va_list ap) {
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
}

int tool_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(fmt, ap);
  va_end(ap);
  if (cmd_name)
    fprintf(stderr, " (see 'symclone %s --help')\n", cmd_name);
  else
    fprintf(stderr, " (see 'symclone --help')\n");
  return TOOL_USAGE;
}

int tool_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return TOOL_FAIL;
}

/* The range of a number option: its own, or its setting's bounds. */
static void opt_range(const tool_opt *o, double *lo, double *hi) {
  *lo = o->min;
  *hi = o->max;
  if (o->setting) {
    double l, h;
    if (symclone_setting_bounds(o->setting, &l, &h, NULL) == SYMCLONE_OK) {
      /* an option may narrow the setting's range, never widen it */
      if (!(o->min > l)) *lo = l;
      if (!(o->max < h) || o->max == 0) *hi = h;
    }
  }
}

static void format_range(char *buf, size_t len, const tool_opt *o) {
  double lo, hi;
  opt_range(o, &lo, &hi);
  if (o->kind == OPT_INT)
    snprintf(buf, len, "[%.0f, %.0f]", lo, hi);
  else
    snprintf(buf, len, "%c%g, %g]", o->min_open ? '(' : '[', lo, hi);
}

/* Help text flowed into the column after the option names, 78 wide. */
static void wrap(FILE *f, const char *text) {
  int col = 0;
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == '\n') p++;
    size_t w = strcspn(p, " \n");
    if (!w) break;
    if (col && col + 1 + (int)w > 53) {
      fprintf(f, "\n  %-22s ", "");
      col = 0;
    } else if (col) {
      fputc(' ', f);
      col++;
    }
    fwrite(p, 1, w, f);
    col += (int)w;
    p += w;
  }
}

void tool_print_help(FILE *f, const tool_cmd *cmd, const tool_opt *opts, int n) {
  fprintf(f, "usage: symclone %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->synopsis, cmd->about);
  for (int i = 0; i < n; i++) {
    const tool_opt *o = &opts[i];
    char head[96];
    int at = snprintf(head, sizeof head, "%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "",
                      o->name);
    if (o->kind == OPT_CHOICE)
      snprintf(head + at, sizeof head - (size_t)at, " %s", o->choices);
    else if (o->arg)
      snprintf(head + at, sizeof head - (size_t)at, " %s", o->arg);
    if (strlen(head) > 22)
      fprintf(f, "  %s\n  %-22s ", head, "");
    else
      fprintf(f, "  %-22s ", head);
    wrap(f, o->help);
    if (o->kind == OPT_INT || o->kind == OPT_REAL) {
      char range[96];
      format_range(range, sizeof range, o);
      fprintf(f, "\n  %-22s %s in %s", "", o->arg, range);
    }
    fputc('\n', f);
  }
  fprintf(f, "  %-22s this text\n", "-h, --help");
}

/* -?[0-9]+ and nothing else, inside the range. */
static int parse_int(const tool_opt *o, const char *s, long long *out) {
  const char *p = s + (*s == '-');
  int whole = *p != '\0';
  for (const char *q = p; *q && whole; q++)
    if (!isdigit((unsigned char)*q)) whole = 0;
  if (!whole) return tool_usage_error("%s: '%s' is not a whole number", o->name, s);
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  double lo, hi;
  opt_range(o, &lo, &hi);
  if (errno == ERANGE || (double)v < lo || (double)v > hi) {
    char range[96];
    format_range(range, sizeof range, o);
    return tool_usage_error("%s: %s is outside %s", o->name, s, range);
  }
  *out = v;
  return 0;
}

static int parse_real(const tool_opt *o, const char *s, double *out) {
  char *end = NULL;
  double v = NAN;
  if (*s && !isspace((unsigned char)*s)) v = strtod(s, &end);
  if (!isfinite(v) || !end || *end)
    return tool_usage_error("%s: '%s' is not a finite number", o->name, s);
  double lo, hi;
  opt_range(o, &lo, &hi);
  if (v < lo || (o->min_open && v == lo) || v > hi) {
    char range[96];
    format_range(range, sizeof range, o);
    return tool_usage_error("%s: %s is outside %s", o->name, s, range);
  }
  *out = v;
  return 0;
}

/* '-' and '_' match each other in a choice. */
static int choice_eq(const char *c, size_t w, const char *s) {
  if (strlen(s) != w) return 0;
  for (size_t i = 0; i < w; i++) {
    char a = (char)tolower((unsigned char)c[i]), b = (char)tolower((unsigned char)s[i]);
    if (a == '_') a = '-';
    if (b == '_') b = '-';
    if (a != b) return 0;
  }
  return 1;
}

static int parse_choice(const tool_opt *o, const char *s, int *out) {
  const char *c = o->choices;
  for (int idx = 0; *c; idx++) {
    size_t w = strcspn(c, "|");
    if (choice_eq(c, w, s)) {
      *out = idx;
      return 0;
    }
    c += w + (c[w] == '|');
  }
  return tool_usage_error("%s: '%s' is not one of %s", o->name, s, o->choices);
}

static int parse_value(const tool_opt *o, const char *v) {
  struct stat sb;
  switch (o->kind) {
    case OPT_INT:
      return parse_int(o, v, o->value);
    case OPT_REAL:
      return parse_real(o, v, o->value);
    case OPT_CHOICE:
      return parse_choice(o, v, o->value);
    case OPT_DIR:
      if (stat(v, &sb) || !S_ISDIR(sb.st_mode))
        return tool_usage_error("%s: '%s' is not a directory", o->name, v);
      *(const char **)o->value = v;
      return 0;
    case OPT_TEXT:
      if (!*v) return tool_usage_error("%s: the value is empty", o->name);
      *(const char **)o->value = v;
      return 0;
    case OPT_FLAG:
      break;
  }
  return TOOL_USAGE;
}

#define MAX_OPTS 64

int tool_parse(const tool_cmd *cmd, const tool_opt *opts, int n, int argc, char **argv,
               const char **operands) {
  int seen[MAX_OPTS] = {0}, n_ops = 0, options_done = 0;
  if (n > MAX_OPTS) return tool_fail("internal: too many options");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (options_done || a[0] != '-' || a[1] == '\0') {
      if (n_ops == cmd->n_operands) {
        if (cmd->n_operands == 0)
          return tool_usage_error("unexpected argument '%s' (%s takes no operand)", a, cmd->name);
        return tool_usage_error("unexpected argument '%s' (%s takes one %s)", a, cmd->name,
                                cmd->operands);
      }
      operands[n_ops++] = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      options_done = 1;
      continue;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      tool_print_help(stdout, cmd, opts, n);
      return 0;
    }
    const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    int k = 0;
    for (; k < n; k++) {
      const tool_opt *o = &opts[k];
      if ((strlen(o->name) == len && !strncmp(a, o->name, len)) ||
          (!eq && o->alias && !strcmp(a, o->alias)))
        break;
    }
    if (k == n) return tool_usage_error("unknown option '%.*s'", (int)len, a);
    const tool_opt *o = &opts[k];
    if (seen[k]++) return tool_usage_error("%s is given twice", o->name);
    if (o->kind == OPT_FLAG) {
      if (eq) return tool_usage_error("%s takes no value", o->name);
      *(int *)o->value = 1;
      continue;
    }
    const char *v;
    if (eq) {
      v = eq + 1;
    } else {
      if (i + 1 >= argc)
        return tool_usage_error("%s needs a value (%s)", o->name,
                                o->kind == OPT_CHOICE ? o->choices : o->arg);
      v = argv[++i];
    }
    if (parse_value(o, v)) return TOOL_USAGE;
  }
  if (n_ops < cmd->n_operands) return tool_usage_error("missing %s operand", cmd->operands);
  return -1;
}
