#pragma once
// reel's one exception type. Failures that end a job are thrown as reel::Error with a
// kind (what went wrong, for callers and exit codes), a message (what and what is
// allowed), and context frames added while unwinding ("loading VAE weights: ...").
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace reel {

enum class ErrorKind {
  InvalidInput,  // the caller's input is wrong; the message names what is allowed
  Io,            // a file or stream could not be read or written
  NotFound,      // a named thing (model, artifact, file) does not exist
  ModelLoad,     // weights or a model could not be loaded
  OutOfMemory,   // an allocation over a limit or that failed
  Cancelled,     // the run was cancelled by the user
  Budget,        // a money or resource budget would be exceeded
  Unsupported,   // valid, but not something this build can do
  Policy,        // refused by a licence / provenance policy
  Internal,      // a bug in reel
};

std::string_view to_string(ErrorKind kind);

// Process exit code for a kind; documented in docs/cli.md.
int exit_code(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message);

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& message() const noexcept { return message_; }
  // Outermost frame first.
  const std::vector<std::string>& context() const noexcept { return context_; }

  // Adds a frame describing what was being done; returns *this for rethrow.
  Error& add_context(std::string frame);

  // {"error": {"kind": "...", "message": "...", "context": [...]}}
  std::string to_json() const;

 private:
  void rebuild_what();
  ErrorKind kind_;
  std::string message_;
  std::vector<std::string> context_;
  std::string what_;

 public:
  const char* what() const noexcept override { return what_.c_str(); }
};

// Runs fn; if it throws reel::Error, prepends `frame` to its context and rethrows.
// Other std::exceptions become Internal errors with the frame.
template <class Fn>
decltype(auto) with_context(std::string_view frame, Fn&& fn) {
  try {
    return fn();
  } catch (Error& e) {
    e.add_context(std::string(frame));
    throw;
  } catch (const std::bad_alloc&) {
    Error e(ErrorKind::OutOfMemory, "out of memory");
    e.add_context(std::string(frame));
    throw e;
  }
}

[[noreturn]] void throw_error(ErrorKind kind, std::string message);

}  // namespace reel

// For programmer errors only (never user input).
#define REEL_ASSERT(cond)                                                                   \
  do {                                                                                      \
    if (!(cond))                                                                            \
      ::reel::throw_error(::reel::ErrorKind::Internal,                                      \
                          std::string("assertion failed: " #cond " at ") + __FILE__ + ":" + \
                              std::to_string(__LINE__));                                    \
  } while (0)
