/* symclone info: what a student file or an export holds, and its figures. */
#include <math.h>

#include "tool.h"

int cmd_info(int argc, char **argv) {
  const tool_cmd *cmd = tool_find_cmd("info");
  tool_common c = {0, 0};
  const tool_opt opts[] = {
      {"--json", NULL, OPT_FLAG, &c.json, NULL, 0, 0, 0, 0, NULL,
       "the description as one JSON object on stdout"},
  };
  const char *path = NULL;
  int rc = tool_parse(cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, &path);
  if (rc >= 0) return rc;
  symclone_student *s = NULL;
  file_kind fk;
  if (tool_load(path, &s, &fk)) return TOOL_FAIL;
  char version[64];
  tool_file_version(path, fk, version, sizeof version);
  double rel = NAN, dist = NAN;
  symclone_status st = symclone_student_relative_loss(s, &rel);
  if (!st) st = symclone_student_toeplitz_distance(s, 8, 12345, &dist, NULL);
  if (st) {
    rc = tool_fail("%s: cannot measure the student: %s (%s)", path,
                   symclone_student_last_error(s), symclone_strerror(st));
    symclone_student_free(s);
    return rc;
  }
  out_begin(c.json);
  out_str("file", path);
  out_str("format", file_kind_name(fk));
  tool_out_geometry(s);
  out_str("file_library_version", *version ? version : "unrecorded");
  out_str("library_version", symclone_version_string());
  out_num("rel_loss", rel);
  out_num("toeplitz_rel_dist", dist);
  symclone_student_free(s);
  return out_end() ? tool_fail("writing to stdout failed") : TOOL_OK;
}
