"""Students exported by libsymclone, as PyTorch modules.

Reads a student written by symclone_student_export() (safetensors or NumPy
.npz; docs/file-format.md, "Interchange") with numpy and torch only, into a
torch.nn.Module computing the student's forward pass S(x; theta):

    import symclone_torch
    student = symclone_torch.load('student.safetensors')
    y = student(x, theta)   # x [N, in_n, H, W], theta [P] -> y [N, out_n, Ho, Wo]

with (B blocks W_b, coefficients A, transforms T_t; G orientations of a
group field, n for Cn and 2n for Dn; t = r lifting, r*G + s group; see
<symclone/student.h>)

    planar:            y   = sum_b (A theta)_b W_b x
    (dihedral) lifting: y_r = sum_b (A T_r theta)_b W_b x
    (dihedral) group:   y_r = sum_s sum_b (A T_{r,s} theta)_b W_b x_s
"""
import json
import struct
import zipfile

import numpy as np
import torch

__all__ = ['Student', 'load', 'read_safetensors', 'read_npz']

TENSORS = ('blocks', 'coeffs', 'transforms')


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file: name -> float32 ndarray,
    and the metadata strings."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f'{path}: too short for safetensors')
    (n,) = struct.unpack('<Q', data[:8])
    if n > len(data) - 8:
        raise ValueError(f'{path}: header length {n} beyond the file')
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    body = data[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t['dtype'] != 'F32':
            raise ValueError(f'{path}: tensor {name} has dtype {t["dtype"]}, not F32')
        begin, end = t['data_offsets']
        shape = tuple(t['shape'])
        if not 0 <= begin <= end <= len(body) or end - begin != 4 * int(np.prod(shape)):
            raise ValueError(f'{path}: tensor {name} has bad data_offsets')
        tensors[name] = np.frombuffer(body[begin:end], dtype='<f4').reshape(shape)
    return tensors, meta


def read_npz(path):
    """(tensors, metadata) of an .npz export."""
    with np.load(path, allow_pickle=False) as z:
        tensors = {k: z[k] for k in z.files if k != '__metadata__'}
        meta = json.loads(z['__metadata__'].tobytes().decode('utf-8')) if '__metadata__' in z.files else {}
    return tensors, meta


def read(path):
    """(tensors, metadata) of either format, told by the content."""
    if zipfile.is_zipfile(path):
        return read_npz(path)
    return read_safetensors(path)


class Student(torch.nn.Module):
    """A dense student of libsymclone (any kind)."""

    def __init__(self, tensors, meta):
        super().__init__()
        if meta.get('format') != 'symclone-student':
            raise ValueError('not a libsymclone student export')
        if meta.get('format_version') != '1':
            raise ValueError(f'format_version {meta.get("format_version")} is not 1')
        self.kind = meta['kind']
        self.group = meta['group']
        self.orientations = int(meta['orientations'])
        self.kernel = int(meta['kernel'])
        self.height = int(meta['height'])
        self.width = int(meta['width'])
        self.padding = meta['padding']
        k, n = self.kernel, self.orientations
        if self.padding == 'valid':
            self.out_height, self.out_width = self.height - k + 1, self.width - k + 1
        else:
            self.out_height, self.out_width = self.height, self.width
        order = 2 * n if self.kind.startswith('dihedral_') else n
        self.in_n = order if self.kind in ('group', 'dihedral_group') else 1
        self.out_n = 1 if self.kind == 'planar' else order
        self.theta_size = k * k * self.in_n
        self.blocks = torch.nn.Parameter(torch.from_numpy(np.array(tensors['blocks'], dtype=np.float32)))
        self.coeffs = torch.nn.Parameter(torch.from_numpy(np.array(tensors['coeffs'], dtype=np.float32)))
        if self.kind == 'planar':
            self.transforms = None
        else:
            self.transforms = torch.nn.Parameter(
                torch.from_numpy(np.array(tensors['transforms'], dtype=np.float32)))
        nb = int(meta['blocks'])
        want = {
            'blocks': (nb, self.out_height * self.out_width, self.height * self.width),
            'coeffs': (nb, k * k),
        }
        if self.transforms is not None:
            want['transforms'] = (self.in_n * self.out_n, k * k, self.theta_size)
        for name, shape in want.items():
            if tuple(getattr(self, name).shape) != shape:
                raise ValueError(f'tensor {name} has shape {tuple(getattr(self, name).shape)}, not {shape}')

    def forward(self, x, theta):
        """x [N, in_n, H, W] (or [N, in_n*H*W]), theta [P] -> [N, out_n, Ho, Wo]."""
        x = x.reshape(x.shape[0], self.in_n, self.height * self.width)
        theta = theta.reshape(self.theta_size)
        v = torch.einsum('boi,nsi->nsbo', self.blocks, x)  # W_b x_s
        if self.transforms is None:
            phi = theta.reshape(1, -1)  # [1, Pc]
        else:
            phi = torch.einsum('tcp,p->tc', self.transforms, theta)  # T_t theta
        c = (phi @ self.coeffs.T).reshape(self.out_n, self.in_n, -1)  # A T_t theta
        y = torch.einsum('rsb,nsbo->nro', c, v)
        return y.reshape(x.shape[0], self.out_n, self.out_height, self.out_width)

    def extra_repr(self):
        return (f'kind={self.kind}, group={self.group}, kernel={self.kernel}, '
                f'input={self.in_n}x{self.height}x{self.width}, padding={self.padding}, '
                f'blocks={self.blocks.shape[0]}')


def load(path):
    """The Student of an exported file (safetensors or .npz)."""
    tensors, meta = read(path)
    return Student(tensors, meta)
