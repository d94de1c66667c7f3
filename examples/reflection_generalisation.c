/* Experiment 4, reflection generalisation: train on upright digits, test on
 * upright digits, on the same digits mirrored (M: columns reversed, the
 * mirror about the vertical axis of docs/conventions.md, numpy's fliplr)
 * and on the same digits each transformed by a random element of D4 (a
 * quarter turn, mirrored or not).  Labels are kept.  Models: the p4m G-CNN
 * (D4 lifting and D4 group convolutions, max over the 8 orientations), the
 * same network built from cloned layers of D4 students (retain and break),
 * a CNN of similar size and an MLP.  Prints student=... lines for the
 * clones and
 *   model= acc_upright= acc_mirrored= acc_d4= mirror_change= params=
 *   trainable= seconds=
 * per model, mirror_change being ||f(x) - f(Mx)|| / ||f(x)|| over the
 * logits of the test digits (0 up to rounding for an invariant network);
 * progress goes to stderr.
 *
 * --quick: 14x14 digits (2x2 mean pooling, which commutes with D4),
 * 3,000 training images, 5 epochs.  Default: 28x28 digits, all 8,000
 * training images, 6 epochs (mini-batches of 32, AdamW, lr 3e-3 decayed by
 * 0.95 per epoch).  --beta sets the break penalty (default 0). */
#include <stdio.h>

#include "common.h"

int main(int argc, char **argv) {
  ex_xp_opts o;
  int rc = ex_xp_parse_ext(argc, argv,
                           "Experiment 4, reflection generalisation: train on upright digits,\n"
                           "test on upright, mirrored and D4-transformed ones (docs/results.md).",
                           EX_XP_CLONE_STEPS | EX_XP_MODELS, &o);
  if (rc >= 0) return rc;
  ex_rot_geom g = ex_refl_geom_for(&o, 10);

  symclone_dataset *train = NULL, *test = NULL, *mirrored = NULL, *d4 = NULL;
  ex_rot_students st = {NULL, NULL, NULL};
  rc = 1;
  if (ex_xp_load(&o, &train, &test)) goto done;
  if (o.quick && (ex_xp_downsample(&train) || ex_xp_downsample(&test))) goto done;
  if (ex_xp_mirror(test, &mirrored) || ex_xp_d4_random(test, 1, &d4)) goto done;
  printf(
      "experiment=reflection_generalisation data=%s mode=%s hw=%d train=%zu test=%zu "
      "epochs=%lld mirror=vertical_axis\n",
      o.fashion ? "fashion" : "mnist", o.quick ? "quick" : "default", g.hw,
      symclone_dataset_count(train), symclone_dataset_count(test), o.epochs);

  if (ex_refl_clone(&g, &o, &st)) goto done;

  const char *const *names = ex_refl_names;
  for (int m = 0; m < EX_REFL_MODELS; m++) {
    if (!ex_xp_wants(&o, m)) continue;
    symclone_net *net = ex_refl_model(&g, &o, &st, m);
    if (!net) goto done;
    double sec = ex_xp_train(net, names[m], train, o.epochs, 3e-3, o.seed + 2);
    double up = sec < 0 ? -1 : ex_xp_accuracy(net, test);
    double mir = up < 0 ? -1 : ex_xp_accuracy(net, mirrored);
    double any = mir < 0 ? -1 : ex_xp_accuracy(net, d4);
    double change = any < 0 ? -1 : ex_xp_logit_change(net, test, mirrored);
    if (change >= 0)
      printf(
          "model=%s acc_upright=%.4f acc_mirrored=%.4f acc_d4=%.4f mirror_change=%.2e "
          "params=%zu trainable=%zu seconds=%.1f\n",
          names[m], up, mir, any, change, symclone_net_param_count(net),
          symclone_net_trainable_count(net), sec);
    fflush(stdout);
    symclone_net_free(net);
    if (change < 0) goto done;
  }
  rc = 0;
done:
  ex_rot_free(&st);
  symclone_dataset_free(train);
  symclone_dataset_free(test);
  symclone_dataset_free(mirrored);
  symclone_dataset_free(d4);
  return rc;
}
