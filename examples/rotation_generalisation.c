/* Experiment 1, rotation generalisation: train on upright digits, test on
 * upright and on C4-rotated test digits (each rotated by a random multiple
 * of 90 degrees, labels unchanged).  Models: a G-CNN, the same network
 * built from cloned layers (retain and break), a CNN of similar size and an
 * MLP.  Prints student=... lines for the clones and
 *   model= acc_upright= acc_rotated= params= trainable= seconds=
 * per model; progress goes to stderr.
 *
 * --quick: 14x14 digits (2x2 mean pooling, which commutes with quarter
 * turns), 3,000 training images, 5 epochs.  Default: 28x28 digits, all
 * 8,000 training images, 6 epochs (mini-batches of 32, AdamW, lr 3e-3
 * decayed by 0.95 per epoch).  --beta sets the break penalty (default 0). */
#include <stdio.h>

#include "common.h"

int main(int argc, char **argv) {
  ex_xp_opts o;
  int rc = ex_xp_parse(argc, argv,
                       "Experiment 1, rotation generalisation: train on upright digits, test on\n"
                       "upright and on C4-rotated ones (docs/results.md).",
                       &o);
  if (rc >= 0) return rc;
  ex_rot_geom g = ex_rot_geom_for(&o, 10);

  symclone_dataset *train = NULL, *test = NULL, *rotated = NULL;
  ex_rot_students st = {NULL, NULL, NULL};
  rc = 1;
  if (ex_xp_load(&o, &train, &test)) goto done;
  if (symclone_dataset_rotate90(test, SYMCLONE_DATASET_RANDOM, 1, NULL, &rotated)) {
    fprintf(stderr, "%s: %s\n", ex_prog(), symclone_dataset_last_error(test));
    goto done;
  }
  if (o.quick &&
      (ex_xp_downsample(&train) || ex_xp_downsample(&test) || ex_xp_downsample(&rotated)))
    goto done;
  printf(
      "experiment=rotation_generalisation data=%s mode=%s hw=%d train=%zu test=%zu "
      "epochs=%lld\n",
      o.fashion ? "fashion" : "mnist", o.quick ? "quick" : "default", g.hw,
      symclone_dataset_count(train), symclone_dataset_count(test), o.epochs);

  if (ex_rot_clone(&g, 3000, 2000, &st)) goto done;

  const char *names[5] = {"gcnn", "cloned_gcnn_retain", "cloned_gcnn_break", "cnn", "mlp"};
  for (int m = 0; m < 5; m++) {
    const char *kind = m == 3 ? "cnn" : m == 4 ? "mlp" : "gcnn";
    symclone_net *net =
        ex_rot_model(&g, kind, (m == 1 || m == 2) ? &st : NULL,
                     m == 2 ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN, o.beta, o.seed + 1);
    if (!net) goto done;
    double sec = ex_xp_train(net, names[m], train, o.epochs, 3e-3, o.seed + 2);
    double up = sec < 0 ? -1 : ex_xp_accuracy(net, test);
    double rot = up < 0 ? -1 : ex_xp_accuracy(net, rotated);
    if (rot >= 0)
      printf("model=%s acc_upright=%.4f acc_rotated=%.4f params=%zu trainable=%zu seconds=%.1f\n",
             names[m], up, rot, symclone_net_param_count(net), symclone_net_trainable_count(net),
             sec);
    fflush(stdout);
    symclone_net_free(net);
    if (rot < 0) goto done;
  }
  rc = 0;
done:
  ex_rot_free(&st);
  symclone_dataset_free(train);
  symclone_dataset_free(test);
  symclone_dataset_free(rotated);
  return rc;
}
