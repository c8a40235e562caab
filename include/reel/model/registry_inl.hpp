#pragma once
#include <string>

#include "reel/core/error.hpp"

namespace reel::model {

template <class T>
T& as_task(Model& m, Task task) {
  if (auto* t = dynamic_cast<T*>(&m)) return *t;
  throw Error(ErrorKind::InvalidInput,
              "model '" + m.card().id + "' does not do task " + std::string(to_string(task)));
}

}  // namespace reel::model
