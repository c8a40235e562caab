#pragma once
// Cooperative cancellation: long loops call check() between units of work; a
// cancelled token makes check() throw Error(Cancelled).
#include <atomic>
#include <memory>

namespace reel {

class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const { flag_->store(true); }
  bool cancelled() const {
    return flag_->load(std::memory_order_relaxed) ||
           (parent_ && parent_->load(std::memory_order_relaxed));
  }
  // A token that is cancelled when either it or this one is; cancelling the child
  // does not cancel this one (a failed step stops its run, not the caller's token).
  CancelToken child() const {
    CancelToken c;
    c.parent_ = flag_;
    return c;
  }
  void check() const;  // throws Error(Cancelled) when cancelled

 private:
  std::shared_ptr<std::atomic<bool>> flag_;  // shared: copies observe one flag
  std::shared_ptr<std::atomic<bool>> parent_;
};

}  // namespace reel
