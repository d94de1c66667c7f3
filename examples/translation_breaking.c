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
#include <stdio.h>

#include "common.h"

int main(int argc, char **argv) {
  ex_xp_opts o;
  int rc = ex_xp_parse(argc, argv,
                       "Experiment 3, translation symmetry breaking: digits moved left keep their\n"
                       "label, moved right get label + 10 (docs/results.md).",
                       &o);
  if (rc >= 0) return rc;
  int hw = 24, c = 8;

  symclone_dataset *train0 = NULL, *test0 = NULL, *train = NULL, *test = NULL;
  symclone_student *st = NULL;
  rc = 1;
  if (ex_xp_load(&o, &train0, &test0)) goto done;
  if (ex_trans_task(train0, test0, &train, &test)) goto done;
  printf(
      "experiment=translation_breaking data=%s mode=%s canvas=48 hw=%d classes=20 train=%zu "
      "test=%zu epochs=%lld\n",
      o.fashion ? "fashion" : "mnist", o.quick ? "quick" : "default", hw,
      symclone_dataset_count(train), symclone_dataset_count(test), o.epochs);

  /* one student serves the three layers: all are 3x3 circular on 24x24 */
  st = ex_xp_clone("planar", SYMCLONE_STUDENT_PLANAR, 3, hw, SYMCLONE_PADDING_CIRCULAR,
                   o.quick ? 400 : 1000);
  if (!st) goto done;

  const char *names[4] = {"cloned_cnn_retain", "cloned_cnn_break", "cnn", "mlp"};
  for (int m = 0; m < 4; m++) {
    symclone_net *net =
        ex_trans_model(m == 3 ? "mlp" : "cnn", m < 2 ? st : NULL, hw, c,
                       m == 1 ? SYMCLONE_CLONE_BREAK : SYMCLONE_CLONE_RETAIN, o.beta, o.seed + 1);
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
  symclone_student_free(st);
  symclone_dataset_free(train0);
  symclone_dataset_free(test0);
  symclone_dataset_free(train);
  symclone_dataset_free(test);
  return rc;
}
