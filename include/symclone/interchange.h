/** @file
 * libsymclone: interchange of students, networks and teacher layers with
 * PyTorch and NumPy.
 *
 * A student or a network is exported to, and imported from, two formats
 * that PyTorch and NumPy read directly (docs/file-format.md,
 * "Interchange"):
 *  - safetensors (`safetensors.torch.load_file`, or the module
 *    python/symclone_torch.py): a little-endian u64 header length, a JSON
 *    header naming each tensor's dtype, shape and byte range, with string
 *    metadata under "__metadata__", then the packed little-endian data;
 *  - NumPy .npz (`numpy.load`): a zip archive of stored (uncompressed)
 *    .npy files, NPY format 1.0, '<f4', C order, plus "__metadata__.npy",
 *    the same metadata as a JSON object in a '|u1' byte array.
 *
 * Tensors (float32, PyTorch layouts; B blocks, Pc = k*k, P = theta size,
 * G = orientations of a group field (n for Cn, 2n for Dn), out_hw = Ho*Wo,
 * in_hw = H*W, see <symclone/student.h>):
 *   "blocks"      [B, out_hw, in_hw]  each block W_b as nn.Linear.weight
 *   "coeffs"      [B, Pc]             the coefficient map A
 *   "transforms"  [t, Pc, P]          T_t (t = r lifting, r*G + s group);
 *                                     absent for planar students
 * Metadata (strings): format "symclone-student", format_version "1",
 * kind (planar, lifting, group, dihedral_lifting, dihedral_group), group
 * (T2 for planar, Cn or Dn otherwise), orientations (the n of
 * symclone_student_create), kernel, height, width, padding (valid, zero,
 * circular), blocks and library_version.
 *
 * A network's file holds every layer's parameters as tensors
 * "layers.<i>.<part>" in PyTorch's layouts and its geometry as metadata
 * "layers.<i>.<key>" (docs/file-format.md, "Networks"), so that the file
 * alone rebuilds it; python/symclone_torch.py reads it into torch.nn
 * modules.  A teacher layer is made from a kernel bank trained elsewhere
 * (docs/file-format.md, "Teacher layers"): an .npy file, or a tensor of a
 * safetensors file or .npz archive chosen by name.
 *
 * Thread safety: as for symclone_student_save and symclone_student_load;
 * exporting reads a network, which no other thread may change meanwhile.
 */
#ifndef SYMCLONE_INTERCHANGE_H
#define SYMCLONE_INTERCHANGE_H

#include <symclone/common.h>
#include <symclone/layer.h>
#include <symclone/loader.h>
#include <symclone/net.h>
#include <symclone/student.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The interchange formats. */
typedef enum symclone_format {
  SYMCLONE_FORMAT_SAFETENSORS = 1, /**< .safetensors */
  SYMCLONE_FORMAT_NPZ = 2          /**< NumPy .npz */
} symclone_format;

/** Export a student's parameters and geometry to path in the given format.
 * The file is written as symclone_student_save writes (docs/file-format.md,
 * "Writing": replaced in one step, never left partial; a path naming a
 * directory, a device or a FIFO is refused with SYMCLONE_ERR_PATH).
 * A student with a NaN or infinite parameter, which import would refuse,
 * is not exported (SYMCLONE_ERR_DATA, the message names the parameter) and
 * path is left as it was.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_ARG (unknown format),
 * SYMCLONE_ERR_OVERFLOW, SYMCLONE_ERR_NOMEM, SYMCLONE_ERR_PATH,
 * SYMCLONE_ERR_IO; the message is kept by the student. */
SYMCLONE_API symclone_status symclone_student_export(const symclone_student *student,
                                                     const char *path, symclone_format format);

/** Import a student exported by symclone_student_export (or written by any
 * tool in the same layout).  The format is told by the file's content, not
 * its name.  loader (may be NULL: the defaults, status only) gives the
 * memory budget and keeps the message of a failure.  Everything is checked
 * before the student is allocated.  Refused: a path that is not a regular
 * file (SYMCLONE_ERR_PATH); a file larger than half the budget
 * (SYMCLONE_ERR_BUDGET); a file of neither format (SYMCLONE_ERR_FORMAT); a
 * file cut short (SYMCLONE_ERR_TRUNCATED); a bad header, byte range,
 * shape, size or checksum, a duplicate, unknown or missing tensor or
 * metadata entry, an impossible geometry, a NaN or infinite parameter
 * (SYMCLONE_ERR_CORRUPT); a dtype other than float32, a big-endian or
 * Fortran-order array, a compressed or encrypted zip entry, a zip64
 * archive, a format_version other than 1 (SYMCLONE_ERR_UNSUPPORTED);
 * SYMCLONE_ERR_NOMEM, SYMCLONE_ERR_IO.  *out is written only on success. */
SYMCLONE_API symclone_status symclone_student_import(symclone_student **out, const char *path,
                                                     symclone_loader *loader);

