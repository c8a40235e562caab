#pragma once
#include "reel/core/error.hpp"

namespace reel::remote {

// The reel::Error kind for an HTTP status (table in include/reel/remote/client.hpp).
ErrorKind kind_for_status(int status);

}  // namespace reel::remote
