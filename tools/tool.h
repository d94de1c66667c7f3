/* The symclone command-line tool: what its parts share.
 *
 * tools/symclone.c dispatches to one function per subcommand (cmd_*.c);
 * opts.c parses each subcommand's options against its table; out.c prints
 * figures as name=value lines or as one JSON object; student.c loads a
 * student from either file kind and measures it; progress.c reports the
 * trainer's progress.  Only the public API of the library is used.
 *
 * Exit status: 0 success, 1 a run-time failure (a bad file, I/O, a figure
 * over its threshold), 2 a command line the tool cannot take. */
#ifndef SYMCLONE_TOOL_H
#define SYMCLONE_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include <symclone/symclone.h>

#define TOOL_OK 0
#define TOOL_FAIL 1
#define TOOL_USAGE 2

/* The Toeplitz distance every command reports (clone, info, and check by
 * default): the mean over TOOL_DIST_DRAWS random kernels drawn from
 * TOOL_DIST_SEED, so that the commands print the same figure for one
 * student. */
#define TOOL_DIST_DRAWS 8
#define TOOL_DIST_SEED 7

/* ---- options (opts.c) ------------------------------------------------------ */

typedef enum opt_kind {
  OPT_FLAG,   /* no value; int, set to 1 */
  OPT_INT,    /* a whole decimal number in its range; long long */
  OPT_REAL,   /* a finite number in its range; double */
  OPT_TEXT,   /* a non-empty string; const char * */
  OPT_DIR,    /* an existing directory; const char * */
  OPT_CHOICE  /* one of the '|'-separated choices; int, its index */
} opt_kind;

typedef struct tool_opt {
  const char *name;    /* "--steps" */
  const char *alias;   /* "-o", or NULL */
  opt_kind kind;
  void *value;         /* written only when the option is given */
  const char *arg;     /* the value's name in the help ("N"); NULL for a flag */
  double min, max;     /* OPT_INT, OPT_REAL */
  int min_open;        /* OPT_REAL: min itself is refused */
  symclone_setting setting; /* non-zero: min and max are that setting's bounds */
  const char *choices; /* OPT_CHOICE */
  const char *help;    /* one or more lines, '\n' between them */
} tool_opt;

typedef struct tool_cmd {
  const char *name;     /* "clone" */
  const char *synopsis; /* "[options] FILE -o OUT" */
  const char *operands; /* "FILE", or "" for none */
  int n_operands;       /* how many file operands it takes exactly */
  const char *summary;  /* one line */
  const char *about;    /* a paragraph under the usage line */
  int (*run)(int argc, char **argv);
} tool_cmd;

/* The subcommands, in the order of the help (symclone.c). */
extern const tool_cmd tool_cmds[];
extern const int tool_n_cmds;
const tool_cmd *tool_find_cmd(const char *name);

/* The name messages start with: "symclone" or "symclone CMD". */
const char *tool_prog(void);
void tool_set_cmd(const char *cmd);

/* Parse argv[1..argc) (argv[0] is the subcommand) against opts[0..n):
 * options in any order, each at most once, "--name VALUE" or
 * "--name=VALUE", "--" ends the options; the other arguments are the
 * operands, of which there must be exactly cmd->n_operands, stored in
 * operands[].  Returns -1 to go on; 0 after --help (the help on stdout);
 * 2 after a one-line message on stderr naming the fault. */
int tool_parse(const tool_cmd *cmd, const tool_opt *opts, int n, int argc, char **argv,
               const char **operands);

/* The help of a subcommand, from its option table. */
void tool_print_help(FILE *f, const tool_cmd *cmd, const tool_opt *opts, int n);

/* A usage fault found after parsing: one line naming it and pointing to
 * --help; returns 2. */
int tool_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* A run-time failure: one line; returns 1. */
int tool_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The options every subcommand with figures has: --json and --quiet. */
typedef struct tool_common {
  int json;
  int quiet;
} tool_common;

