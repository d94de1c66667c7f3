/* Experiment 2, rotation symmetry breaking: 20 classes; a digit rotated by
 * 0 or 90 degrees keeps its label, by 180 or 270 degrees it gets label + 10
 * (symclone_dataset_make_rotation_task).  A C4-invariant network sees the
 * four rotations of a digit alike and is capped near 50 %; the cloned
 * G-CNN in break mode may learn the asymmetry.  Models as in
 * rotation_generalisation.  Prints student=... lines and
 *   model= acc= params= trainable= seconds=
 * per model.  --quick: 14x14 digits, 3,000 training images, 5 epochs;
 * default: 28x28, 8,000 images, 6 epochs. */
#include "net_util.h"

int main(int argc, char **argv) {
  xp_opts o;
  if (xp_parse(argc, argv, &o)) return 2;
  long ntrain = o.train_count ? o.train_count : o.quick ? 3000 : 0;
  long epochs = o.epochs ? o.epochs : o.quick ? 5 : 6;
  int factor = o.quick ? 2 : 1;
  xp_rot_geom g = {28 / factor, 3, o.quick ? SYMCLONE_PADDING_VALID : SYMCLONE_PADDING_ZERO, !o.quick,
                   o.quick ? 6 : 8, 32, 20};

  symclone_dataset *train0, *test0, *train, *test;
  if (xp_load(&o, ntrain, &train0, &test0)) return 1;
  if (symclone_dataset_make_rotation_task(train0, 1, NULL, &train) ||
      symclone_dataset_make_rotation_task(test0, 2, NULL, &test))
    return 1;
  symclone_dataset_free(train0);
  symclone_dataset_free(test0);
  train = xp_downsample(train, factor);
  test = xp_downsample(test, factor);
  printf("experiment=rotation_breaking data=%s mode=%s hw=%d classes=20 train=%zu test=%zu "
         "epochs=%ld\n",
         o.fashion ? "fashion" : "mnist", o.quick ? "quick" : "default", g.hw,
         symclone_dataset_count(train), symclone_dataset_count(test), epochs);

  xp_rot_students st;
  if (xp_rot_clone(&g, 3000, 2000, &st)) return 1;

  const char *names[5] = {"gcnn", "cloned_gcnn_retain", "cloned_gcnn_break", "cnn", "mlp"};
  for (int m = 0; m < 5; m++) {
    const char *kind = m == 3 ? "cnn" : m == 4 ? "mlp" : "gcnn";
    symclone_net *net = xp_rot_model(&g, kind, (m == 1 || m == 2) ? &st : NULL,
                                     m == 2 ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN, o.beta,
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
  symclone_student_free(st.lift);
  symclone_student_free(st.group_a);
  symclone_student_free(st.group_b);
  symclone_dataset_free(train);
  symclone_dataset_free(test);
  return 0;
}
