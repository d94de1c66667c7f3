/** @file
 * libsymclone: interchange of students with PyTorch and NumPy.
 *
 * A student is exported to, and imported from, two formats that PyTorch and
 * NumPy read directly (docs/file-format.md, "Interchange"):
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
 * Thread safety: as for symclone_student_save and symclone_student_load.
 */
#ifndef SYMCLONE_INTERCHANGE_H
#define SYMCLONE_INTERCHANGE_H

#include <symclone/common.h>
#include <symclone/loader.h>
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

#ifdef __cplusplus
}
#endif

#endif
