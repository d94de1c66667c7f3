"""Students and networks exported by libsymclone, as PyTorch modules.

Reads a student written by symclone_student_export() or a network written
by symclone_net_export() (safetensors or NumPy .npz; docs/file-format.md,
"Interchange" and "Networks") with numpy and torch only, into torch.nn
modules.  A student computes its forward pass S(x; theta):

    import symclone_torch
    student = symclone_torch.load('student.safetensors')
    y = student(x, theta)   # x [N, in_n, H, W], theta [P] -> y [N, out_n, Ho, Wo]

A network is a torch.nn.Sequential of one module per layer, on fields
[N, C, n, H, W] (n = 1 for planar fields; a flat [N, C*n*H*W] input is
accepted too), whose output is the library's, flattened as it is: the
logits [N, output_size]:

    net = symclone_torch.load('net.safetensors')
    logits = net(x)

Cloned layers apply their student's dense blocks (Cloned below); plain
convolutions rotate and mirror their filters with torch.rot90 and
torch.flip, so the plain lifting and group convolutions are read for the
exact groups C1, C2, C4, D1, D2 and D4 only.  save_safetensors() writes
tensors (a kernel bank to import as a teacher layer, for instance) as a
safetensors file.

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

__all__ = ['Student', 'Cloned', 'Conv', 'Net', 'load', 'read', 'read_safetensors', 'read_npz',
           'save_safetensors', 'group_act', 'dihedral_compose', 'dihedral_inverse']

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


def save_safetensors(path, tensors, metadata=None):
    """Write {name: array or tensor} as float32 safetensors (names sorted),
    with optional string metadata."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        value = tensors[name]
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        data = np.ascontiguousarray(value, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(np.shape(value)),
                        'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))


class Student(torch.nn.Module):
    """A dense student of libsymclone (any kind)."""

    def __init__(self, tensors, meta, top=True):
        super().__init__()
        if top and meta.get('format') != 'symclone-student':
            raise ValueError('not a libsymclone student export')
        if top and meta.get('format_version') != '1':
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

    def coefficients(self, theta):
        """(A T_t theta)_b for thetas [..., P]: [..., out_n, in_n, B]."""
        theta = theta.reshape(*theta.shape[:-1], self.theta_size)
        if self.transforms is None:
            phi = theta.unsqueeze(-2)  # [..., 1, Pc]
        else:
            phi = torch.einsum('tcp,...p->...tc', self.transforms, theta)  # T_t theta
        c = phi @ self.coeffs.T  # [..., t, B]
        return c.reshape(*theta.shape[:-1], self.out_n, self.in_n, -1)

    def project(self, x):
        """W_b x_s for fields x [..., in_n, H*W]: [..., in_n, B, Ho*Wo]."""
        return torch.einsum('boi,...si->...sbo', self.blocks, x)

    def forward(self, x, theta):
        """x [N, in_n, H, W] (or [N, in_n*H*W]), theta [P] -> [N, out_n, Ho, Wo]."""
        x = x.reshape(x.shape[0], self.in_n, self.height * self.width)
        c = self.coefficients(theta.reshape(-1))
        y = torch.einsum('rsb,nsbo->nro', c, self.project(x))
        return y.reshape(x.shape[0], self.out_n, self.out_height, self.out_width)

    def extra_repr(self):
        return (f'kind={self.kind}, group={self.group}, kernel={self.kernel}, '
                f'input={self.in_n}x{self.height}x{self.width}, padding={self.padding}, '
                f'blocks={self.blocks.shape[0]}')


def dihedral_compose(a, b, n):
    """a * b in Dn, elements g = m*n + r standing for R_r M^m."""
    p, ar = divmod(a, n)
    q, br = divmod(b, n)
    return (p ^ q) * n + ((ar - br) if p else (ar + br)) % n


def dihedral_inverse(g, n):
    """g^-1 in Dn: a reflection is its own inverse."""
    m, r = divmod(g, n)
    return g if m else (-r) % n


class _Group:
    """Cn or Dn with n in {1, 2, 4}, whose elements act by exact
    permutations (docs/conventions.md)."""

    def __init__(self, n, dihedral):
        if 4 % n:
            raise NotImplementedError(f'{"D" if dihedral else "C"}{n}: only the exact groups '
                                      '(n = 1, 2, 4) are read by this module')
        self.n, self.dihedral = n, dihedral
        self.order = 2 * n if dihedral else n

    def compose(self, a, b):
        return dihedral_compose(a, b, self.n) if self.dihedral else (a + b) % self.n

    def inverse(self, g):
        return dihedral_inverse(g, self.n) if self.dihedral else (-g) % self.n

    def plane(self, f, g):
        """T_g on the last two axes: mirror (columns reversed) if g is a
        reflection, then rotate by r steps (numpy.rot90's direction)."""
        m, r = divmod(g, self.n)
        if m:
            f = torch.flip(f, dims=[-1])
        return torch.rot90(f, r * 4 // self.n, dims=(-2, -1))


def group_act(f, g, n, dihedral):
    """The action of element g of Cn or Dn on fields f [N, C, o, H, W]: a
    planar field (o = 1) is transformed; a group field (o = n for Cn, 2n
    for Dn) has every plane transformed and its orientations permuted,
    (g f)[c][s] = T_g f[c][g^-1 * s]."""
    grp = _Group(n, dihedral)
    f = grp.plane(f, g)
    if f.shape[2] == 1:
        return f
    if f.shape[2] != grp.order:
        raise ValueError(f'{f.shape[2]} orientations for a group of order {grp.order}')
    inv = grp.inverse(g)
    return f[:, :, [grp.compose(inv, s) for s in range(grp.order)]]


def _shape(text):
    c, o, h, w = (int(v) for v in text.split(','))
    return c, o, h, w


def _pad(x, k, padding):
    """(input, conv2d padding) for a padding mode: valid, zero, circular."""
    p = k // 2
    if padding == 'valid':
        return x, 0
    if padding == 'zero':
        return x, p
    return torch.nn.functional.pad(x, (p, p, p, p), mode='circular'), 0


class Conv(torch.nn.Module):
    """A plain convolution of libsymclone (layer.h): conv2d, lifting, group
    convolution, dihedral lifting or dihedral group convolution, with its
    weight in the library's (and PyTorch's) layout [out, in, (G,) k, k]."""

    def __init__(self, kind, weight, bias, rotations, padding, in_shape, out_shape):
        super().__init__()
        self.kind, self.padding = kind, padding
        self.in_shape, self.out_shape = in_shape, out_shape
        self.weight = torch.nn.Parameter(torch.from_numpy(np.array(weight, dtype=np.float32)))
        self.bias = (None if bias is None else
                     torch.nn.Parameter(torch.from_numpy(np.array(bias, dtype=np.float32))))
        self.group = None if kind == 'conv2d' else _Group(rotations, kind.startswith('dihedral'))

    def bank(self):
        """The filter bank of one planar conv2d doing the whole layer:
        [out * G_out, in * G_in, k, k]."""
        w = self.weight
        if self.group is None:
            return w
        grp, rows = self.group, []
        for o in range(w.shape[0]):
            for g in range(grp.order):
                if w.dim() == 4:  # lifting: T_g w[o]
                    rows.append(grp.plane(w[o], g))
                else:  # group: T_g w[o][i][g^-1 * s]
                    inv = grp.inverse(g)
                    idx = [grp.compose(inv, s) for s in range(grp.order)]
                    rows.append(grp.plane(w[o][:, idx], g).reshape(-1, *w.shape[-2:]))
        return torch.stack(rows)

    def forward(self, x):
        n = x.shape[0]
        x = x.reshape(n, -1, *x.shape[-2:])
        w = self.bank()
        x, p = _pad(x, w.shape[-1], self.padding)
        y = torch.nn.functional.conv2d(x, w, padding=p)
        y = y.reshape(n, self.out_shape[0], self.out_shape[1], *y.shape[-2:])
        if self.bias is not None:
            y = y + self.bias.reshape(1, -1, 1, 1, 1)
        return y


class Cloned(torch.nn.Module):
    """A cloned convolution layer (net.h): y_o = b_o + sum_i S(x_i; theta[o][i])
    with the student S of the layer (its dense blocks, coefficients and
    transforms), theta [out, in, (in_n,) k, k] and bias [out]."""

    def __init__(self, student, theta, bias, out_shape):
        super().__init__()
        self.student = student
        self.out_shape = out_shape
        self.theta = torch.nn.Parameter(torch.from_numpy(np.array(theta, dtype=np.float32)))
        self.bias = torch.nn.Parameter(torch.from_numpy(np.array(bias, dtype=np.float32)))

    def forward(self, x):
        s, n = self.student, x.shape[0]
        x = x.reshape(n, -1, s.in_n, s.height * s.width)
        theta = self.theta.reshape(self.theta.shape[0], self.theta.shape[1], -1)
        c = s.coefficients(theta)  # [out, in, out_n, in_n, B]
        y = torch.einsum('oirsb,nisbp->norp', c, s.project(x))
        y = y + self.bias.reshape(1, -1, 1, 1)
        return y.reshape(n, *self.out_shape)


class _Lambda(torch.nn.Module):
    """A layer without parameters of its own (inner: a module it uses)."""

    def __init__(self, kind, fn, out_shape, inner=None):
        super().__init__()
        self.kind, self.fn, self.out_shape = kind, fn, out_shape
        self.inner = inner

    def forward(self, x):
        return self.fn(x).reshape(x.shape[0], *self.out_shape)

    def extra_repr(self):
        return self.kind


class Net(torch.nn.Sequential):
    """A network of libsymclone (net.h): one module per layer, in order."""

    def __init__(self, tensors, meta):
        if meta.get('format') != 'symclone-net':
            raise ValueError('not a libsymclone network export')
        if meta.get('format_version') != '1':
            raise ValueError(f'format_version {meta.get("format_version")} is not 1')
        layers = []
        for i in range(int(meta['layers'])):
            p = f'layers.{i}.'
            m = {k[len(p):]: v for k, v in meta.items() if k.startswith(p)}
            t = {k[len(p):]: v for k, v in tensors.items() if k.startswith(p)}
            layers.append(self._layer(m, t))
        super().__init__(*layers)
        self.input_shape = _shape(meta['input_shape'])

    @staticmethod
    def _layer(m, t):
        kind, out_shape = m['kind'], _shape(m['output_shape'])
        in_shape = _shape(m['input_shape'])
        if kind == 'cloned':
            sm = {k[len('student.'):]: v for k, v in m.items() if k.startswith('student.')}
            st = {k: t[k] for k in ('blocks', 'coeffs', 'transforms') if k in t}
            return Cloned(Student(st, sm, top=False), t['theta'], t['bias'], out_shape)
        if kind in ('conv2d', 'lifting', 'group_conv', 'dihedral_lifting', 'dihedral_group_conv'):
            return Conv(kind, t['weight'], t.get('bias'), int(m['rotations']), m['padding'],
                        in_shape, out_shape)
        if kind == 'dense':
            w = torch.nn.Linear(int(m['in_features']), int(m['out_features']),
                                bias=m['bias'] == '1')
            with torch.no_grad():
                w.weight.copy_(torch.from_numpy(np.array(t['weight'], dtype=np.float32)))
                if w.bias is not None:
                    w.bias.copy_(torch.from_numpy(np.array(t['bias'], dtype=np.float32)))
            return _Lambda('dense', lambda x, w=w: w(x.reshape(x.shape[0], -1)), out_shape, w)
        if kind == 'relu':
            return _Lambda(kind, torch.relu, out_shape)
        if kind == 'maxpool2':
            return _Lambda(kind, lambda x: torch.nn.functional.max_pool2d(
                x.reshape(x.shape[0], -1, *x.shape[-2:]), 2), out_shape)
        if kind == 'orient_pool':
            if m['mode'] == 'max':
                return _Lambda('orient_pool max', lambda x: x.amax(dim=2), out_shape)
            return _Lambda('orient_pool mean', lambda x: x.mean(dim=2), out_shape)
        if kind == 'global_avgpool':
            return _Lambda(kind, lambda x: x.mean(dim=(-2, -1)), out_shape)
        raise ValueError(f'unknown layer kind {kind!r}')

    def forward(self, x):
        """x [N, C, n, H, W] (or any shape of N samples of the input size)
        -> the outputs [N, output_size]."""
        x = x.reshape(x.shape[0], *self.input_shape)
        return super().forward(x).reshape(x.shape[0], -1)

    def fields(self, x):
        """The last layer's output as fields [N, C, n, H, W]."""
        x = x.reshape(x.shape[0], *self.input_shape)
        return super().forward(x)


def load(path):
    """The Student or Net of an exported file (safetensors or .npz)."""
    tensors, meta = read(path)
    if meta.get('format') == 'symclone-net':
        return Net(tensors, meta)
    return Student(tensors, meta)
