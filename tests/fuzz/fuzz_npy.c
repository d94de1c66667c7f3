/* Fuzz target: the .npy reader of symclone_layer_import and
 * symclone_layer_import_params (teacher layers from kernel banks).  Input
 * layout: five bytes choosing the layer (kind, rotations, height, width,
 * padding; see below), then the .npy file.  A layer that imports must
 * take its parameters from the same file, and run; a refusal must leave
 * *out alone, return a negative status and leave a message on the
 * loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <symclone/symclone.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const symclone_layer_kind kinds[6] = {
    SYMCLONE_LAYER_CONV2D,           SYMCLONE_LAYER_LIFTING,
    SYMCLONE_LAYER_GROUP_CONV,       SYMCLONE_LAYER_DIHEDRAL_LIFTING,
    SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, SYMCLONE_LAYER_DENSE};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 5) return 0;
  symclone_layer_kind kind = data[0] < 6 ? kinds[data[0]] : (symclone_layer_kind)data[0];
  int rotations = data[1] % 9, height = data[2] % 17, width = data[3] % 17;
  symclone_padding pad = (symclone_padding)(data[4] % 4);
  char path[64];
  int fd = fuzz_memfile(data + 5, size - 5, path, sizeof path);
  if (fd < 0) return 0;
  symclone_loader *loader;
  if (symclone_loader_create(&loader) != SYMCLONE_OK) {
    close(fd);
    return 0;
  }
  symclone_layer *l = NULL;
  symclone_status st =
      symclone_layer_import(&l, path, NULL, NULL, kind, rotations, height, width, pad, loader);
  if (st == SYMCLONE_OK) {
    size_t np = symclone_layer_param_count(l), in = symclone_layer_input_size(l);
    size_t out = symclone_layer_output_size(l);
    float *p = malloc((np ? np : 1) * sizeof *p);
    float *x = calloc(in ? in : 1, sizeof *x), *y = calloc(out ? out : 1, sizeof *y);
    if (p && x && y) {
      if (symclone_layer_import_params(l, p, np, path, NULL, NULL, loader) != SYMCLONE_OK)
        abort();
      if (np && symclone_layer_import_params(l, p, np - 1, path, NULL, NULL, loader) !=
                    SYMCLONE_ERR_SIZE)
        abort();
      for (size_t i = 0; i < in; i++) x[i] = (float)(i % 5) - 2.0f;
      st = symclone_layer_forward(l, p, 1, x, y, NULL);
      if (st != SYMCLONE_OK && st != SYMCLONE_ERR_NOMEM) abort();
    }
    free(p);
    free(x);
    free(y);
    symclone_layer_free(l);
  } else if (l != NULL || st > 0 || !symclone_loader_last_error(loader)[0]) {
    abort();
  }
  close(fd);
  symclone_loader_free(loader);
  return 0;
}
