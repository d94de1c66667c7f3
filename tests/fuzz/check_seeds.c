/* The seeds named valid-* of a corpus must be read: a seed that the reader
 * refuses (after a change of the file layout) would leave the fuzzer
 * exploring only the error paths.
 * usage: check_seeds load|import|net|teacher FILE...
 *   load: student files (symclone_student_load);
 *   import: safetensors and npz student exports (symclone_student_import);
 *   net: safetensors and npz network exports (symclone_net_import);
 *   teacher: fuzz_npy's inputs, five bytes choosing the layer then an .npy
 *   file (symclone_layer_import and symclone_layer_import_params). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <symclone/symclone.h>

static const symclone_layer_kind kinds[6] = {
    SYMCLONE_LAYER_CONV2D,           SYMCLONE_LAYER_LIFTING,
    SYMCLONE_LAYER_GROUP_CONV,       SYMCLONE_LAYER_DIHEDRAL_LIFTING,
    SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV, SYMCLONE_LAYER_DENSE};

/* A fuzz_npy input: its .npy part written to a file, imported as fuzz_npy
 * does. */
static symclone_status teacher(const char *path, symclone_loader *loader) {
  FILE *f = fopen(path, "rb");
  unsigned char b[5], buf[4096];
  if (!f) return SYMCLONE_ERR_IO;
  size_t n = fread(b, 1, 5, f) == 5 ? fread(buf, 1, sizeof buf, f) : 0;
  fclose(f);
  char tmp[] = "/tmp/symclone-seed-XXXXXX";
  int fd = mkstemp(tmp);
  if (n == 0 || b[0] >= 6 || fd < 0 || write(fd, buf, n) != (ssize_t)n) {
    if (fd >= 0) close(fd), unlink(tmp);
    return SYMCLONE_ERR_IO;
  }
  close(fd);
  symclone_layer *l;
  symclone_status st = symclone_layer_import(&l, tmp, NULL, NULL, kinds[b[0]], b[1] % 9,
                                             b[2] % 17, b[3] % 17, (symclone_padding)(b[4] % 4),
                                             loader);
  if (!st) {
    size_t np = symclone_layer_param_count(l);
    float *p = malloc((np ? np : 1) * sizeof *p);
    st = p ? symclone_layer_import_params(l, p, np, tmp, NULL, NULL, loader) : SYMCLONE_ERR_NOMEM;
    free(p);
    symclone_layer_free(l);
  }
  unlink(tmp);
  return st;
}

int main(int argc, char **argv) {
  static const char *const modes[4] = {"load", "import", "net", "teacher"};
  int mode = -1;
  for (int m = 0; m < 4 && argc > 1; m++)
    if (!strcmp(argv[1], modes[m])) mode = m;
  if (mode < 0) {
    fprintf(stderr, "usage: check_seeds load|import|net|teacher FILE...\n");
    return 2;
  }
  int failed = 0;
  for (int i = 2; i < argc; i++) {
    symclone_student *s = NULL;
    symclone_net *net = NULL;
    symclone_loader *loader;
    if (symclone_loader_create(&loader) != SYMCLONE_OK) return 1;
    symclone_status st = mode == 0   ? symclone_student_load(&s, argv[i], loader)
                         : mode == 1 ? symclone_student_import(&s, argv[i], loader)
                         : mode == 2 ? symclone_net_import(&net, argv[i], loader)
                                     : teacher(argv[i], loader);
    printf("%s: %s%s%s\n", argv[i], symclone_strerror(st), st ? ": " : "",
           st ? symclone_loader_last_error(loader) : "");
    symclone_loader_free(loader);
    symclone_student_free(s);
    symclone_net_free(net);
    if (st != SYMCLONE_OK) failed++;
  }
  return failed ? 1 : 0;
}
