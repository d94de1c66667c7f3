#!/usr/bin/env python3
"""The dependency rule of lib/ (docs/design.md, "Parts of lib/"): a part
includes private headers only of the parts its level allows, and
lib/meson.build lists the parts bottom first.

usage: layers-test.py SOURCE_ROOT
"""
import os
import re
import sys

# part -> the parts it may use (docs/design.md's table)
ALLOWED = {
    'common': set(),
    'group': {'common'},
    'kernels': {'common'},
    'layer': {'common', 'group', 'kernels'},
    'student': {'common', 'group', 'layer'},
    'train': {'common', 'kernels', 'group', 'layer', 'student'},
    'data': {'common', 'group'},
    'picture': {'common'},
    'diag': {'common', 'group', 'layer'},
    'net': {'common', 'kernels', 'layer', 'student'},
    'interchange': {'common', 'layer', 'student', 'net'},
    # libsymclone-mpi, above train: the sharded student and trainer
    'mpi': {'common', 'kernels', 'group', 'layer', 'student', 'train'},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"\.\./([a-z_]+)/', re.M)


def check(root):
    errors = []
    lib = os.path.join(root, 'lib')
    parts = sorted(d for d in os.listdir(lib) if os.path.isdir(os.path.join(lib, d)))
    for part in parts:
        if part not in ALLOWED:
            errors.append(f'lib/{part}/ is not a known part: add it to docs/design.md and this test')
            continue
        for name in sorted(os.listdir(os.path.join(lib, part))):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(lib, part, name)
            with open(path, encoding='utf-8') as f:
                text = f.read()
            for used in sorted(set(INCLUDE.findall(text))):
                if used != part and used not in ALLOWED[part]:
                    errors.append(f'lib/{part}/{name} includes lib/{used}/, which {part}/ may not use')
    with open(os.path.join(lib, 'meson.build'), encoding='utf-8') as f:
        order = re.findall(r"^subdir\('([a-z_]+)'\)", f.read(), re.M)
    for i, part in enumerate(order):
        for used in ALLOWED.get(part, ()):
            if used in order and order.index(used) > i:
                errors.append(f"lib/meson.build lists {part} before {used}, which it uses")
    return errors


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    errors = check(sys.argv[1])
    for e in errors:
        print(e)
    print(f'{len(errors)} breaches of the dependency rule')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
