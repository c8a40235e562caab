#pragma once
// Prompt reading shared by the studio models. A prompt is split into lowercase
// words; each model marks the words it understood, and whatever is left is
// reported back in the result's notes — never ignored silently.
#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reel::studio {

class PromptWords {
 public:
  explicit PromptWords(std::string_view prompt);

  const std::vector<std::string>& words() const { return words_; }

  // True if `phrase` (one or more words, e.g. "dust storm") occurs; marks its words
  // as understood. Matches whole words; a trailing 's' plural also matches.
  bool take(std::string_view phrase);
  // First phrase of `phrases` that occurs (and marks it); index into the list.
  std::optional<std::size_t> take_any(std::initializer_list<std::string_view> phrases);
  // Index of the first word of `phrase`, without marking.
  std::optional<std::size_t> find(std::string_view phrase) const;
  // Marks words that carry no meaning for any model ("a", "the", "of", "in", ...).
  void take_stopwords();
  void mark(std::size_t index) { used_.at(index) = true; }
  bool used(std::size_t index) const { return used_.at(index); }

  // Words nobody understood, in prompt order, without duplicates.
  std::vector<std::string> unrecognised() const;
  // "unrecognised words: foo, bar (closest match used: astronaut)" or "" if none.
  std::string unrecognised_note(std::string_view what_was_chosen = {}) const;

 private:
  std::vector<std::string> words_;
  std::vector<bool> used_;
};

// Edit distance, for picking the closest archetype to an unknown word.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Colour words ("white", "red", "crimson", ...) → linear RGB in [0,1]; nullopt if
// the word is not a colour.
std::optional<std::array<float, 3>> colour_from_word(std::string_view word);
// Every word colour_from_word knows, in table order (for docs/studio.md).
std::vector<std::string> colour_words();

// Whether a word nobody understood could name a thing to draw (a noun: "bottle",
// "retriever", "xyzzy") rather than describe one ("happy", "glowing", "majestic").
// Studio models refuse a prompt whose subject or scene they cannot find only when
// such a word is left over, so describing words alone never make a prompt an error.
// English has no reliable marker, so this errs towards "a noun": describing words
// are recognised by their endings (-ly, -ing, -ed, -ous, -ful, -ive, -less, -ish,
// -able, -ible) and a short list of common ones without such an ending; numbers
// and words of one or two letters are never nouns here.
bool could_name_a_thing(std::string_view word);

}  // namespace reel::studio
