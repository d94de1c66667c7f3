#!/usr/bin/env python3
"""Build the API reference and check that it documents the whole public API.

    check-reference.py DOXYGEN DOXYFILE OUTDIR SYMBOLS

Runs DOXYGEN on DOXYFILE (the reference's configuration with XML output
into OUTDIR) and fails when
  * Doxygen prints any warning (an undocumented member, a comment it cannot
    read) or exits non-zero;
  * a function, type, enum, enum value or macro of the public headers has
    neither a brief nor a detailed description in the XML output (Doxygen
    itself does not warn about undocumented enum values);
  * a symbol of the version script SYMBOLS (lib/symclone.sym) is not a
    documented function of the reference.
"""
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def text_of(node):
    return ''.join(node.itertext()).strip() if node is not None else ''


def main():
    doxygen, doxyfile, outdir, symbols = sys.argv[1:5]
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    run = subprocess.run([doxygen, doxyfile], capture_output=True, text=True)
    problems = [line for line in (run.stdout + run.stderr).splitlines()
                if 'warning' in line or 'error' in line]
    if run.returncode != 0 and not problems:
        problems.append(f'doxygen exited with status {run.returncode}')

    documented = set()
    members = 0
    xmldir = os.path.join(outdir, 'xml')
    for name in sorted(os.listdir(xmldir)):
        if not name.endswith('_8h.xml'):
            continue
        root = ET.parse(os.path.join(xmldir, name)).getroot()
        for member in root.iter('memberdef'):
            kind = member.get('kind')
            mname = text_of(member.find('name'))
            where = member.find('location').get('file') + ':' + member.find('location').get('line')
            has_doc = bool(text_of(member.find('briefdescription')) or
                           text_of(member.find('detaileddescription')))
            members += 1
            if not has_doc:
                problems.append(f'{where}: {kind} {mname} is not documented')
            elif kind == 'function':
                documented.add(mname)
            for value in member.iter('enumvalue'):
                members += 1
                if not (text_of(value.find('briefdescription')) or
                        text_of(value.find('detaileddescription'))):
                    problems.append(f'{where}: enum value {text_of(value.find("name"))} '
                                    f'of {mname} is not documented')

    with open(symbols, encoding='utf-8') as f:
        script = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.S)
    exported = re.findall(r'^\s*(symclone_\w+)\s*;', script, flags=re.M)
    for sym in exported:
        if sym not in documented:
            problems.append(f'{symbols}: {sym} is exported but not a documented function '
                            'of the reference')

    for p in problems:
        print(p)
    print(f'check-reference: {members} members and enum values, {len(exported)} exported '
          f'functions, {len(problems)} problems')
    return 1 if problems or not exported or not members else 0


if __name__ == '__main__':
    sys.exit(main())
