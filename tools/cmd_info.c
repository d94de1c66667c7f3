/* symclone info: what a student file or an export (of a student or of a
 * network) holds, and its figures. */
#include <math.h>
#include <string.h>

#include "tool.h"

static const char *layer_kind_name(symclone_layer_kind k) {
  switch (k) {
    case SYMCLONE_LAYER_CONV2D:
      return "conv2d";
    case SYMCLONE_LAYER_LIFTING:
      return "lifting";
    case SYMCLONE_LAYER_GROUP_CONV:
      return "group_conv";
    case SYMCLONE_LAYER_RELU:
      return "relu";
    case SYMCLONE_LAYER_MAXPOOL2:
      return "maxpool2";
    case SYMCLONE_LAYER_ORIENT_POOL:
      return "orient_pool";
    case SYMCLONE_LAYER_GLOBAL_AVGPOOL:
      return "global_avgpool";
    case SYMCLONE_LAYER_DENSE:
      return "dense";
    case SYMCLONE_LAYER_CLONED:
      return "cloned";
    case SYMCLONE_LAYER_DIHEDRAL_LIFTING:
      return "dihedral_lifting";
    case SYMCLONE_LAYER_DIHEDRAL_GROUP_CONV:
      return "dihedral_group_conv";
  }
  return "unknown";
}

static void shape_text(char *buf, size_t len, const int shape[4]) {
  snprintf(buf, len, "%dx%dx%dx%d", shape[0], shape[1], shape[2], shape[3]);
}

/* A network export: its layers and sizes. */
static int describe_net(const char *path, file_kind fk, symclone_net *net, int json) {
  char version[64], in[64], out[64], kinds[4096] = "";
  int in_shape[4] = {0, 0, 0, 0}, out_shape[4] = {0, 0, 0, 0};
  tool_file_version(path, fk, version, sizeof version);
  symclone_net_input_shape(net, in_shape);
  symclone_net_output_shape(net, out_shape);
  shape_text(in, sizeof in, in_shape);
  shape_text(out, sizeof out, out_shape);
  int n = symclone_net_layer_count(net);
  for (int i = 0, at = 0; i < n && at < (int)sizeof kinds - 32; i++)
    at += snprintf(kinds + at, sizeof kinds - (size_t)at, "%s%s", i ? "," : "",
                   layer_kind_name(symclone_net_layer_kind(net, i)));
  out_begin(json);
  out_str("file", path);
  out_str("format", file_kind_name(fk));
  out_str("content", "network");
  out_int("layers", n);
  out_str("layer_kinds", kinds);
  out_str("input_shape", in);
  out_str("output_shape", out);
  out_int("param_count", (long long)symclone_net_param_count(net));
  out_str("file_library_version", *version ? version : "unrecorded");
  out_str("library_version", symclone_version_string());
  return out_end() ? tool_fail("writing to stdout failed") : TOOL_OK;
}

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
  symclone_net *net = NULL;
  file_kind fk;
  if (tool_load_any(path, &s, &net, &fk)) return TOOL_FAIL;
  if (net) {
    rc = describe_net(path, fk, net, c.json);
    symclone_net_free(net);
    return rc;
  }
  char version[64];
  tool_file_version(path, fk, version, sizeof version);
  double rel = NAN, dist = NAN, best = NAN;
  symclone_status st = symclone_student_relative_loss(s, &rel);
  if (!st)
    st = symclone_student_toeplitz_distance(s, TOOL_DIST_DRAWS, TOOL_DIST_SEED, &dist, NULL);
  if (!st && symclone_student_best_loss(s, &best) != SYMCLONE_OK) best = NAN;
  if (st) {
    rc = tool_fail("%s: cannot measure the student: %s (%s)", path,
                   symclone_student_last_error(s), symclone_strerror(st));
    symclone_student_free(s);
    return rc;
  }
  out_begin(c.json);
  out_str("file", path);
  out_str("format", file_kind_name(fk));
  out_str("content", "student");
  tool_out_geometry(s);
  tool_out_restriction(s);
  out_str("file_library_version", *version ? version : "unrecorded");
  out_str("library_version", symclone_version_string());
  out_num("rel_loss", rel);
  out_num("best_loss", best);
  out_num("toeplitz_rel_dist", dist);
  symclone_student_free(s);
  return out_end() ? tool_fail("writing to stdout failed") : TOOL_OK;
}
