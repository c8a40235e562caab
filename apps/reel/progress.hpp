#pragma once
// Shows pipeline progress: a live bar when stderr is a terminal, plain lines
// otherwise (logs, CI), nothing with --quiet.
#include <mutex>
#include <string>

#include "reel/pipeline/executor.hpp"

namespace reel::cli {

class ProgressView {
 public:
  explicit ProgressView(bool quiet);
  void on_event(const pipeline::Event& e);
  void finish();

 private:
  bool quiet_;
  bool tty_;
  bool bar_drawn_ = false;
  std::mutex mutex_;
};

}  // namespace reel::cli
