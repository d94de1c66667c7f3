/* The trainer's progress: a bar on a terminal, name=value lines otherwise,
 * and the training curve; see tool.h. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "tool.h"

#define BAR_WIDTH 30
#define CURVE_POINTS 200

double tool_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

volatile sig_atomic_t progress_stop = 0;

static void on_signal(int sig) { progress_stop = sig; }

/* A signal the shell ignores (a background job's SIGINT) stays ignored. */
static void catch_signal(int sig) {
  struct sigaction sa, old;
  if (sigaction(sig, NULL, &old) != 0 || old.sa_handler == SIG_IGN) return;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

void progress_catch_signals(void) {
  catch_signal(SIGINT);
  catch_signal(SIGTERM);
  catch_signal(SIGHUP);
  catch_signal(SIGPIPE);
}

long long progress_every(const tool_progress *p) {
  /* often enough for a signal to be seen soon; the bar, the lines and the
   * curve each take the calls they need */
  long long every = p->total / 100;
  if (every > 10) every = 10;
  if (p->curve && p->total / CURVE_POINTS < every) every = p->total / CURVE_POINTS;
  return every < 1 ? 1 : every;
}

static void clock_text(char *buf, size_t len, double s) {
  if (!isfinite(s) || s < 0) {
    snprintf(buf, len, "--:--");
    return;
  }
  long long t = (long long)(s + 0.5);
  if (t >= 3600)
    snprintf(buf, len, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(buf, len, "%lld:%02lld", t / 60, t % 60);
}

static void draw_bar(const tool_progress *p, long long step, double rel, double seconds) {
  double frac = p->total > 0 ? (double)step / (double)p->total : 1.0;
  if (frac > 1) frac = 1;
  int fill = (int)(frac * BAR_WIDTH + 0.5);
  char bar[BAR_WIDTH + 1], left[32];
  for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < fill ? '#' : '-';
  bar[BAR_WIDTH] = '\0';
  double rate = seconds > 0 ? (double)step / seconds : 0;
  clock_text(left, sizeof left, rate > 0 ? (double)(p->total - step) / rate : NAN);
  fprintf(stderr, "\r%3d%% [%s] %lld/%lld  %.1f steps/s  %s left  rel_loss %.3g ",
          (int)(frac * 100), bar, step, p->total, rate, left, rel);
  fflush(stderr);
}

int progress_callback(void *user, long long step, double loss, double rel_loss, double seconds) {
  tool_progress *p = user;
  if (p->curve && (step >= p->next_curve || step >= p->total) && step > p->last_curve) {
    long long every = p->total / CURVE_POINTS < 1 ? 1 : p->total / CURVE_POINTS;
    while (p->next_curve <= step) p->next_curve += every;
    p->last_curve = step;
    double dist = NAN;
    if (p->curve_toeplitz &&
        symclone_student_toeplitz_distance(p->student, 1, 1, &dist, NULL) != SYMCLONE_OK)
      dist = NAN;
    if (isfinite(dist))
      fprintf(p->curve, "%lld,%.6f,%.9e,%.9e\n", step, seconds, rel_loss, dist);
    else
      fprintf(p->curve, "%lld,%.6f,%.9e,\n", step, seconds, rel_loss);
    if (ferror(p->curve)) p->curve_error = 1;
  }
  if (p->mode == 1) {
    double now = tool_now();
    if (now - p->last_draw >= 0.1 || step >= p->total) {
      draw_bar(p, step, rel_loss, seconds);
      p->last_draw = now;
    }
  } else if (p->mode == 2 && (step >= p->next_line || step >= p->total)) {
    fprintf(stderr, "step=%lld loss=%.6e rel_loss=%.6e elapsed=%.3f\n", step, loss, rel_loss,
            seconds);
    while (p->next_line <= step) p->next_line += p->line_every;
  }
  return progress_stop != 0;
}

void progress_done(tool_progress *p) {
  if (p->mode == 1 && p->last_draw > 0) fputc('\n', stderr);
}
