#!/usr/bin/python3
"""The PyTorch reference module (python/symclone_torch.py) against the
library:
  * students exported by tests/python/export_student.c, read as
    safetensors and as .npz, give the library's outputs on the same inputs;
  * networks exported by tests/python/export_net.c (cloned C4 and D4
    networks, and one of every plain layer kind) give the library's outputs,
    and the equivariance errors of the cloned networks and of a C4 and a D4
    student, computed in PyTorch (torch.rot90, torch.flip and the
    permutation of the orientations of docs/conventions.md), are the
    library's (symclone_diag);
  * kernel banks saved from PyTorch (safetensors written by the module) and
    by numpy.save (.npy, float32 and float64) import as teacher layers
    whose outputs are torch.nn.functional.conv2d's, or the reference
    module's for group convolutions.
Float tolerance: a relative error (max |torch - library| / max |library|)
below 1e-5 for outputs, and equivariance figures within 1e-4 of the
library's relative to it.

usage: test_interchange.py EXPORT_STUDENT PYTHON_DIR EXPORT_NET

Exits 77 (skipped) when numpy or torch cannot be imported, or 1 if the
environment sets SYMCLONE_REQUIRE_PYTHON=1 (scripts/test does)."""
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
    if os.environ.get('SYMCLONE_REQUIRE_PYTHON') == '1':
        print(f'FAILED: SYMCLONE_REQUIRE_PYTHON=1 and {e}')
        sys.exit(1)
    print(f'skipped: {e}')
    sys.exit(77)

OUT_TOL = 1e-5
EQ_TOL = 1e-4


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


def close(got, want, what):
    """The relative error of got against want, checked below OUT_TOL."""
    assert got.shape == want.shape, (what, got.shape, want.shape)
    scale = float(np.abs(want).max())
    assert scale > 1e-3, f'{what}: the library output is trivial ({scale})'
    err = float(np.abs(got - want).max()) / scale
    print(f'{what}: max |torch - library| / max |library| = {err:.2e}')
    assert err < OUT_TOL, f'{what}: relative error {err}'


def equivariance(f, x, n, dihedral):
    """Mean and maximum over the non-identity elements g and the inputs of
    ||f(g x) - g f(x)|| / ||g f(x)||, f giving fields [N, C, o, H, W]."""
    import symclone_torch
    order = 2 * n if dihedral else n
    errs = []
    with torch.no_grad():
        fx = f(x)
        for g in range(1, order):
            gx = symclone_torch.group_act(x, g, n, dihedral)
            fgx = f(gx).double()
            gfx = symclone_torch.group_act(fx, g, n, dihedral).double()
            for j in range(x.shape[0]):
                errs.append(float(torch.linalg.norm(fgx[j] - gfx[j]) / torch.linalg.norm(gfx[j])))
    return sum(errs) / len(errs), max(errs)


def check_nets(export_net, d):
    import symclone_torch
    subprocess.run([export_net, 'nets', d], check=True)
    batch = 4
    for name, group in (('c4', (4, False)), ('d4', (4, True)), ('plain', None)):
        nets = [symclone_torch.load(os.path.join(d, f'{name}.{ext}'))
                for ext in ('safetensors', 'npz')]
        for a, b in zip(nets[0].state_dict().values(), nets[1].state_dict().values()):
            assert torch.equal(a, b), f'{name}: the formats hold different parameters'
        c, o, h, w = nets[0].input_shape
        raw = open(os.path.join(d, f'{name}.io'), 'rb').read()
        figures = np.frombuffer(raw[-16:], dtype='<f8') if group else None
        io = np.frombuffer(raw[:-16] if group else raw, dtype='<f4')
        in_size = c * o * h * w
        x = torch.from_numpy(io[:batch * in_size].reshape(batch, c, o, h, w).copy())
        want = io[batch * in_size:].reshape(batch, -1)
        for ext, net in zip(('safetensors', 'npz'), nets):
            with torch.no_grad():
                got = net(x).numpy()
            close(got, want, f'network {name} ({ext})')
        if group:
            check_figures(f'network {name}', nets[0].fields, x, group, figures)
    # students: the operator x -> S(x; theta) of one theta
    for name, group in (('student-c4', (4, False)), ('student-d4', (4, True))):
        m = symclone_torch.load(os.path.join(d, f'{name}.safetensors'))
        raw = open(os.path.join(d, f'{name}.io'), 'rb').read()
        figures = np.frombuffer(raw[-16:], dtype='<f8')
        io = np.frombuffer(raw[:-16], dtype='<f4')
        in_size = m.in_n * m.height * m.width
        x = torch.from_numpy(io[:batch * in_size].reshape(batch, 1, m.in_n, m.height, m.width).copy())
        theta = torch.from_numpy(io[batch * in_size:batch * in_size + m.theta_size].copy())
        want = io[batch * in_size + m.theta_size:].reshape(batch, -1)
        with torch.no_grad():
            close(m(x[:, 0], theta).numpy().reshape(batch, -1), want, name)
        check_figures(name, lambda v: m(v[:, 0], theta).unsqueeze(1), x, group, figures)


