#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/.

usage: make-seeds.py [CORPUS_DIR]

The seeds are small, valid files and a few broken ones, in the input layout
of each target (see the comment at the top of fuzz_idx.c, fuzz_student.c,
fuzz_api.c).  Running it again rewrites the same files."""
import gzip
import os
import struct
import sys
import zlib

here = os.path.dirname(os.path.abspath(__file__))
corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus')


def write(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- IDX: [flags, num_classes, len(labels) as u16 LE] labels images ----
def idx_images(count, rows, cols, pixels=None, magic=0x803):
    if pixels is None:
        pixels = bytes((i * 37) % 256 for i in range(count * rows * cols))
    return struct.pack('>IIII', magic, count, rows, cols) + pixels


def idx_labels(labels, magic=0x801):
    return struct.pack('>II', magic, len(labels)) + bytes(labels)


def idx_input(labels, images, flags=0, classes=10):
    return bytes([flags, classes]) + struct.pack('<H', len(labels)) + labels + images


def mtime0(data):  # gzip without a time stamp: reproducible seeds
    return gzip.compress(data, mtime=0)


lab = idx_labels([1, 7, 3])
img = idx_images(3, 4, 3)
write('idx', 'valid-plain', idx_input(lab, img))
write('idx', 'valid-gzip-by-target', idx_input(lab, img, flags=3))
write('idx', 'valid-gzip-files', idx_input(mtime0(lab), mtime0(img)))
write('idx', 'valid-1x1x1', idx_input(idx_labels([0]), idx_images(1, 1, 1), classes=1))
write('idx', 'valid-save-gzip', idx_input(lab, img, flags=8))
write('idx', 'bad-magic', idx_input(lab, idx_images(3, 4, 3, magic=0x804)))
write('idx', 'bad-truncated-header', idx_input(lab, img[:10]))
write('idx', 'bad-truncated-payload', idx_input(lab, img[:-2]))
write('idx', 'bad-trailing-bytes', idx_input(lab, img + b'\0'))
write('idx', 'bad-zero-rows', idx_input(lab, idx_images(3, 0, 3, pixels=b'')))
write('idx', 'bad-huge-dims', idx_input(lab, struct.pack('>IIII', 0x803, 3, 0x7fffffff, 0x7fffffff)))
write('idx', 'bad-label-range', idx_input(idx_labels([1, 12, 3]), img))
write('idx', 'bad-count-mismatch', idx_input(idx_labels([1, 2]), img))
write('idx', 'bad-gzip-cut', idx_input(lab, mtime0(img)[:-9]))
write('idx', 'bad-gzip-crc', idx_input(lab, mtime0(img)[:-8] + b'\1\2\3\4' + mtime0(img)[-4:]))

# ---- gzip IDX under a budget: [budget byte] images.gz (fuzz_idx_gz.c) ----
def idx_gz_input(stream, budget_byte=10):
    return bytes([budget_byte]) + stream


write('idx_gz', 'valid', idx_gz_input(mtime0(img)))
write('idx_gz', 'valid-two-members', idx_gz_input(mtime0(img[:20]) + mtime0(img[20:])))
# 60,000 28x28 images declared over 64 KiB of zeros: over a 1 MiB budget,
# truncated within a 64 MiB one
forged = mtime0(struct.pack('>IIII', 0x803, 60000, 28, 28) + bytes(65536))
write('idx_gz', 'forged-header-small-budget', idx_gz_input(forged, 10))
write('idx_gz', 'forged-header-large-budget', idx_gz_input(forged, 16))
# 3 images declared, 64 KiB of zeros in the stream: past the declared size
write('idx_gz', 'past-declared-size', idx_gz_input(mtime0(idx_images(3, 4, 3) + bytes(65536))))
write('idx_gz', 'bad-cut', idx_gz_input(mtime0(img)[:-9]))
write('idx_gz', 'bad-crc', idx_gz_input(mtime0(img)[:-8] + b'\1\2\3\4' + mtime0(img)[-4:]))
write('idx_gz', 'bad-trailing-garbage', idx_gz_input(mtime0(img) + b'garbage'))

# ---- student files (lib/student/io.c) ----
def student(kind, n, k, h, w, pad, blocks, nparams, fill=0.25, reserved=0, first=None,
            restriction=None):
    # restriction: (group kind, n, [subspace indices]), format version 2
    head = b'SYMCLSTU' + struct.pack('<II', 2 if restriction else 1, 48)
    head += struct.pack('<IIIIIIII', kind, n, k, h, w, pad, blocks, reserved)
    head += struct.pack('<Q', nparams)
    values = [fill * ((i % 5) - 2) for i in range(nparams)]
    if first is not None:
        values[0] = first
    body = b''.join(struct.pack('<f', v) for v in values)
    if restriction:
        gkind, gn, idx = restriction
        body += struct.pack('<III', gkind, gn, len(idx))
        body += b''.join(struct.pack('<I', i) for i in idx)
    data = head + body
    return data + struct.pack('<I', zlib.crc32(data))


# planar, 3x3 kernel on 3x3 (valid), 2 blocks: 2*1*9 blocks + 2*9 coeffs
planar = student(1, 1, 3, 3, 3, 0, 2, 36)
# lifting C4, 1x1 kernel on 2x2 (zero padding), 1 block: 16 + 1 + 4 transforms
lifting = student(2, 4, 1, 2, 2, 1, 1, 21)
# group C2, 1x1 kernel on 1x1 (circular), 1 block: 1 + 1 + 4*1*2
group = student(3, 2, 1, 1, 1, 2, 1, 10)
write('student', 'valid-planar', planar)
write('student', 'valid-lifting', lifting)
write('student', 'valid-group', group)
write('student', 'bad-magic', b'SYMCLSTX' + planar[8:])
write('student', 'bad-version', planar[:8] + struct.pack('<I', 99) + planar[12:])
# planar, 3x3 on 3x3, 2 blocks restricted to C4's centre and edge trivial parts
write('student', 'valid-restricted', student(1, 1, 3, 3, 3, 0, 2, 36, restriction=(2, 4, [0, 1])))
write('student', 'bad-restricted-index',
      student(1, 1, 3, 3, 3, 0, 2, 36, restriction=(2, 4, [0, 7])))
write('student', 'bad-restricted-group',
      student(2, 4, 1, 2, 2, 1, 1, 21, restriction=(3, 4, [0])))
write('student', 'bad-truncated', planar[:70])
write('student', 'bad-crc', planar[:-1] + bytes([planar[-1] ^ 1]))
write('student', 'bad-geometry-even-kernel', student(1, 1, 2, 3, 3, 0, 2, 36))
write('student', 'bad-count', student(1, 1, 3, 3, 3, 0, 2, 35))
write('student', 'bad-big-geometry', student(1, 1, 1, 4096, 4096, 1, 1, 1))
write('student', 'bad-short', b'SYMC')
write('student', 'bad-reserved', student(1, 1, 3, 3, 3, 0, 2, 36, reserved=1))
write('student', 'bad-nan-weight', student(1, 1, 3, 3, 3, 0, 2, 36, first=float('nan')))
write('student', 'bad-inf-weight', student(1, 1, 3, 3, 3, 0, 2, 36, first=float('-inf')))
write('student', 'bad-kind', student(9, 1, 3, 3, 3, 0, 2, 36))

# ---- API: a byte stream of operations (fuzz_api.c) ----
api_seeds = {
    'group-t2': [0, 1, 3, 4, 5, 7, 2, 2, 4, 5, 1],
    'group-c8': [0, 0, 8, 3, 6, 1, 2, 1, 8, 5, 5] + list(range(40)),
    'layer-conv2d': [1, 0, 1, 1, 2, 3, 5, 5, 2, 1, 1] + list(range(80)),
    'layer-lifting': [1, 1, 4, 1, 1, 3, 4, 4, 0, 0, 0] + list(range(60)),
    'layer-group': [1, 2, 4, 1, 2, 1, 3, 3, 1, 1, 1] + list(range(120)),
    'layer-dense': [1, 7, 1, 1, 1, 1, 1, 1, 0, 1, 5, 4, 1] + list(range(40)),
    'student-planar': [2, 1, 1, 3, 5, 5, 0, 4, 1] + [2] * 60 + [3, 14, 0, 2, 17, 2] + [1] * 20,
    'student-lifting': [2, 2, 4, 3, 3, 3, 2, 2, 7] + [3] * 60 + [2, 17, 0, 1] + [1] * 20,
    'student-moment': [2, 1, 1, 3, 4, 4, 1, 9, 1] + [5] * 40 + [1, 17, 0, 2] + [1] * 20,
    'dataset': [3, 3, 4, 4, 10] + list(range(50)) + [1, 2, 0] + [9, 9, 12, 1, 3, 2, 3],
    'picture': [4, 2, 2, 4, 4, 2, 1, 3] + list(range(60)),
    'diag': [5, 8] + list(range(40)) + [4, 5, 3, 4, 2] + list(range(200)),
}
for name, ops in api_seeds.items():
    write('api', name, bytes(b % 256 for b in ops))

# ---- student exports (lib/interchange/): safetensors and npz files ----
KINDS = {1: 'planar', 2: 'lifting', 3: 'group', 4: 'dihedral_lifting', 5: 'dihedral_group'}


def export_tensors(kind, n, k, h, w, pad, blocks, fill=0.25):
    """The tensors and metadata of a student export (docs/file-format.md)."""
    ho, wo = (h - k + 1, w - k + 1) if pad == 'valid' else (h, w)
    order = 2 * n if kind in (4, 5) else n
    in_n = order if kind in (3, 5) else 1
    out_n = 1 if kind == 1 else order
    shapes = [('blocks', [blocks, ho * wo, h * w]), ('coeffs', [blocks, k * k])]
    if kind != 1:
        shapes.append(('transforms', [in_n * out_n, k * k, k * k * in_n]))
    tensors = []
    for name, shape in shapes:
        count = 1
        for d in shape:
            count *= d
        data = b''.join(struct.pack('<f', fill * ((i % 5) - 2)) for i in range(count))
        tensors.append((name, shape, data))
    meta = {'format': 'symclone-student', 'format_version': '1', 'kind': KINDS[kind],
            'group': 'T2' if kind == 1 else f'D{n}' if kind in (4, 5) else f'C{n}', 'orientations': str(n if kind != 1 else 1),
            'kernel': str(k), 'height': str(h), 'width': str(w), 'padding': pad,
            'blocks': str(blocks), 'library_version': '1.0.0'}
    return tensors, meta


def safetensors(tensors, meta):
    import json
    header, offset = {'__metadata__': meta}, 0
    for name, shape, data in tensors:
        header[name] = {'dtype': 'F32', 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(d for _, _, d in tensors)


def npy(descr, shape, data):
    dims = ', '.join(str(d) for d in shape) + (',' if len(shape) == 1 else '')
    head = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}"
    head += ' ' * (-(10 + len(head) + 1) % 64) + '\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(head)) + head.encode() + data


def npz(tensors, meta, method=0):
    """A zip of stored entries with fixed times (reproducible)."""
    import json
    entries = [(name + '.npy', npy('<f4', shape, data)) for name, shape, data in tensors]
    text = json.dumps(meta).encode()
    entries.append(('__metadata__.npy', npy('|u1', [len(text)], text)))
    out, central = b'', b''
    for name, data in entries:
        crc, nb, offset = zlib.crc32(data), name.encode(), len(out)
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, method, 0, 0x21, crc, len(data),
                           len(data), len(nb), 0) + nb + data
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 0x0314, 20, 0, method, 0, 0x21,
                               crc, len(data), len(data), len(nb), 0, 0, 0, 0, 0o100644 << 16,
                               offset) + nb
    end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(entries), len(entries), len(central),
                      len(out), 0)
    return out + central + end


geometries = {
    'planar': (1, 1, 3, 3, 3, 'valid', 1),
    'lifting': (2, 2, 3, 3, 3, 'zero', 1),
    'group': (3, 2, 1, 3, 3, 'circular', 2),
    'dihedral-group': (5, 1, 1, 3, 3, 'zero', 1),
}
for label, geom in geometries.items():
    tensors, meta = export_tensors(*geom)
    write('safetensors', f'valid-{label}', safetensors(tensors, meta))
    write('npz', f'valid-{label}', npz(tensors, meta))
tensors, meta = export_tensors(*geometries['lifting'])
st = safetensors(tensors, meta)
write('safetensors', 'bad-truncated', st[:-3])
write('safetensors', 'bad-header-length', struct.pack('<Q', 1 << 40) + st[8:])
write('safetensors', 'bad-dtype', st.replace(b'"F32"', b'"F16"', 1))
write('safetensors', 'bad-missing-coeffs', safetensors(tensors[:1] + tensors[2:], meta))
write('safetensors', 'bad-shape', safetensors([(tensors[0][0], [1, 81, 9], tensors[0][2])] + tensors[1:], meta))
write('safetensors', 'bad-kind', safetensors(tensors, dict(meta, kind='conv')))
write('safetensors', 'bad-no-metadata', safetensors(tensors, {}))
write('safetensors', 'bad-nan', safetensors([(tensors[1][0], tensors[1][1], struct.pack('<f', float('nan')) + tensors[1][2][4:])] + tensors[:1] + tensors[2:], meta))
z = npz(tensors, meta)
write('npz', 'bad-truncated', z[:-7])
write('npz', 'bad-crc', z[:100] + bytes([z[100] ^ 1]) + z[101:])
write('npz', 'bad-deflate', npz(tensors, meta, method=8))
write('npz', 'bad-group', npz(tensors, dict(meta, group='C3')))
write('npz', 'bad-missing-transforms', npz(tensors[:2], meta))
write('npz', 'bad-shape', npz([(tensors[1][0], [9, 1], tensors[1][2])] + tensors[:1] + tensors[2:], meta))

# ---- network exports (lib/interchange/network.c): safetensors and npz ----
def net_file(layers, input_shape):
    """The tensors and metadata of a network export: layers is a list of
    (metadata of the layer, [(part, shape, data)])."""
    meta = {'format': 'symclone-net', 'format_version': '1', 'library_version': '1.0.0',
            'layers': str(len(layers)), 'input_shape': input_shape}
    tensors = []
    for i, (m, ts) in enumerate(layers):
        meta.update({f'layers.{i}.{k}': v for k, v in m.items()})
        tensors += [(f'layers.{i}.{part}', shape, data) for part, shape, data in ts]
    return tensors, meta


def floats(count, fill=0.25):
    return b''.join(struct.pack('<f', fill * ((i % 5) - 2)) for i in range(count))


student_t, student_m = export_tensors(1, 1, 3, 3, 3, 'valid', 1)
cloned = ({'kind': 'cloned', 'input_shape': '1,1,3,3', 'output_shape': '2,1,1,1',
           'in_channels': '1', 'out_channels': '2', 'mode': 'retain', 'beta': '0',
           **{f'student.{k}': v for k, v in student_m.items()
              if k not in ('format', 'format_version', 'library_version')}},
          [('theta', [2, 1, 3, 3], floats(18)), ('bias', [2], floats(2))] + student_t)
relu = ({'kind': 'relu', 'input_shape': '2,1,1,1', 'output_shape': '2,1,1,1'}, [])
dense = ({'kind': 'dense', 'input_shape': '2,1,1,1', 'output_shape': '3,1,1,1',
          'in_features': '2', 'out_features': '3', 'bias': '1'},
         [('weight', [3, 2], floats(6)), ('bias', [3], floats(3))])
net_cloned = net_file([cloned, relu, dense], '1,1,3,3')


def conv(kind, i, o, shape_in, shape_out, group, rot, k, pad, bias, wshape):
    count = 1
    for d in wshape:
        count *= d
    ts = [('weight', wshape, floats(count))] + ([('bias', [o], floats(o))] if bias else [])
    return ({'kind': kind, 'input_shape': shape_in, 'output_shape': shape_out,
             'in_channels': str(i), 'out_channels': str(o), 'group': group,
             'rotations': str(rot), 'kernel': str(k), 'padding': pad, 'bias': str(bias)}, ts)


net_plain = net_file([
    conv('conv2d', 1, 1, '1,1,4,4', '1,1,4,4', 'T2', 1, 1, 'zero', 1, [1, 1, 1, 1]),
    conv('lifting', 1, 1, '1,1,4,4', '1,2,4,4', 'C2', 2, 1, 'valid', 0, [1, 1, 1, 1]),
    conv('group_conv', 1, 1, '1,2,4,4', '1,2,4,4', 'C2', 2, 1, 'circular', 1, [1, 1, 2, 1, 1]),
    ({'kind': 'maxpool2', 'input_shape': '1,2,4,4', 'output_shape': '1,2,2,2'}, []),
    ({'kind': 'orient_pool', 'input_shape': '1,2,2,2', 'output_shape': '1,1,2,2',
      'mode': 'max'}, []),
    conv('dihedral_lifting', 1, 1, '1,1,2,2', '1,2,2,2', 'D1', 1, 1, 'zero', 1, [1, 1, 1, 1]),
    ({'kind': 'global_avgpool', 'input_shape': '1,2,2,2', 'output_shape': '1,2,1,1'}, []),
], '1,1,4,4')
net_dihedral = net_file([
    conv('dihedral_group_conv', 1, 1, '1,2,2,2', '1,2,2,2', 'D1', 1, 1, 'valid', 0,
         [1, 1, 2, 1, 1]),
], '1,2,2,2')
for label, (tensors, meta) in (('net-cloned', net_cloned), ('net-plain', net_plain),
                               ('net-dihedral', net_dihedral)):
    write('safetensors', f'valid-{label}', safetensors(tensors, meta))
    write('npz', f'valid-{label}', npz(tensors, meta))
tensors, meta = net_cloned
write('safetensors', 'bad-net-chain', safetensors(tensors, dict(meta, **{'layers.1.input_shape': '3,1,1,1'})))
write('npz', 'bad-net-extra-tensor', npz(tensors + [('layers.1.weight', [1], floats(1))], meta))


# ---- teacher kernel banks (lib/interchange/teacher.c): fuzz_npy's input is
# [kind, rotations, height, width, padding] then an .npy file ----
def npy_seed(kind, rot, h, w, pad, descr, shape, data, version=1, order='False'):
    dims = ', '.join(str(d) for d in shape) + (',' if len(shape) == 1 else '')
    head = f"{{'descr': '{descr}', 'fortran_order': {order}, 'shape': ({dims}), }}"
    size = 10 if version == 1 else 12
    head += ' ' * (-(size + len(head) + 1) % 64) + '\n'
    length = struct.pack('<H', len(head)) if version == 1 else struct.pack('<I', len(head))
    return (bytes([kind, rot, h, w, pad]) + b'\x93NUMPY' + bytes([version, 0]) + length +
            head.encode() + data)


def f8(count):
    return b''.join(struct.pack('<d', 0.5 * ((i % 7) - 3)) for i in range(count))


write('npy', 'valid-conv2d', npy_seed(0, 1, 5, 5, 1, '<f4', [2, 1, 3, 3], floats(18)))
write('npy', 'valid-lifting-f8', npy_seed(1, 4, 5, 5, 2, '<f8', [1, 2, 3, 3], f8(18)))
write('npy', 'valid-group-c2', npy_seed(2, 2, 4, 4, 0, '<f4', [1, 1, 2, 3, 3], floats(18)))
write('npy', 'valid-dihedral-group-v2', npy_seed(4, 1, 3, 3, 1, '<f4', [1, 2, 1, 1], floats(2), version=2))
write('npy', 'valid-dense-v3', npy_seed(5, 0, 0, 0, 0, '<f8', [3, 4], f8(12), version=3))
write('npy', 'bad-fortran', npy_seed(0, 1, 5, 5, 1, '<f4', [2, 1, 3, 3], floats(18), order='True'))
write('npy', 'bad-big-endian', npy_seed(0, 1, 5, 5, 1, '>f4', [2, 1, 3, 3], floats(18)))
write('npy', 'bad-int', npy_seed(0, 1, 5, 5, 1, '<i4', [2, 1, 3, 3], floats(18)))
write('npy', 'bad-shape', npy_seed(0, 1, 5, 5, 1, '<f4', [2, 9], floats(18)))
write('npy', 'bad-truncated', npy_seed(0, 1, 5, 5, 1, '<f4', [2, 1, 3, 3], floats(17)))
write('npy', 'bad-nan', npy_seed(0, 1, 5, 5, 1, '<f4', [1, 1, 1, 1], struct.pack('<f', float('nan'))))
write('npy', 'bad-huge-shape', npy_seed(0, 1, 5, 5, 1, '<f4', [1 << 40, 1 << 40, 3, 3], floats(4)))
