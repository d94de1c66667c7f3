/* symclone: the command-line tool of libsymclone.
 *
 *   symclone clone --group C4 --kind lifting --blocks 9 -o c4.scs
 *   symclone check c4.scs
 *   symclone export c4.scs -o c4.safetensors
 *
 * One subcommand per file (cmd_*.c); docs/symclone.1 is the manual. */
#include <string.h>

#include "tool.h"

const tool_cmd tool_cmds[] = {
    {"clone", "[options] -o FILE", "", 0, "train a student on a teacher family and save it",
     "Clone a teacher family (conv2d, lifting or group convolution under T2, Cn\n"
     "or Dn) into a dense student of B blocks and save it to FILE.  Progress goes\n"
     "to stderr: a bar on a terminal, step=... lines otherwise.  The figures\n"
     "(relative loss, Toeplitz distance) go to stdout.",
     cmd_clone},
    {"info", "[options] FILE", "FILE", 1, "what a student file or an export holds",
     "Describe a student file or a safetensors / npz export: kind, group,\n"
     "geometry, padding, blocks, parameter count, the library version that\n"
     "wrote it (exports record it), its exact relative loss and its Toeplitz\n"
     "distance.",
     cmd_info},
    {"check", "[options] FILE", "FILE", 1, "Toeplitz distance and equivariance error of a student",
     "Measure a saved student (or an export): its relative loss, its Toeplitz\n"
     "distance (overall and per output orientation) and its equivariance error\n"
     "under its group at one random kernel, with the teacher's beside it.  The\n"
     "exit status is 0 however large the figures are, unless a --max-* threshold\n"
     "is given and exceeded (status 1).",
     cmd_check},
    {"export", "[options] FILE -o OUT", "FILE", 1, "write a student as safetensors or npz",
     "Export a student file (or an export) to OUT in the safetensors or the\n"
     "NumPy npz format, with PyTorch's tensor layouts and metadata that say\n"
     "what it holds (docs/file-format.md).",
     cmd_export},
    {"import", "[options] OUT -o FILE", "OUT", 1,
     "read a safetensors or npz export into a student file",
     "Import a safetensors or npz export (told by its content) and save it as a\n"
     "student file.  A round trip gives the same parameters bit for bit.",
     cmd_import},
    {"picture", "[options] FILE", "FILE", 1, "the matrix and feature-map pictures of a student",
     "Draw the student's effective matrix beside the teacher's unrolled matrix\n"
     "(one colour scale, symmetric about zero) and the feature maps of teacher\n"
     "(top row) and student (bottom row) on an input acted on by group elements\n"
     "(columns: the identity, then rotations, reflections or shifts).  Group\n"
     "outputs are shown as their maximum over the orientations.",
     cmd_picture},
};
const int tool_n_cmds = (int)(sizeof tool_cmds / sizeof tool_cmds[0]);

const tool_cmd *tool_find_cmd(const char *name) {
  for (int i = 0; i < tool_n_cmds; i++)
    if (!strcmp(tool_cmds[i].name, name)) return &tool_cmds[i];
  return NULL;
}

static void main_help(FILE *f) {
  fprintf(f,
          "usage: symclone COMMAND [options] [FILE]\n"
          "       symclone help COMMAND | --help | --version\n\n"
          "Symmetry cloning: dense students that learn equivariant teacher layers.\n\n"
          "commands:\n");
  for (int i = 0; i < tool_n_cmds; i++)
    fprintf(f, "  %-9s %s\n", tool_cmds[i].name, tool_cmds[i].summary);
  fprintf(f,
          "\n'symclone COMMAND --help' gives a command's options.  Exit status: 0\n"
          "success, 1 a failure at run time (a bad file, I/O, a threshold\n"
          "exceeded), 2 a command line that cannot be taken.  The manual is\n"
          "symclone(1).\n");
}

/* The help of a command: run it with --help. */
static int command_help(const char *name) {
  const tool_cmd *c = tool_find_cmd(name);
  if (!c) return tool_usage_error("help: unknown command '%s'", name);
  char *args[] = {(char *)c->name, (char *)"--help", NULL};
  tool_set_cmd(c->name);
  return c->run(2, args);
}

int main(int argc, char **argv) {
  if (argc < 2) return tool_usage_error("missing command");
  const char *a = argv[1];
  if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
    if (argc > 2) return tool_usage_error("unexpected argument '%s' after %s", argv[2], a);
    main_help(stdout);
    return TOOL_OK;
  }
  if (!strcmp(a, "--version")) {
    if (argc > 2) return tool_usage_error("unexpected argument '%s' after %s", argv[2], a);
    printf("symclone %s (libsymclone %s)\n", SYMCLONE_VERSION_STRING, symclone_version_string());
    return TOOL_OK;
  }
  if (!strcmp(a, "help")) {
    if (argc == 2) {
      main_help(stdout);
      return TOOL_OK;
    }
    if (argc > 3) return tool_usage_error("help takes one command, not '%s'", argv[3]);
    return command_help(argv[2]);
  }
  const tool_cmd *c = tool_find_cmd(a);
  if (!c) {
    if (a[0] == '-') return tool_usage_error("unknown option '%s'", a);
    return tool_usage_error("unknown command '%s'", a);
  }
  tool_set_cmd(c->name);
  return c->run(argc - 1, argv + 1);
}
