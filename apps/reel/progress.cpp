#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "reel/core/units.hpp"

namespace reel::cli {

ProgressView::ProgressView(bool quiet) : quiet_(quiet), tty_(::isatty(2) == 1) {}

void ProgressView::on_event(const pipeline::Event& e) {
  if (quiet_) return;
  std::lock_guard lock(mutex_);
  using pipeline::EventKind;
  if (e.kind == EventKind::step_progress) {
    if (!tty_) return;  // plain output gets start/finish lines only
    constexpr int kWidth = 30;
    int filled = static_cast<int>(e.fraction * kWidth + 0.5);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '-');
    std::fprintf(stderr, "\r\033[K%-12s [%s] %3d%% %s", e.step.c_str(), bar.c_str(),
                 static_cast<int>(e.fraction * 100 + 0.5), e.message.c_str());
    bar_drawn_ = true;
    return;
  }
  if (bar_drawn_) {
    std::fputs("\r\033[K", stderr);
    bar_drawn_ = false;
  }
  switch (e.kind) {
    case EventKind::step_started:
      std::fprintf(stderr, "step %s (%s) started\n", e.step.c_str(), e.model.c_str());
      break;
    case EventKind::step_finished:
      std::fprintf(stderr, "step %s finished in %s\n", e.step.c_str(),
                   format_seconds(Seconds(e.seconds)).c_str());
      break;
    case EventKind::step_cached:
      std::fprintf(stderr, "step %s cached (no compute)\n", e.step.c_str());
      break;
    case EventKind::step_failed:
      std::fprintf(stderr, "step %s failed\n", e.step.c_str());
      break;
    default:
      break;
  }
  std::fflush(stderr);
}

void ProgressView::finish() {
  std::lock_guard lock(mutex_);
  if (bar_drawn_) std::fputs("\r\033[K", stderr);
  bar_drawn_ = false;
}

}  // namespace reel::cli
