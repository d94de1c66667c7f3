/* Loading, naming and describing students; see tool.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

file_kind tool_export_kind(const char *path) {
  /* as import tells them: "PK" opens a zip */
  file_kind k = FILE_SAFETENSORS;
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  unsigned char head[2] = {0, 0};
  struct stat sb;
  if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && read(fd, head, 2) == 2 &&
      head[0] == 'P' && head[1] == 'K')
    k = FILE_NPZ;
  if (fd >= 0) close(fd);
  return k;
}

int tool_load_any(const char *path, symclone_student **out, symclone_net **net,
                  file_kind *kind) {
  symclone_loader *loader = NULL;
  symclone_status st = symclone_loader_create(&loader);
  if (st) return tool_fail("%s: %s", path, symclone_strerror(st));
  st = symclone_student_load(out, path, loader);
  *kind = FILE_STUDENT;
  if (st == SYMCLONE_ERR_FORMAT) {
    /* not a student file: an export, or neither */
    st = symclone_student_import(out, path, loader);
    if (st == SYMCLONE_OK) {
      *kind = tool_export_kind(path);
    } else if (net && st != SYMCLONE_ERR_PATH && st != SYMCLONE_ERR_IO &&
               st != SYMCLONE_ERR_BUDGET && st != SYMCLONE_ERR_TRUNCATED) {
      /* an export of another content: a network */
      char student_msg[512];
      symclone_status student_st = st;
      snprintf(student_msg, sizeof student_msg, "%s", symclone_loader_last_error(loader));
      st = symclone_net_import(net, path, loader);
      if (st == SYMCLONE_OK) {
        *kind = tool_export_kind(path);
      } else if (st == SYMCLONE_ERR_FORMAT || student_st != SYMCLONE_ERR_FORMAT) {
        int r = student_st == SYMCLONE_ERR_FORMAT
                    ? tool_fail("%s, nor a student file or a network (%s)", student_msg,
                                symclone_strerror(student_st))
                    : tool_fail("%s (%s)", student_msg, symclone_strerror(student_st));
        symclone_loader_free(loader);
        return r;
      }
    } else if (st == SYMCLONE_ERR_FORMAT) {
      int r = tool_fail("%s, nor a student file (%s)", symclone_loader_last_error(loader),
                        symclone_strerror(st));
      symclone_loader_free(loader);
      return r;
    }
  }
  if (st) {
    const char *m = symclone_loader_last_error(loader);
    int r = *m ? tool_fail("%s (%s)", m, symclone_strerror(st))
               : tool_fail("%s: %s", path, symclone_strerror(st));
    symclone_loader_free(loader);
    return r;
  }
  symclone_loader_free(loader);
  return 0;
}

int tool_load(const char *path, symclone_student **out, file_kind *kind) {
  return tool_load_any(path, out, NULL, kind);
}

void tool_out_restriction(const symclone_student *s) {
  symclone_group_kind gk = 0;
  int n = 0, count = 0;
  char text[4096] = "none";
  if (symclone_student_restriction(s, &gk, &n, NULL, 0, &count) == SYMCLONE_OK && count > 0) {
    int *idx = malloc((size_t)count * sizeof *idx);
    if (idx && symclone_student_restriction(s, &gk, &n, idx, count, &count) == SYMCLONE_OK) {
      int at = snprintf(text, sizeof text, "%c%d:", gk == SYMCLONE_GROUP_DIHEDRAL ? 'D' : 'C', n);
      for (int i = 0; i < count && at < (int)sizeof text - 16; i++)
        at += snprintf(text + at, sizeof text - (size_t)at, "%s%d", i ? "," : "", idx[i]);
    }
    free(idx);
  }
  out_str("restriction", text);
}
const char *file_kind_name(file_kind k) {
  return k == FILE_SAFETENSORS ? "safetensors" : k == FILE_NPZ ? "npz" : "student";
}

const char *tool_kind_name(symclone_student_kind k) {
  switch (k) {
    case SYMCLONE_STUDENT_PLANAR:
      return "planar";
    case SYMCLONE_STUDENT_LIFTING:
      return "lifting";
    case SYMCLONE_STUDENT_GROUP:
      return "group";
    case SYMCLONE_STUDENT_DIHEDRAL_LIFTING:
      return "dihedral_lifting";
    case SYMCLONE_STUDENT_DIHEDRAL_GROUP:
      return "dihedral_group";
  }
  return "unknown";
}

static int is_dihedral(symclone_student_kind k) {
  return k == SYMCLONE_STUDENT_DIHEDRAL_LIFTING || k == SYMCLONE_STUDENT_DIHEDRAL_GROUP;
}

void tool_group_name(const symclone_student *s, char *buf, size_t len) {
  symclone_student_kind k = symclone_student_kind_of(s);
  if (k == SYMCLONE_STUDENT_PLANAR)
    snprintf(buf, len, "T2");
  else
    snprintf(buf, len, "%c%d", is_dihedral(k) ? 'D' : 'C', symclone_student_orientations(s));
}

const char *tool_padding_name(symclone_padding p) {
  return p == SYMCLONE_PADDING_VALID      ? "valid"
         : p == SYMCLONE_PADDING_ZERO     ? "zero"
         : p == SYMCLONE_PADDING_CIRCULAR ? "circular"
                                          : "none";
}

