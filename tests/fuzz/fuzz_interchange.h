/* Shared by the fuzz targets of the interchange readers (fuzz_safetensors.c,
 * fuzz_npz.c): import an input as a student and as a network, and use what
 * loads.  A student or network that loads is run (forward pass), exported
 * again in the same format and imported back, and must come back bit for
 * bit.  A refusal must leave *out alone, return a negative status and
 * leave a message on the loader. */
#ifndef SYMCLONE_FUZZ_INTERCHANGE_H
#define SYMCLONE_FUZZ_INTERCHANGE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <symclone/symclone.h>

#include "fuzz_common.h"

static void fuzz_ix_use(symclone_student *s, symclone_format format) {
  size_t in = symclone_student_input_size(s), out = symclone_student_output_size(s);
  size_t p = symclone_student_theta_size(s);
  size_t np = symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL);
  if (in == 0 || out == 0 || p == 0 || np == 0) abort();
  float *x = calloc(in, sizeof *x), *y = calloc(out, sizeof *y), *th = calloc(p, sizeof *th);
  if (x && y && th) {
    for (size_t i = 0; i < in; i++) x[i] = (float)(i % 7) - 3.0f;
    th[0] = 1.0f;
    symclone_status st = symclone_student_forward(s, th, 1, x, y);
    if (st != SYMCLONE_OK && st != SYMCLONE_ERR_NOMEM) abort();
  }
  free(x);
  free(y);
  free(th);

  char path[128];
  snprintf(path, sizeof path, "%s/export", fuzz_tmpdir());
  if (symclone_student_export(s, path, format) == SYMCLONE_OK) {
    symclone_student *back = NULL;
    if (symclone_student_import(&back, path, NULL) != SYMCLONE_OK) abort();
    if (symclone_student_param_count(back, SYMCLONE_STUDENT_PART_ALL) != np ||
        memcmp(symclone_student_params(back), symclone_student_params(s), np * sizeof(float)))
      abort();
    symclone_student_free(back);
  }
  unlink(path);
}

static void fuzz_ix_use_net(symclone_net *net, symclone_format format) {
  size_t in = symclone_net_input_size(net), out = symclone_net_output_size(net);
  size_t np = symclone_net_param_count(net);
  if (in == 0 || out == 0 || symclone_net_layer_count(net) < 1) abort();
  float *x = calloc(in, sizeof *x), *y = calloc(out, sizeof *y);
  if (x && y && in < ((size_t)1 << 20)) {
    for (size_t i = 0; i < in; i++) x[i] = (float)(i % 7) - 3.0f;
    symclone_status st = symclone_net_forward(net, 1, x, y);
    if (st != SYMCLONE_OK && st != SYMCLONE_ERR_NOMEM && st != SYMCLONE_ERR_OVERFLOW) abort();
  }
  free(x);
  free(y);
  char path[128];
  snprintf(path, sizeof path, "%s/export-net", fuzz_tmpdir());
  if (symclone_net_export(net, path, format) == SYMCLONE_OK) {
    symclone_net *back = NULL;
    float *a = malloc((np ? np : 1) * sizeof *a), *b = malloc((np ? np : 1) * sizeof *b);
    if (symclone_net_import(&back, path, NULL) != SYMCLONE_OK) abort();
    if (symclone_net_param_count(back) != np || symclone_net_layer_count(back) !=
        symclone_net_layer_count(net))
      abort();
    if (a && b) {
      symclone_net_get_params(net, a, np);
      symclone_net_get_params(back, b, np);
      if (memcmp(a, b, np * sizeof *a)) abort();
    }
    free(a);
    free(b);
    symclone_net_free(back);
  }
  unlink(path);
}

static void fuzz_ix_import(const uint8_t *data, size_t size, symclone_format format) {
  char path[64];
  int fd = fuzz_memfile(data, size, path, sizeof path);
  if (fd < 0) return;
  symclone_loader *loader;
  if (symclone_loader_create(&loader) != SYMCLONE_OK) {
    close(fd);
    return;
  }
  symclone_student *s = NULL;
  symclone_status st = symclone_student_import(&s, path, loader);
  if (st == SYMCLONE_OK) {
    fuzz_ix_use(s, format);
    symclone_student_free(s);
  } else if (s != NULL || st > 0 || !symclone_loader_last_error(loader)[0]) {
    abort();
  }
  symclone_net *net = NULL;
  st = symclone_net_import(&net, path, loader);
  close(fd);
  if (st == SYMCLONE_OK) {
    fuzz_ix_use_net(net, format);
    symclone_net_free(net);
  } else if (net != NULL || st > 0 || !symclone_loader_last_error(loader)[0]) {
    abort();
  }
  symclone_loader_free(loader);
}

#endif
