/* The seeds named valid-* of the safetensors and npz corpora must import:
 * a seed that the reader refuses (after a change of the layout) would leave
 * the fuzzer exploring only the error paths.  usage: check_import_seeds
 * FILE... */
#include <stdio.h>

#include <symclone/symclone.h>

int main(int argc, char **argv) {
  int failed = 0;
  for (int i = 1; i < argc; i++) {
    symclone_student *s;
    symclone_loader *loader;
    if (symclone_loader_create(&loader) != SYMCLONE_OK) return 1;
    symclone_status st = symclone_student_import(&s, argv[i], loader);
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
