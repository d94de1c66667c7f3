#!/usr/bin/env python3
"""Every public name follows the naming rule of docs/conventions.md.

Usage: names-test.py INCLUDE_DIR [INCLUDE_DIR...]

Reads every header symclone/*.h under the given folders (the source tree's
and the build tree's, for the generated version.h) and fails on:
  * a function that is not symclone_<object>_<verb> (objects below), other
    than symclone_strerror;
  * a type not named symclone_...; a handle (typedef struct) that is not
    symclone_<object>; a callback type that is not symclone_<object>_..._fn;
  * an enum whose typedef name differs from its tag, or a value that does
    not start with its type's name in capitals less a final _KIND or _MODE
    (status codes: SYMCLONE_OK and SYMCLONE_ERR_*; setting keys:
    SYMCLONE_<OBJECT>_* within the object's range of values);
  * a macro not named SYMCLONE_*.
Before the headers it checks itself on a few bad declarations, each of
which must be caught, so that the test can fail.
"""
import os
import re
import sys

OBJECTS = ["group", "layer", "student", "trainer", "net", "dataset", "diag", "picture",
           "loader", "setting", "version", "kernels"]
FUNCTION_EXCEPTIONS = {"symclone_strerror"}
# The values of the setting keys of each object (<symclone/settings.h>).
SETTING_RANGES = {"TRAINER": (1, 99), "NET": (101, 199), "PICTURE": (201, 299),
                  "DIAG": (301, 399), "LOADER": (401, 499)}

OBJECT_RE = "(?:" + "|".join(OBJECTS) + ")"
FUNCTION_RE = re.compile(r"^symclone_" + OBJECT_RE + r"_[a-z0-9]+(?:_[a-z0-9]+)*$")
LOWER_RE = re.compile(r"^symclone_[a-z0-9]+(?:_[a-z0-9]+)*$")
HANDLE_RE = re.compile(r"^symclone_" + OBJECT_RE + r"$")
CALLBACK_RE = re.compile(r"^symclone_" + OBJECT_RE + r"(?:_[a-z0-9]+)*_fn$")
MACRO_RE = re.compile(r"^SYMCLONE_[A-Z0-9_]+$")
# <symclone/mpi.h> (libsymclone-mpi) has the namespace symclone_mpi_ and
# only it: functions symclone_mpi_<object>_<verb>, handles
# symclone_mpi_<object>; no other header may use that namespace.
MPI_HEADER = "mpi.h"
MPI_OBJECT_RE = "mpi_" + OBJECT_RE
MPI_FUNCTION_RE = re.compile(r"^symclone_" + MPI_OBJECT_RE + r"_[a-z0-9]+(?:_[a-z0-9]+)*$")
MPI_HANDLE_RE = re.compile(r"^symclone_" + MPI_OBJECT_RE + r"$")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def enum_prefix(type_name):
    base = type_name.upper()
    for tail in ("_KIND", "_MODE"):
        if base.endswith(tail):
            base = base[: -len(tail)]
    return base + "_"


def check_enum(tag, name, body, where, errors):
    if tag and tag != name:
        errors.append(f"{where}: enum {tag} is typedef'd as {name}")
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.+))?$", item, re.S)
        if not m:
            errors.append(f"{where}: cannot read the enumerator '{item}' of {name}")
            continue
        value_name, value = m.group(1), m.group(2)
        if name == "symclone_status":
            if value_name != "SYMCLONE_OK" and not value_name.startswith("SYMCLONE_ERR_"):
                errors.append(f"{where}: status code {value_name} is not SYMCLONE_OK or "
                              "SYMCLONE_ERR_*")
        elif name == "symclone_setting":
            key = re.match(r"^SYMCLONE_([A-Z0-9]+)_[A-Z0-9_]+$", value_name)
            if not key or key.group(1) not in SETTING_RANGES:
                errors.append(f"{where}: setting key {value_name} is not "
                              "SYMCLONE_<OBJECT>_<NAME> of an object with settings")
                continue
            try:
                number = int(value.strip(), 0) if value else None
            except ValueError:
                number = None
            lo, hi = SETTING_RANGES[key.group(1)]
            if number is None or not lo <= number <= hi:
                errors.append(f"{where}: setting key {value_name} = {value} is outside "
                              f"{key.group(1).lower()}'s range {lo}..{hi}")
        elif not value_name.startswith(enum_prefix(name)):
            errors.append(f"{where}: {value_name} of {name} does not start with "
                          f"{enum_prefix(name)}")


