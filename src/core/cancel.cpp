#include "reel/core/cancel.hpp"

#include "reel/core/error.hpp"

namespace reel {

void CancelToken::check() const {
  if (cancelled()) throw Error(ErrorKind::Cancelled, "cancelled");
}

}  // namespace reel
