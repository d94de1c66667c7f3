/* Figures on stdout: name=value lines, or one JSON object; see tool.h. */
#include <math.h>
#include <stdio.h>

#include "tool.h"

static int as_json;
static int n_items;

void out_begin(int json) {
  as_json = json;
  n_items = 0;
  if (as_json) fputc('{', stdout);
}

static void key(const char *k) {
  if (as_json)
    printf("%s\"%s\": ", n_items++ ? ", " : "", k);
  else
    printf("%s=", k);
}

static void json_string(const char *s) {
  fputc('"', stdout);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      printf("\\%c", *p);
    else if (*p < 0x20)
      printf("\\u%04x", *p);
    else
      fputc(*p, stdout);
  }
  fputc('"', stdout);
}

void out_str(const char *k, const char *value) {
  key(k);
  if (as_json)
    json_string(value);
  else
    printf("%s\n", value);
}

void out_int(const char *k, long long value) {
  key(k);
  printf(as_json ? "%lld" : "%lld\n", value);
}

static void number(double v) {
  if (as_json && !isfinite(v))
    fputs("null", stdout);
  else
    printf("%.6e", v);
}

void out_num(const char *k, double value) {
  key(k);
  number(value);
  if (!as_json) fputc('\n', stdout);
}

void out_nums(const char *json_key, const char *prefix, const double *values, int n) {
  if (as_json) {
    key(json_key);
    fputc('[', stdout);
    for (int i = 0; i < n; i++) {
      if (i) fputs(", ", stdout);
      number(values[i]);
    }
    fputc(']', stdout);
    return;
  }
  for (int i = 0; i < n; i++) {
    printf("%s_r%d=", prefix, i);
    number(values[i]);
    fputc('\n', stdout);
  }
}

int out_end(void) {
  if (as_json) fputs("}\n", stdout);
  if (fflush(stdout) != 0 || ferror(stdout)) return 1;
  return 0;
}
