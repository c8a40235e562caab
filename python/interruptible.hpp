#pragma once
// Ctrl-C for the Python module: a pipeline call runs on its own thread, with the GIL
// released, while the Python thread waits in short slices and lets Python run its
// signal handlers (PyErr_CheckSignals). When a handler raises (KeyboardInterrupt), the
// call's token is cancelled (the mechanism `reel run` uses on SIGINT), the call is
// joined — it unwinds removing its temporaries, so nothing half-written stays — and the
// Python exception propagates. Without this, a signal is seen only after the whole
// render returns.
#include <pybind11/pybind11.h>

#include <chrono>
#include <future>
#include <utility>

#include "reel/core/cancel.hpp"

namespace reel::python {

// The longest a pending signal waits for Python; renders check their token per frame,
// so Ctrl-C to KeyboardInterrupt stays well under a second.
inline constexpr std::chrono::milliseconds kSignalPoll{50};

template <class Call>
auto run_interruptible(Call&& call) -> decltype(call(std::declval<const CancelToken&>())) {
  namespace py = pybind11;
  CancelToken cancel;
  auto done = std::async(std::launch::async, [&] { return call(cancel); });
  for (;;) {
    {
      py::gil_scoped_release release;
      if (done.wait_for(kSignalPoll) == std::future_status::ready) break;
    }
    if (PyErr_CheckSignals() != 0) {
      cancel.cancel();
      {
        py::gil_scoped_release release;
        done.wait();
      }
      try {
        done.get();
      } catch (...) {
        // The call's own Cancelled error: the user's interrupt is the one to report.
      }
      throw py::error_already_set();
    }
  }
  return done.get();
}

}  // namespace reel::python