def check_figures(what, f, x, group, figures):
    mean, worst = equivariance(f, x, *group)
    print(f'{what}: equivariance error mean {mean:.6g} max {worst:.6g} '
          f'(library: {figures[0]:.6g}, {figures[1]:.6g})')
    assert figures[0] > 1e-3, f'{what}: the figure is trivial'
    for t, l in ((mean, figures[0]), (worst, figures[1])):
        assert abs(t - l) <= EQ_TOL * l, f'{what}: torch {t} against library {l}'


def run_teacher(export_net, d, path, weight, bias, kind, rotations, x, padding):
    """The library's outputs of the teacher layer imported from path."""
    xf, yf = os.path.join(d, 'x.f32'), os.path.join(d, 'y.f32')
    np.ascontiguousarray(x.numpy(), dtype='<f4').tofile(xf)
    n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
    subprocess.run([export_net, 'teacher', path, weight or '-', bias or '-', kind,
                    str(rotations), str(h), str(w), padding, xf, yf], check=True)
    return np.fromfile(yf, dtype='<f4').reshape(n, -1)


def check_teachers(export_net, d):
    import symclone_torch
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(3, 3, 9, 9, generator=gen)
    # conv2d banks from torch modules: safetensors written by the module,
    # and numpy.save (float32, float64)
    for padding, mode in (('zero', 'zeros'), ('circular', 'circular'), ('valid', 'zeros')):
        conv = torch.nn.Conv2d(3, 4, 3, padding=0 if padding == 'valid' else 1,
                               padding_mode=mode, bias=True)
        with torch.no_grad():
            want = conv(x).numpy().reshape(3, -1)
        st = os.path.join(d, f'conv-{padding}.safetensors')
        symclone_torch.save_safetensors(st, {'conv.weight': conv.weight, 'conv.bias': conv.bias,
                                             'other': torch.zeros(2)})
        got = run_teacher(export_net, d, st, 'conv.weight', 'conv.bias', 'conv2d', 1, x, padding)
        close(got, want, f'conv2d {padding} from safetensors')
        wf, bf = os.path.join(d, 'w.npy'), os.path.join(d, 'b.npy')
        np.save(wf, conv.weight.detach().numpy().astype(np.float64))
        np.save(bf, conv.bias.detach().numpy())
        got = run_teacher(export_net, d, wf, None, bf, 'conv2d', 1, x, padding)
        close(got, want, f'conv2d {padding} from .npy (float64 weight)')
    # group convolution banks [out, in, G, k, k] (.npy) and [out, in*G, k, k]
    # (safetensors) against the reference module's
    for kind, n, dihedral in (('group_conv', 4, False), ('dihedral_group_conv', 4, True)):
        order = 2 * n if dihedral else n
        wt = torch.randn(2, 3, order, 3, 3, generator=gen)
        bias = torch.randn(2, generator=gen)
        xg = torch.randn(2, 3, order, 7, 7, generator=gen)
        ref = symclone_torch.Conv(kind, wt.numpy(), bias.numpy(), n, 'zero', (3, order, 7, 7),
                                  (2, order, 7, 7))
        with torch.no_grad():
            want = ref(xg).numpy().reshape(2, -1)
        wf = os.path.join(d, 'g.npy')
        np.save(wf, wt.numpy())
        got = run_teacher(export_net, d, wf, None, None, kind, n, xg, 'zero')
        with torch.no_grad():
            want_nobias = (ref(xg) - bias.reshape(1, -1, 1, 1, 1)).numpy().reshape(2, -1)
        close(got, want_nobias, f'{kind} from .npy [out, in, G, k, k]')
        st = os.path.join(d, 'g.safetensors')
        symclone_torch.save_safetensors(st, {'w': wt.reshape(2, 3 * order, 3, 3), 'b': bias})
        got = run_teacher(export_net, d, st, 'w', 'b', kind, n, xg, 'zero')
        close(got, want, f'{kind} from safetensors [out, in*G, k, k]')


def main():
    exporter, pydir, export_net = sys.argv[1], sys.argv[2], sys.argv[3]
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
        check_nets(export_net, d)
        check_teachers(export_net, d)
    return 0


if __name__ == '__main__':
    sys.exit(main())