/** Export a network: its input shape, every layer's kind, geometry and
 * parameters (docs/file-format.md, "Networks"), written as
 * symclone_student_export writes.  A network without layers is refused
 * (SYMCLONE_ERR_STATE); so is one with a NaN or infinite parameter
 * (SYMCLONE_ERR_DATA, the message names the layer), path then left as it
 * was.  The training state (moments, epochs, settings) is not exported.
 * Returns SYMCLONE_ERR_NULL, SYMCLONE_ERR_ARG (unknown format),
 * SYMCLONE_ERR_OVERFLOW, SYMCLONE_ERR_NOMEM, SYMCLONE_ERR_PATH,
 * SYMCLONE_ERR_IO; the message is kept by the network. */
SYMCLONE_API symclone_status symclone_net_export(const symclone_net *net, const char *path,
                                                 symclone_format format);

/** Import a network exported by symclone_net_export (or written by any
 * tool in the same layout), telling the format by the content.  The new
 * network computes what the exported one did, bit for bit; it has the
 * default settings, and a cloned layer in SYMCLONE_CLONE_BREAK mode pulls
 * towards the student parameters of the file.  loader (may be NULL) gives
 * the memory budget and keeps the message of a failure.  Everything is
 * checked before the network is built: refused as symclone_student_import
 * refuses a student file, and besides: metadata format other than
 * 'symclone-net' (SYMCLONE_ERR_FORMAT); a layer kind, geometry or mode
 * that is not one of the library's, layers whose declared shapes do not
 * chain or that the library makes differently, a tensor missing, unused
 * or of a shape the layer does not have (SYMCLONE_ERR_CORRUPT); a network
 * needing more memory than the budget (SYMCLONE_ERR_BUDGET).  *out is
 * written only on success. */
SYMCLONE_API symclone_status symclone_net_import(symclone_net **out, const char *path,
                                                 symclone_loader *loader);

/** Make a teacher layer from a kernel bank trained elsewhere: the layer's
 * channels and kernel come from the bank's shape, the rest from the
 * arguments; its parameters are read by symclone_layer_import_params.
 *  - path: a NumPy .npy file (NPY 1.0, 2.0 or 3.0, '<f4' or '<f8', C
 *    order), or a safetensors file or .npz archive (told by the content);
 *  - weight: the bank's tensor name in a safetensors or npz file (NULL:
 *    the file's only tensor); NULL for an .npy file;
 *  - bias: NULL for no bias; else the bias tensor's name in the same
 *    safetensors or npz file, or for an .npy weight file the path of the
 *    bias's .npy file; its shape is [out];
 *  - kind: SYMCLONE_LAYER_CONV2D, _LIFTING, _DIHEDRAL_LIFTING (bank
 *    [out, in, k, k], torch.nn.Conv2d's weight), _GROUP_CONV,
 *    _DIHEDRAL_GROUP_CONV (bank [out, in, G, k, k], layer.h's layout, or
 *    the same as [out, in*G, k, k]; G = rotations for Cn, 2 * rotations
 *    for Dn), or _DENSE (bank [out, in], nn.Linear's weight; rotations,
 *    height, width and padding ignored);
 *  - rotations: Cn's or Dn's n (ignored for conv2d); height, width,
 *    padding: the layer's input and padding (layer.h).
 * float64 values are rounded to float32.  Refused: as
 * symclone_student_import refuses a file (the path, the budget, a bad
 * header, offsets or size), and besides SYMCLONE_ERR_ARG (a kind that is
 * not listed; a weight name for an .npy file; a missing tensor name; a
 * file of several tensors and weight NULL), SYMCLONE_ERR_UNSUPPORTED
 * (another dtype, Fortran order), SYMCLONE_ERR_SHAPE (a bank or bias
 * whose shape does not fit the kind), SYMCLONE_ERR_CORRUPT (a NaN,
 * infinite or out-of-range value), and the creation errors of layer.h.
 * The message is kept by the loader (status only if NULL).  *out is
 * written only on success; free it with symclone_layer_free. */
SYMCLONE_API symclone_status symclone_layer_import(symclone_layer **out, const char *path,
                                                   const char *weight, const char *bias,
                                                   symclone_layer_kind kind, int rotations,
                                                   int height, int width,
                                                   symclone_padding padding,
                                                   symclone_loader *loader);

/** Read the parameters of a layer made by symclone_layer_import from the
 * same files and names into params (count = symclone_layer_param_count
 * floats, the layout of layer.h: the bank, then the bias), checked as
 * there; SYMCLONE_ERR_SIZE for another count, SYMCLONE_ERR_SHAPE for a
 * bank that does not fit the layer.  params is written only on success. */
SYMCLONE_API symclone_status symclone_layer_import_params(const symclone_layer *layer,
                                                          float *params, size_t count,
                                                          const char *path, const char *weight,
                                                          const char *bias,
                                                          symclone_loader *loader);

#ifdef __cplusplus
}
#endif

#endif
