#pragma once
// Private to the batch layer: the whole-file limits both rows formats enforce.
#include <string>
#include <string_view>

#include "reel/batch/rows.hpp"
#include "reel/core/error.hpp"

namespace reel::batch::detail {

inline void check_file_size(std::string_view text, const std::string& what) {
  if (text.size() > kMaxRowsFileBytes)
    throw Error(ErrorKind::InvalidInput,
                what + ": the rows file is " + std::to_string(text.size()) + " bytes; at most " +
                    std::to_string(kMaxRowsFileBytes >> 20) + " MiB are read");
}

// Before adding the row that starts on `line`.
inline void check_row_count(const Rows& out, int line, const std::string& what) {
  if (out.rows.size() + out.problems.size() >= kMaxRows)
    throw Error(ErrorKind::InvalidInput, what + ":" + std::to_string(line) + ": more than " +
                                             std::to_string(kMaxRows) + " rows; split the batch");
}

}  // namespace reel::batch::detail