def check_text(text, where):
    mpi = where == MPI_HEADER
    function_re = MPI_FUNCTION_RE if mpi else FUNCTION_RE
    handle_re = MPI_HANDLE_RE if mpi else HANDLE_RE
    errors = []
    # macros, before the comments go (a directive is one line)
    for m in re.finditer(r"^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.M):
        if not MACRO_RE.match(m.group(1)):
            errors.append(f"{where}: macro {m.group(1)} is not SYMCLONE_*")
    code = strip_comments(text)
    code = re.sub(r"^\s*#[^\n]*(?:\\\n[^\n]*)*", " ", code, flags=re.M)

    # enums (typedef'd or not)
    for m in re.finditer(r"(typedef\s+)?enum\s+([A-Za-z_]\w*)?\s*\{(.*?)\}\s*([A-Za-z_]\w*)?\s*;",
                         code, re.S):
        tag, body, name = m.group(2), m.group(3), m.group(4)
        type_name = name or tag
        if not type_name or not LOWER_RE.match(type_name):
            errors.append(f"{where}: enum {type_name} is not named symclone_<lowercase>")
            continue
        check_enum(tag, type_name, body, where, errors)
    # typedef'd structs: handles
    for m in re.finditer(r"typedef\s+struct\s+([A-Za-z_]\w*)\s+([A-Za-z_]\w*)\s*;", code):
        tag, name = m.group(1), m.group(2)
        if tag != name or not handle_re.match(name):
            errors.append(f"{where}: handle type {name} (struct {tag}) is not "
                          "symclone_<object>")
    # struct definitions and other struct tags
    for m in re.finditer(r"\bstruct\s+([A-Za-z_]\w*)", code):
        if not LOWER_RE.match(m.group(1)):
            errors.append(f"{where}: struct {m.group(1)} is not named symclone_<lowercase>")
    # callbacks
    for m in re.finditer(r"typedef[^;]*?\(\s*\*\s*([A-Za-z_]\w*)\s*\)", code, re.S):
        if not CALLBACK_RE.match(m.group(1)):
            errors.append(f"{where}: callback type {m.group(1)} is not "
                          "symclone_<object>_..._fn")
    # other typedefs: the last identifier before the semicolon
    for m in re.finditer(r"typedef\s+(?!struct\b|enum\b)([^;{}()]*?)([A-Za-z_]\w*)\s*;", code):
        if not LOWER_RE.match(m.group(2)):
            errors.append(f"{where}: type {m.group(2)} is not named symclone_<lowercase>")
    # functions: every SYMCLONE_API declaration
    for m in re.finditer(r"SYMCLONE_API\b([^;{]*?)\b([A-Za-z_]\w*)\s*\(", code, re.S):
        name = m.group(2)
        if name in FUNCTION_EXCEPTIONS:
            continue
        if not function_re.match(name):
            errors.append(f"{where}: function {name} is not symclone_{'mpi_' if mpi else ''}"
                          f"<object>_<verb> (objects: {', '.join(OBJECTS)})")
    # any other declaration at file scope that is not exported cannot be
    # called; a function declared without SYMCLONE_API is still a name
    for m in re.finditer(r"^\s*(?!SYMCLONE_API|typedef|return)[A-Za-z_][\w\s\*]*?\b"
                         r"(symclone_\w+|[a-z]\w*)\s*\([^;{}]*\)\s*;", code, re.M):
        name = m.group(1)
        if name not in FUNCTION_EXCEPTIONS and not function_re.match(name):
            errors.append(f"{where}: function {name} is not symclone_<object>_<verb>")
    return errors


SELF_TESTS = [
    ("SYMCLONE_API int symclone_relative_distance(const float *a);", "function"),
    ("SYMCLONE_API int symclone_conv2d_create(int *out);", "function"),
    ("SYMCLONE_API int symclone_clone_stack(void);", "function"),
    ("typedef struct symclone_thing symclone_thing;", "handle"),
    ("typedef int (*symclone_progress_fn)(void *user);", "callback"),
    ("typedef enum symclone_student_part { SYMCLONE_PART_BLOCKS = 0 } symclone_student_part;",
     "SYMCLONE_STUDENT_PART_"),
    ("typedef enum symclone_pool_mode { SYMCLONE_POOL_MODE_MAX = 0, SYMCLONE_MAX = 1 } "
     "symclone_pool_mode;", "SYMCLONE_POOL_"),
    ("typedef enum symclone_setting { SYMCLONE_NET_SEED = 9 } symclone_setting;", "range"),
    ("typedef enum symclone_setting { SYMCLONE_SEED = 20 } symclone_setting;", "setting key"),
    ("typedef enum symclone_status { SYMCLONE_OK = 0, SYMCLONE_NOMEM = -7 } symclone_status;",
     "status code"),
    ("#define CLONE_MAX 4", "macro"),
    ("typedef double sym_real;", "type"),
]
# bad declarations of <symclone/mpi.h>: outside its namespace, or an
# object that is not one
MPI_SELF_TESTS = [
    ("SYMCLONE_API int symclone_student_shard(void);", "function"),
    ("SYMCLONE_API int symclone_mpi_shard_create(int *out);", "function"),
    ("typedef struct symclone_mpi_plan symclone_mpi_plan;", "handle"),
]


def self_test():
    ok = True
    for snippet, what in SELF_TESTS:
        errors = check_text(snippet, "self-test")
        if not any(what in e for e in errors):
            print(f"names-test: the bad declaration\n  {snippet}\nwas not caught "
                  f"(expected a '{what}' error, got {errors})", file=sys.stderr)
            ok = False
    for snippet, what in MPI_SELF_TESTS:
        errors = check_text(snippet, MPI_HEADER)
        if not any(what in e for e in errors):
            print(f"names-test: the bad declaration of {MPI_HEADER}\n  {snippet}\nwas not "
                  f"caught (expected a '{what}' error, got {errors})", file=sys.stderr)
            ok = False
    # the mpi namespace anywhere else is a breach
    if not check_text("SYMCLONE_API int symclone_mpi_student_create(int *out);", "student.h"):
        print("names-test: symclone_mpi_ outside mpi.h was not caught", file=sys.stderr)
        ok = False
    mpi_good = ("typedef struct symclone_mpi_student symclone_mpi_student;\n"
                "SYMCLONE_API int symclone_mpi_student_create(int *out);\n")
    if check_text(mpi_good, MPI_HEADER):
        print(f"names-test: good declarations of {MPI_HEADER} refused", file=sys.stderr)
        ok = False
    good = ("typedef enum symclone_layer_kind { SYMCLONE_LAYER_DENSE = 8 } symclone_layer_kind;\n"
            "typedef enum symclone_setting { SYMCLONE_NET_SEED = 109 } symclone_setting;\n"
            "SYMCLONE_API int symclone_layer_create_dense(int *out);\n"
            "typedef int (*symclone_net_progress_fn)(void *user);\n"
            "#define SYMCLONE_LAYER_H\n")
    errors = check_text(good, "self-test")
    if errors:
        print(f"names-test: good declarations refused: {errors}", file=sys.stderr)
        ok = False
    return ok


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not self_test():
        return 1
    headers = []
    for root in argv[1:]:
        folder = os.path.join(root, "symclone")
        if os.path.isdir(folder):
            headers += [os.path.join(folder, f) for f in sorted(os.listdir(folder))
                        if f.endswith(".h")]
    if not headers:
        print("names-test: no header found", file=sys.stderr)
        return 1
    errors = []
    for path in headers:
        with open(path, encoding="utf-8") as f:
            errors += check_text(f.read(), os.path.basename(path))
    for e in errors:
        print(e)
    print(f"names-test: {len(headers)} headers, {len(errors)} names break the rule")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
