/* The seeds named valid-* of a corpus must be read: a seed that the reader
 * refuses (after a change of the file layout) would leave the fuzzer
 * exploring only the error paths.
 * usage: check_seeds load|import FILE...
 *   load: student files (symclone_student_load);
 *   import: safetensors and npz exports (symclone_student_import). */
#include <stdio.h>
#include <string.h>

#include <symclone/symclone.h>

int main(int argc, char **argv) {
  int import = argc > 1 && !strcmp(argv[1], "import");
  if (argc < 2 || (!import && strcmp(argv[1], "load"))) {
    fprintf(stderr, "usage: check_seeds load|import FILE...\n");
    return 2;
  }
  int failed = 0;
  for (int i = 2; i < argc; i++) {
    symclone_student *s;
    symclone_loader *loader;
    if (symclone_loader_create(&loader) != SYMCLONE_OK) return 1;
    symclone_status st = import ? symclone_student_import(&s, argv[i], loader)
                                : symclone_student_load(&s, argv[i], loader);
    printf("%s: %s%s%s\n", argv[i], symclone_strerror(st), st ? ": " : "",
           st ? symclone_loader_last_error(loader) : "");
    symclone_loader_free(loader);
    if (st == SYMCLONE_OK)
      symclone_student_free(s);
    else
      failed++;
  }
  return failed ? 1 : 0;
}