int tool_student_group(const symclone_student *s, symclone_group **out) {
  symclone_student_kind k = symclone_student_kind_of(s);
  int in[4];
  symclone_status st = symclone_student_input_shape(s, in);
  if (!st) {
    if (k == SYMCLONE_STUDENT_PLANAR)
      st = symclone_group_create_t2(out, in[2], in[3]);
    else if (is_dihedral(k))
      st = symclone_group_create_dihedral(out, symclone_student_orientations(s));
    else
      st = symclone_group_create_cyclic(out, symclone_student_orientations(s));
  }
  if (st) return tool_fail("cannot make the student's group: %s", symclone_strerror(st));
  return 0;
}

/* splitmix64, then Box-Muller */
static uint64_t next_u64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void tool_normal(uint64_t seed, float *x, size_t n) {
  uint64_t state = seed;
  const double two_pi = 6.283185307179586;
  for (size_t i = 0; i < n; i += 2) {
    double u1 = ((double)(next_u64(&state) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(next_u64(&state) >> 11) / 9007199254740992.0;
    double r = sqrt(-2.0 * log(u1));
    x[i] = (float)(r * cos(two_pi * u2));
    if (i + 1 < n) x[i + 1] = (float)(r * sin(two_pi * u2));
  }
}

void tool_out_geometry(const symclone_student *s) {
  char group[32];
  int in[4] = {0, 0, 0, 0}, out[4] = {0, 0, 0, 0};
  symclone_student_input_shape(s, in);
  symclone_student_output_shape(s, out);
  tool_group_name(s, group, sizeof group);
  out_str("kind", tool_kind_name(symclone_student_kind_of(s)));
  out_str("group", group);
  out_int("orientations", symclone_student_orientations(s));
  out_int("kernel", symclone_student_kernel(s));
  out_int("height", in[2]);
  out_int("width", in[3]);
  out_int("orientations_in", in[1]);
  out_int("orientations_out", out[1]);
  out_int("out_height", out[2]);
  out_int("out_width", out[3]);
  out_str("padding", tool_padding_name(symclone_student_padding(s)));
  out_int("blocks", symclone_student_blocks(s));
  out_int("param_count", (long long)symclone_student_param_count(s, SYMCLONE_STUDENT_PART_ALL));
  out_int("theta_size", (long long)symclone_student_theta_size(s));
}

/* ---- the library version an export records ----------------------------------- */

static int open_regular(const char *path, off_t *size) {
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  struct stat sb;
  if (fd < 0) return -1;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return -1;
  }
  *size = sb.st_size;
  return fd;
}

static int read_at(int fd, off_t at, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = pread(fd, (char *)buf + done, len - done, at + (off_t)done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

/* The string value of "library_version" in a JSON text, if it is a plain
 * version string. */
static void find_version(const char *text, size_t n, char *buf, size_t len) {
  static const char key[] = "\"library_version\"";
  size_t kl = sizeof key - 1;
  for (size_t i = 0; i + kl <= n; i++) {
    if (memcmp(text + i, key, kl)) continue;
    size_t j = i + kl;
    while (j < n && (text[j] == ' ' || text[j] == ':')) j++;
    if (j >= n || text[j] != '"') return;
    size_t b = ++j, w = 0;
    while (j < n && text[j] != '"') {
      char c = text[j++];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            c == '.' || c == '-' || c == '+'))
        return;
    }
    w = j - b;
    if (j >= n || w == 0 || w >= len) return;
    memcpy(buf, text + b, w);
    buf[w] = '\0';
    return;
  }
}

static uint64_t le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

void tool_file_version(const char *path, file_kind kind, char *buf, size_t len) {
  buf[0] = '\0';
  if (kind == FILE_STUDENT) return;
  off_t size = 0;
  int fd = open_regular(path, &size);
  if (fd < 0) return;
  char *text = NULL;
  size_t n = 0;
  if (kind == FILE_SAFETENSORS) {
    unsigned char h[8];
    if (size >= 8 && read_at(fd, 0, h, 8) == 0) {
      uint64_t hl = le(h, 8);
      if (hl <= (1u << 20) && (off_t)hl <= size - 8 && (text = malloc(hl ? hl : 1)) &&
          read_at(fd, 8, text, hl) == 0)
        n = hl;
    }
  } else {
    /* walk the local headers of the stored entries to __metadata__.npy */
    static const char name[] = "__metadata__.npy";
    off_t at = 0;
    for (int entries = 0; entries < 16 && at + 30 <= size; entries++) {
      unsigned char h[30];
      char fname[32];
      if (read_at(fd, at, h, 30) || le(h, 4) != 0x04034b50u) break;
      uint64_t csize = le(h + 18, 4), nl = le(h + 26, 2), el = le(h + 28, 2);
      off_t data = at + 30 + (off_t)nl + (off_t)el;
      if (data > size || (off_t)csize > size - data) break;
      if (nl == sizeof name - 1 && read_at(fd, at + 30, fname, nl) == 0 &&
          !memcmp(fname, name, nl)) {
        size_t want = csize < 65536 ? (size_t)csize : 65536;
        if ((text = malloc(want ? want : 1)) && read_at(fd, data, text, want) == 0) n = want;
        break;
      }
      at = data + (off_t)csize;
    }
  }
  close(fd);
  if (text && n) find_version(text, n, buf, len);
  free(text);
}