/* ---- figures (out.c) --------------------------------------------------------- */

/* Figures go to stdout as name=value lines, or, after out_begin(1), as one
 * JSON object printed by out_end(). */
void out_begin(int json);
void out_str(const char *key, const char *value);
void out_int(const char *key, long long value);
void out_num(const char *key, double value);
/* Several numbers: "PREFIX_rI=value" lines, or a JSON array under json_key. */
void out_nums(const char *json_key, const char *prefix, const double *values, int n);
/* Returns 0, or 1 when stdout could not be written. */
int out_end(void);

/* ---- students (student.c) ---------------------------------------------------- */

typedef enum file_kind {
  FILE_STUDENT = 0,     /* symclone_student_save's format */
  FILE_SAFETENSORS = 1,
  FILE_NPZ = 2
} file_kind;

/* Load a student file or an export (told by the content).  Returns 0, or 1
 * after the library's message on stderr. */
int tool_load(const char *path, symclone_student **out, file_kind *kind);
/* The same, and with net not NULL a network export too (*net set, *out
 * left alone). */
int tool_load_any(const char *path, symclone_student **out, symclone_net **net,
                  file_kind *kind);
/* "restriction": "none", or the group and the subspace indices the
 * student's blocks are restricted to ("C4:0,1,3"). */
void tool_out_restriction(const symclone_student *s);

const char *file_kind_name(file_kind k);
/* Which export a file imported as one is: FILE_NPZ or FILE_SAFETENSORS. */
file_kind tool_export_kind(const char *path);
/* "planar", "lifting", "group", "dihedral_lifting", "dihedral_group". */
const char *tool_kind_name(symclone_student_kind k);
/* "T2", "C4", "D4", ... */
void tool_group_name(const symclone_student *s, char *buf, size_t len);
const char *tool_padding_name(symclone_padding p);

/* The library version an export records, "" if none (student files record
 * none).  Reads the file again, within bounds. */
void tool_file_version(const char *path, file_kind kind, char *buf, size_t len);

/* The student's group: T2 of its input torus, Cn or Dn.  0 or 1 after a
 * message. */
int tool_student_group(const symclone_student *s, symclone_group **out);

/* n standard normal floats from seed (the tool's own generator). */
void tool_normal(uint64_t seed, float *x, size_t n);

/* Print the geometry of a student as figures. */
void tool_out_geometry(const symclone_student *s);

/* ---- progress (progress.c) ---------------------------------------------------- */

typedef struct tool_progress {
  int mode;                        /* 0 none, 1 bar, 2 name=value lines */
  long long total;                 /* updates to do */
  long long line_every;            /* mode 2: a line every so many updates */
  long long next_line;
  double last_draw;                /* mode 1: when the bar was last drawn */
  FILE *curve;                     /* the CSV curve, or NULL */
  int curve_toeplitz;              /* the curve has the Toeplitz distance */
  const symclone_student *student; /* for the Toeplitz distance */
  long long next_curve;            /* the next curve row at or after this update */
  long long last_curve;            /* the update of the last curve row */
  int curve_error;
} tool_progress;

/* The signal (SIGINT, SIGTERM, SIGHUP, SIGPIPE) that asked the training to
 * stop, or 0: the callback then returns non-zero and the trainer stops
 * with SYMCLONE_ERR_CANCELLED; the command cleans up and ends by that
 * signal. */
extern volatile sig_atomic_t progress_stop;
/* Catch those signals (unless ignored) into progress_stop. */
void progress_catch_signals(void);

/* The updates between two calls of the trainer's callback that the
 * progress needs (at most 1 % of the total, so that a signal is seen). */
long long progress_every(const tool_progress *p);
int progress_callback(void *user, long long step, double loss, double rel_loss, double seconds);
/* Ends the bar's line. */
void progress_done(tool_progress *p);

double tool_now(void);

/* ---- the subcommands ---------------------------------------------------------- */

int cmd_clone(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_picture(int argc, char **argv);

#endif
