#pragma once
// What Wan's Python does to a prompt before tokenizing it (wan/modules/tokenizers.py,
// clean='whitespace'): ftfy.fix_text, html.unescape twice, every run of whitespace to one
// space, strip. reel has no ftfy; see docs/neural.md "Prompt cleaning" for which of its
// fixes are done here and which are not. Torch-free.
#include <string>
#include <string_view>

namespace reel::neural {

// UTF-8 in, UTF-8 out. Invalid UTF-8 → InvalidInput naming the byte offset.
std::string clean_prompt(std::string_view prompt);

// Python's html.unescape (HTML5 named references, with and without ';' as the standard
// allows, longest-prefix matching, numeric references with the standard's remapping of
// invalid ones). Exposed for tests.
std::string html_unescape(std::string_view text);

}  // namespace reel::neural
