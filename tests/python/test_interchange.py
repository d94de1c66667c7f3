#!/usr/bin/python3
"""The PyTorch reference module (python/symclone_torch.py) against the
library: students exported by tests/python/export_student.c, read as
safetensors and as .npz, give the library's outputs on the same inputs to
float tolerance.

usage: test_interchange.py EXPORT_STUDENT PYTHON_DIR

Exits 77 (skipped) when numpy or torch cannot be imported."""
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f'skipped: {e}')
    sys.exit(77)


def write_safetensors(path, tensors, meta):
    """A safetensors file written without the library (names sorted, no
    padding, the metadata last), as another tool may write it."""
    header, body, offset = {}, b'', 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape),
                        'data_offsets': [offset, offset + len(data)]}
        body += data
        offset += len(data)
    header['__metadata__'] = meta
    text = json.dumps(header).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + body)


def main():
    exporter, pydir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, pydir)
    import symclone_torch

    torch.set_num_threads(1)
    batch = 3
    with tempfile.TemporaryDirectory(prefix='symclone-py-') as d:
        subprocess.run([exporter, d], check=True)
        for kind in ('planar', 'lifting', 'group', 'dihedral_lifting', 'dihedral_group'):
            modules = [symclone_torch.load(os.path.join(d, f'{kind}.{ext}'))
                       for ext in ('safetensors', 'npz')]
            m = modules[0]
            assert m.kind == kind, (m.kind, kind)
            # both formats hold the same parameters, bit for bit
            for name in ('blocks', 'coeffs', 'transforms'):
                a, b = getattr(modules[0], name), getattr(modules[1], name)
                assert (a is None) == (b is None) == (kind == 'planar' and name == 'transforms'), name
                if a is not None:
                    assert torch.equal(a, b), name
            in_size = m.in_n * m.height * m.width
            out_size = m.out_n * m.out_height * m.out_width
            io = np.fromfile(os.path.join(d, f'{kind}.io'), dtype='<f4')
            assert io.size == batch * in_size + m.theta_size + batch * out_size, io.size
            x = torch.from_numpy(io[:batch * in_size].reshape(batch, m.in_n, m.height, m.width).copy())
            theta = torch.from_numpy(io[batch * in_size:batch * in_size + m.theta_size].copy())
            want = io[batch * in_size + m.theta_size:].reshape(batch, m.out_n, m.out_height, m.out_width)
            scale = float(np.abs(want).max())
            assert scale > 1e-3, f'{kind}: the library output is trivial ({scale})'
            for ext, mod in zip(('safetensors', 'npz'), modules):
                with torch.no_grad():
                    got = mod(x, theta).numpy()
                assert got.shape == want.shape, (got.shape, want.shape)
                err = float(np.abs(got - want).max()) / scale
                print(f'{kind} {ext}: max |torch - library| / max |library| = {err:.2e}')
                assert err < 1e-5, f'{kind} {ext}: relative error {err}'
            # files written by NumPy and by plain Python import into the
            # library with the same parameters
            tensors, meta = symclone_torch.read_npz(os.path.join(d, f'{kind}.npz'))
            arrays = dict(tensors, __metadata__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
            np.savez(os.path.join(d, f'{kind}-numpy.npz'), **arrays)
            write_safetensors(os.path.join(d, f'{kind}-python.safetensors'), tensors, meta)
            for src in (f'{kind}-numpy.npz', f'{kind}-python.safetensors'):
                out = os.path.join(d, 'converted.safetensors')
                subprocess.run([exporter, '--convert', os.path.join(d, src), out], check=True)
                back = symclone_torch.load(out)
                for name in tensors:
                    assert torch.equal(getattr(back, name), getattr(m, name)), (src, name)
                print(f'{kind}: {src} imports with the same parameters')
    return 0


if __name__ == '__main__':
    sys.exit(main())
