#!/usr/bin/env python3
"""Exported-symbol test of libsymclone.so.

usage: symbols-test.py LIBRARY HEADER_DIR VERSION_SCRIPT [HEADER]

(HEADER: the one header of the library, mpi.h for libsymclone-mpi; without
it every header but mpi.h.)

Checks, with `nm -D --defined-only`:
  * every exported symbol starts with symclone_ (the version-node names
    such as SYMCLONE_0.1, which nm shows as absolute 'A' symbols, aside);
  * every function declared with SYMCLONE_API in HEADER_DIR/*.h is exported;
  * every symbol named in the version script is exported (a name listed
    there but not defined is otherwise dropped silently by the linker);
  * every exported symbol carries a version node of the version script.
"""
import glob
import os
import re
import subprocess
import sys


def exported(library):
    out = subprocess.run(['nm', '-D', '--defined-only', library], check=True,
                         capture_output=True, text=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        kind, name = fields[-2], fields[-1]
        if kind == 'A':  # version node (SYMCLONE_0.1)
            continue
        base, _, version = name.partition('@')
        symbols[base] = version.lstrip('@')
    return symbols


def declared(header_dir, only=None):
    """The SYMCLONE_API functions of the headers: of every header but
    mpi.h (libsymclone-mpi's), or of the header `only`."""
    names = {}
    for path in sorted(glob.glob(os.path.join(header_dir, '*.h'))):
        if (os.path.basename(path) != only) if only else os.path.basename(path) == 'mpi.h':
            continue
        with open(path, encoding='utf-8') as f:
            text = f.read()
        text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)  # comments
        text = re.sub(r'//[^\n]*', ' ', text)
        text = re.sub(r'^\s*#(?:[^\n]*\\\n)*[^\n]*', ' ', text, flags=re.M)  # directives
        for m in re.finditer(r'\bSYMCLONE_API\b[^;{(]*?\b(symclone_\w+)\s*\(', text):
            names[m.group(1)] = os.path.basename(path)
    return names


def version_script(path):
    with open(path, encoding='utf-8') as f:
        text = re.sub(r'/\*.*?\*/', ' ', f.read(), flags=re.S)
    text = re.sub(r'#[^\n]*', ' ', text)
    nodes = set(re.findall(r'^\s*([A-Za-z_][\w.]*)\s*\{', text, flags=re.M))
    names = set()
    for m in re.finditer(r'([A-Za-z_]\w*)\s*;', text):
        if m.group(1) not in ('global', 'local'):
            names.add(m.group(1))
    return nodes, names


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    library, header_dir, script = sys.argv[1:4]
    symbols = exported(library)
    api = declared(header_dir, sys.argv[4] if len(sys.argv) == 5 else None)
    nodes, listed = version_script(script)
    errors = []

    for name in sorted(symbols):
        if not name.startswith('symclone_'):
            errors.append(f'exported symbol without the symclone_ prefix: {name}')
        elif symbols[name] not in nodes:
            errors.append(f'{name} has version "{symbols[name]}", not a node of '
                          f'{os.path.basename(script)} ({", ".join(sorted(nodes))})')
    for name in sorted(api):
        if name not in symbols:
            errors.append(f'{name} (SYMCLONE_API in {api[name]}) is not exported; '
                          f'is it in {os.path.basename(script)}, and defined?')
    for name in sorted(listed):
        if name not in symbols:
            errors.append(f'{name} is listed in {os.path.basename(script)} but not exported')
    for name in sorted(set(symbols) - set(api)):
        if name.startswith('symclone_'):
            errors.append(f'{name} is exported but not declared with SYMCLONE_API in a header')

    print(f'{len(symbols)} exported symbols, {len(api)} SYMCLONE_API declarations, '
          f'{len(listed)} names in {os.path.basename(script)} (nodes: {", ".join(sorted(nodes))})')
    if not api:
        errors.append(f'no SYMCLONE_API declaration found in {header_dir}')
    for e in errors:
        print('FAIL:', e)
    if not errors:
        print('symbols test passed')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
