#include "reel/core/error.hpp"

#include "reel/core/json.hpp"

namespace reel {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidInput:
      return "InvalidInput";
    case ErrorKind::Io:
      return "Io";
    case ErrorKind::NotFound:
      return "NotFound";
    case ErrorKind::ModelLoad:
      return "ModelLoad";
    case ErrorKind::OutOfMemory:
      return "OutOfMemory";
    case ErrorKind::Cancelled:
      return "Cancelled";
    case ErrorKind::Budget:
      return "Budget";
    case ErrorKind::Unsupported:
      return "Unsupported";
    case ErrorKind::Policy:
      return "Policy";
    case ErrorKind::Internal:
      return "Internal";
  }
  return "Internal";
}

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidInput:
      return 2;
    case ErrorKind::Io:
      return 3;
    case ErrorKind::NotFound:
      return 4;
    case ErrorKind::ModelLoad:
      return 5;
    case ErrorKind::OutOfMemory:
      return 6;
    case ErrorKind::Cancelled:
      return 130;
    case ErrorKind::Budget:
      return 7;
    case ErrorKind::Unsupported:
      return 8;
    case ErrorKind::Policy:
      return 9;
    case ErrorKind::Internal:
      return 70;
  }
  return 70;
}

Error::Error(ErrorKind kind, std::string message)
    : std::runtime_error(message), kind_(kind), message_(std::move(message)) {
  rebuild_what();
}

Error& Error::add_context(std::string frame) {
  context_.insert(context_.begin(), std::move(frame));
  rebuild_what();
  return *this;
}

void Error::rebuild_what() {
  what_.clear();
  for (const auto& c : context_) {
    what_ += c;
    what_ += ": ";
  }
  what_ += message_;
}

std::string Error::to_json() const {
  Json j;
  j["error"]["kind"] = std::string(to_string(kind_));
  j["error"]["message"] = message_;
  j["error"]["context"] = context_;
  j["error"]["exit_code"] = exit_code(kind_);
  // Messages may quote hostile bytes; invalid UTF-8 must not make reporting throw.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void throw_error(ErrorKind kind, std::string message) {
  throw Error(kind, std::move(message));
}

}  // namespace reel
