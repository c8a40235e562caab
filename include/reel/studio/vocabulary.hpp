#pragma once
// What the studio models can draw, read from the tables their prompt parsers use, so
// docs/studio.md, the models' refusals and the parsers cannot disagree.
#include <string>
#include <string_view>
#include <vector>

#include "reel/core/json.hpp"

namespace reel::studio {

struct WordGroup {
  std::string name;                // what the words choose: "dog", "sunset", "pan"
  std::vector<std::string> words;  // the words and phrases that choose it
};

struct VocabularySection {
  std::string title;  // "Subjects"
  std::string model;  // "studio-character"
  std::string about;  // how the words are read, one paragraph
  std::vector<WordGroup> groups;
  // Each group has a picture rendered by the model from its first word:
  // docs/<picture_path(model, name)>.
  bool pictured = false;
};

// A model-specific setting read from a step's `extra`.
struct ExtraKey {
  std::string model;
  std::string key;
  std::string type;   // "boolean"
  std::string about;  // what it does, with its default
};

std::vector<VocabularySection> vocabulary();
std::vector<ExtraKey> extra_keys();

// "images/studio/studio-character-dog.png": relative to docs/.
std::string picture_path(std::string_view model, std::string_view name);
// docs/studio.md, byte for byte.
std::string vocabulary_markdown();

// extra.substitute of a studio model's step: false when absent; InvalidInput when it
// is not a boolean.
bool substitute_requested(const Json& extra, std::string_view model_id);

// The InvalidInput a studio model throws for a prompt whose subject (character) or
// scene (environment) it cannot draw. `words` are the words that could name it,
// `can_draw` what the model draws instead, `closest` what substitute would draw and
// `typo_of` a known word one of `words` is a likely misspelling of ("" if none).
[[noreturn]] void refuse_undrawable(std::string_view model_id, std::string_view what,
                                    const std::vector<std::string>& words,
                                    const std::vector<std::string>& can_draw,
                                    std::string_view closest, std::string_view typo_of);

}  // namespace reel::studio
