// The C++ counterpart of app.c: the installed umbrella header used from
// C++11, linked with `pkg-config --cflags --libs symclone`.
#include <cstdio>
#include <string>
#include <vector>

#include <symclone/symclone.h>

int main() {
  const std::string compiled = SYMCLONE_VERSION_STRING;
  const std::string loaded = symclone_version_string();
  std::printf("compile-time version %s\n", compiled.c_str());
  std::printf("run-time version %s\n", loaded.c_str());
  if (compiled != loaded || symclone_version_number() != unsigned(SYMCLONE_VERSION_NUMBER)) {
    std::fprintf(stderr, "app++: version mismatch\n");
    return 1;
  }

  symclone_layer *conv = nullptr;
  symclone_status st = symclone_layer_create_conv2d(&conv, 1, 1, 3, 5, 5, SYMCLONE_PADDING_VALID, 0);
  if (st != SYMCLONE_OK) {
    std::fprintf(stderr, "app++: symclone_layer_create_conv2d: %s\n", symclone_strerror(st));
    return 1;
  }
  std::vector<float> w(9, 1.0f), x(25, 1.0f), y(symclone_layer_output_size(conv), 0.0f);
  st = symclone_layer_forward(conv, w.data(), 1, x.data(), y.data(), nullptr);
  if (st != SYMCLONE_OK) {
    std::fprintf(stderr, "app++: symclone_layer_forward: %s: %s\n", symclone_strerror(st),
                 symclone_layer_last_error(conv));
    symclone_layer_free(conv);
    return 1;
  }
  symclone_layer_free(conv);
  for (float v : y)
    if (v != 9.0f) {
      std::fprintf(stderr, "app++: convolution output %g, expected 9\n", double(v));
      return 1;
    }
  std::printf("ok\n");
  return 0;
}
