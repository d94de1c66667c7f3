/* Experiment 2, rotation symmetry breaking: 20 classes; a digit rotated by
 * 0 or 90 degrees keeps its label, by 180 or 270 degrees it gets label + 10
 * (symclone_dataset_make_rotation_task).  A C4-invariant network sees the
 * four rotations of a digit alike and is capped near 50 %; the cloned
 * G-CNN in break mode may learn the asymmetry.  Models as in
 * rotation_generalisation.  Prints student=... lines and
 *   model= acc= params= trainable= seconds=
 * per model.  --quick: 14x14 digits, 3,000 training images, 5 epochs;
 * default: 28x28, 8,000 images, 6 epochs. */
#include <stdio.h>

#include "common.h"

int main(int argc, char **argv) {
  ex_xp_opts o;
  int rc = ex_xp_parse(argc, argv,
                       "Experiment 2, rotation symmetry breaking: 20 classes, a half-turned digit\n"
                       "gets label + 10 (docs/results.md).",
                       &o);
  if (rc >= 0) return rc;
  ex_rot_geom g = ex_rot_geom_for(&o, 20);

  symclone_dataset *train0 = NULL, *test0 = NULL, *train = NULL, *test = NULL;
  ex_rot_students st = {NULL, NULL, NULL};
  rc = 1;
  if (ex_xp_load(&o, &train0, &test0)) goto done;
  if (symclone_dataset_make_rotation_task(train0, 1, NULL, &train) ||
      symclone_dataset_make_rotation_task(test0, 2, NULL, &test)) {
    fprintf(stderr, "%s: %s%s\n", ex_prog(), symclone_dataset_last_error(train0),
            symclone_dataset_last_error(test0));
    goto done;
  }
  if (o.quick && (ex_xp_downsample(&train) || ex_xp_downsample(&test))) goto done;
  printf(
      "experiment=rotation_breaking data=%s mode=%s hw=%d classes=20 train=%zu test=%zu "
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
    double acc = sec < 0 ? -1 : ex_xp_accuracy(net, test);
    if (acc >= 0)
      printf("model=%s acc=%.4f params=%zu trainable=%zu seconds=%.1f\n", names[m], acc,
             symclone_net_param_count(net), symclone_net_trainable_count(net), sec);
    fflush(stdout);
    symclone_net_free(net);
    if (acc < 0) goto done;
  }
  rc = 0;
done:
  ex_rot_free(&st);
  symclone_dataset_free(train0);
  symclone_dataset_free(test0);
  symclone_dataset_free(train);
  symclone_dataset_free(test);
  return rc;
}
