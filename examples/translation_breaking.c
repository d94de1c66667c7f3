/* Experiment 3, translation symmetry breaking: digits on a 48x48 canvas,
 * shifted left by 5 to 15 pixels (label kept) or right by 5 to 15 pixels
 * (label + 10), with a random vertical shift of up to 15 pixels
 * (symclone_dataset_make_translation_task).  The canvases are reduced to
 * 24x24 by 2x2 mean pooling so that the dense cloned layers stay small.
 * A translation-invariant network (circular convolutions, then global
 * average pooling: invariant to every shift of the 24x24 torus) cannot tell
 * left from right beyond what the canvas edge and the 2x resampling of odd
 * shifts reveal, and is capped near half its accuracy; the cloned CNN in
 * break mode may learn the asymmetry.
 * Models: cloned CNN (retain, break), the CNN it clones, an MLP.
 * CNN: 3 x (conv 3x3 circular - ReLU) - global average pool - dense - ReLU -
 * dense; the cloned CNN replaces each convolution by a cloned layer of one
 * student (3x3, circular, 24x24).
 * Prints student=... lines and  model= acc= params= trainable= seconds=.
 * --quick: 3,000 training images, 5 epochs; default: 8,000, 6 epochs. */
#include "net_util.h"

static symclone_net *model(const char *kind, symclone_student *st, int hw, int c,
                           symclone_clone_mode mode, double beta, unsigned long seed) {
  symclone_net *net = NULL;
  if (symclone_net_create(&net, 1, 1, hw, hw)) return NULL;
  XP_TRY(symclone_net_set(net, SYMCLONE_NET_SEED, (double)seed));
  if (!strcmp(kind, "mlp")) {
    XP_TRY(symclone_net_add_dense(net, 128, 1));
    XP_TRY(symclone_net_add_relu(net));
    XP_TRY(symclone_net_add_dense(net, 32, 1));
    XP_TRY(symclone_net_add_relu(net));
    XP_TRY(symclone_net_add_dense(net, 20, 1));
    return net;
  }
  for (int layer = 0; layer < 3; layer++) {
    if (st)
      XP_TRY(symclone_net_add_cloned(net, st, c, mode, beta));
    else
      XP_TRY(symclone_net_add_conv2d(net, c, 3, SYMCLONE_PADDING_CIRCULAR, 1));
    XP_TRY(symclone_net_add_relu(net));
  }
  XP_TRY(symclone_net_add_global_avgpool(net));
  XP_TRY(symclone_net_add_dense(net, 32, 1));
  XP_TRY(symclone_net_add_relu(net));
  XP_TRY(symclone_net_add_dense(net, 20, 1));
  return net;
}

int main(int argc, char **argv) {
  xp_opts o;
  if (xp_parse(argc, argv, &o)) return 2;
  long ntrain = o.train_count ? o.train_count : o.quick ? 3000 : 0;
  long epochs = o.epochs ? o.epochs : o.quick ? 5 : 6;
  int hw = 24, c = 8;

  symclone_dataset *train0, *test0, *train, *test;
  if (xp_load(&o, ntrain, &train0, &test0)) return 1;
  if (symclone_dataset_make_translation_task(train0, 48, 5, 15, 15, 1, NULL, &train) ||
      symclone_dataset_make_translation_task(test0, 48, 5, 15, 15, 2, NULL, &test))
    return 1;
  symclone_dataset_free(train0);
  symclone_dataset_free(test0);
  train = xp_downsample(train, 2);
  test = xp_downsample(test, 2);
  printf("experiment=translation_breaking data=%s mode=%s canvas=48 hw=%d classes=20 train=%zu "
         "test=%zu epochs=%ld\n",
         o.fashion ? "fashion" : "mnist", o.quick ? "quick" : "default", hw,
         symclone_dataset_count(train), symclone_dataset_count(test), epochs);

  long steps = o.quick ? 400 : 1000;
  /* one student serves the three layers: all are 3x3 circular on 24x24 */
  symclone_student *st = xp_clone("planar", SYMCLONE_STUDENT_PLANAR, 3, hw,
                                  SYMCLONE_PADDING_CIRCULAR, steps);
  if (!st) return 1;

  const char *names[4] = {"cloned_cnn_retain", "cloned_cnn_break", "cnn", "mlp"};
  for (int m = 0; m < 4; m++) {
    symclone_net *net = model(m == 3 ? "mlp" : "cnn", m < 2 ? st : NULL, hw, c,
                              m == 1 ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN, o.beta,
                              o.seed + 1);
    if (!net) return 1;
    double sec = xp_train(net, names[m], train, epochs, 3e-3, o.seed + 2);
    if (sec < 0) return 1;
    printf("model=%s acc=%.4f params=%zu trainable=%zu seconds=%.1f\n", names[m],
           xp_accuracy(net, test), symclone_net_param_count(net),
           symclone_net_trainable_count(net), sec);
    fflush(stdout);
    symclone_net_free(net);
  }
  symclone_student_free(st);
  symclone_dataset_free(train);
  symclone_dataset_free(test);
  return 0;
}
