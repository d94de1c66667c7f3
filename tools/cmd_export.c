/* symclone export and symclone import: students to and from the formats
 * PyTorch and NumPy read (safetensors, npz). */
#include <string.h>
#include <strings.h>

#include "tool.h"

/* The format a path's suffix names: 0 (none), or a symclone_format. */
static int format_of_suffix(const char *path) {
  size_t n = strlen(path);
  if (n >= 12 && !strcasecmp(path + n - 12, ".safetensors")) return SYMCLONE_FORMAT_SAFETENSORS;
  if (n >= 4 && !strcasecmp(path + n - 4, ".npz")) return SYMCLONE_FORMAT_NPZ;
  return 0;
}

static int same_path(const char *a, const char *b) { return strcmp(a, b) == 0; }

static void out_written(const char *from, file_kind fk, const char *to, const char *format,
                        const symclone_student *s) {
  out_str("file", from);
  out_str("format", file_kind_name(fk));
  out_str("written", to);
  out_str("written_format", format);
  tool_out_geometry(s);
}

int cmd_export(int argc, char **argv) {
  const tool_cmd *cmd = tool_find_cmd("export");
  tool_common c = {0, 0};
  const char *output = NULL;
  int format = -1;
  const tool_opt opts[] = {
      {"--output", "-o", OPT_TEXT, &output, "OUT", 0, 0, 0, 0, NULL,
       "the export (required); replaced in one step, never over anything\n"
       "but a regular file"},
      {"--format", NULL, OPT_CHOICE, &format, NULL, 0, 0, 0, 0, "safetensors|npz",
       "the format (default: told by OUT's suffix, .safetensors or .npz)"},
      {"--json", NULL, OPT_FLAG, &c.json, NULL, 0, 0, 0, 0, NULL,
       "what was written as one JSON object on stdout"},
  };
  const char *path = NULL;
  int rc = tool_parse(cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, &path);
  if (rc >= 0) return rc;
  if (!output) return tool_usage_error("-o OUT is required (where the export goes)");
  symclone_format f;
  if (format >= 0) {
    f = format == 0 ? SYMCLONE_FORMAT_SAFETENSORS : SYMCLONE_FORMAT_NPZ;
  } else {
    int sf = format_of_suffix(output);
    if (!sf)
      return tool_usage_error("cannot tell the format of %s from its suffix: give --format "
                              "safetensors|npz",
                              output);
    f = (symclone_format)sf;
  }
  if (same_path(path, output))
    return tool_usage_error("FILE and -o name the same file, %s", output);
  symclone_student *s = NULL;
  file_kind fk;
  if (tool_load(path, &s, &fk)) return TOOL_FAIL;
  symclone_status st = symclone_student_export(s, output, f);
  if (st) {
    rc = tool_fail("%s (%s)", symclone_student_last_error(s), symclone_strerror(st));
  } else {
    out_begin(c.json);
    out_written(path, fk, output, f == SYMCLONE_FORMAT_NPZ ? "npz" : "safetensors", s);
    rc = out_end() ? tool_fail("writing to stdout failed") : TOOL_OK;
  }
  symclone_student_free(s);
  return rc;
}

int cmd_import(int argc, char **argv) {
  const tool_cmd *cmd = tool_find_cmd("import");
  tool_common c = {0, 0};
  const char *output = NULL;
  const tool_opt opts[] = {
      {"--output", "-o", OPT_TEXT, &output, "FILE", 0, 0, 0, 0, NULL,
       "the student file (required); replaced in one step, never over\n"
       "anything but a regular file"},
      {"--json", NULL, OPT_FLAG, &c.json, NULL, 0, 0, 0, 0, NULL,
       "what was written as one JSON object on stdout"},
  };
  const char *path = NULL;
  int rc = tool_parse(cmd, opts, (int)(sizeof opts / sizeof opts[0]), argc, argv, &path);
  if (rc >= 0) return rc;
  if (!output) return tool_usage_error("-o FILE is required (where the student goes)");
  if (same_path(path, output))
    return tool_usage_error("OUT and -o name the same file, %s", output);
  symclone_student *s = NULL;
  symclone_loader *loader = NULL;
  symclone_status st = symclone_loader_create(&loader);
  if (!st) st = symclone_student_import(&s, path, loader);
  if (st) {
    const char *m = symclone_loader_last_error(loader);
    rc = *m ? tool_fail("%s (%s)", m, symclone_strerror(st))
            : tool_fail("%s: %s", path, symclone_strerror(st));
    symclone_loader_free(loader);
    return rc;
  }
  symclone_loader_free(loader);
  file_kind fk = tool_export_kind(path);
  if ((st = symclone_student_save(s, output))) {
    rc = tool_fail("%s (%s)", symclone_student_last_error(s), symclone_strerror(st));
  } else {
    out_begin(c.json);
    out_written(path, fk, output, "student", s);
    rc = out_end() ? tool_fail("writing to stdout failed") : TOOL_OK;
  }
  symclone_student_free(s);
  return rc;
}
