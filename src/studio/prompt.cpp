#include "reel/studio/prompt.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace reel::studio {
namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    // Letters, digits, and bytes of UTF-8 sequences form words; '-' joins
    // ("white-suited"), other punctuation separates.
    if (std::isalnum(c) || c >= 0x80) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (c == '-' && !cur.empty()) {
      out.push_back(cur);
      cur.clear();
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool word_matches(const std::string& word, std::string_view target) {
  if (word == target) return true;
  // plurals: "rocks" ↔ "rock", "clouds" ↔ "cloud", "skies" handled by listing both
  if (word.size() == target.size() + 1 && word.back() == 's' &&
      std::string_view(word).substr(0, target.size()) == target)
    return true;
  if (word.size() == target.size() + 2 && word.ends_with("es") &&
      std::string_view(word).substr(0, target.size()) == target)
    return true;
  return false;
}

}  // namespace

PromptWords::PromptWords(std::string_view prompt)
    : words_(split_words(prompt)), used_(words_.size(), false) {}

std::optional<std::size_t> PromptWords::find(std::string_view phrase) const {
  auto parts = split_words(phrase);
  if (parts.empty() || parts.size() > words_.size()) return std::nullopt;
  for (std::size_t i = 0; i + parts.size() <= words_.size(); ++i) {
    bool ok = true;
    for (std::size_t k = 0; k < parts.size() && ok; ++k) ok = word_matches(words_[i + k], parts[k]);
    if (ok) return i;
  }
  return std::nullopt;
}

bool PromptWords::take(std::string_view phrase) {
  auto parts_n = split_words(phrase).size();
  bool found = false;
  // Mark every occurrence, so a repeated word is not reported as unknown.
  for (std::size_t start = 0; start < words_.size();) {
    std::optional<std::size_t> at;
    auto parts = split_words(phrase);
    for (std::size_t i = start; i + parts.size() <= words_.size(); ++i) {
      bool ok = true;
      for (std::size_t k = 0; k < parts.size() && ok; ++k)
        ok = word_matches(words_[i + k], parts[k]);
      if (ok) {
        at = i;
        break;
      }
    }
    if (!at) break;
    for (std::size_t k = 0; k < parts_n; ++k) used_[*at + k] = true;
    found = true;
    start = *at + parts_n;
  }
  return found;
}

std::optional<std::size_t> PromptWords::take_any(std::initializer_list<std::string_view> phrases) {
  std::size_t i = 0;
  for (auto p : phrases) {
    if (take(p)) return i;
    ++i;
  }
  return std::nullopt;
}

void PromptWords::take_stopwords() {
  static const char* kStop[] = {
      "a",    "an",      "the", "of",    "in",    "on",   "at",    "with", "and",   "to",
      "into", "from",    "by",  "for",   "is",    "its",  "their", "his",  "her",   "very",
      "some", "while",   "as",  "over",  "under", "this", "that",  "it",   "there", "be",
      "has",  "wearing", "who", "which", "or",    "onto", "out",   "s"};
  for (std::size_t i = 0; i < words_.size(); ++i)
    for (const char* s : kStop)
      if (words_[i] == s) used_[i] = true;
}

std::vector<std::string> PromptWords::unrecognised() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < words_.size(); ++i)
    if (!used_[i] && std::find(out.begin(), out.end(), words_[i]) == out.end())
      out.push_back(words_[i]);
  return out;
}

std::string PromptWords::unrecognised_note(std::string_view chosen) const {
  auto u = unrecognised();
  if (u.empty()) return {};
  std::string note = "unrecognised words: ";
  for (std::size_t i = 0; i < u.size(); ++i) note += (i ? ", " : "") + u[i];
  if (!chosen.empty()) note += " (closest match used: " + std::string(chosen) + ")";
  return note;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

const std::pair<const char*, std::array<float, 3>> kColours[] = {
    {"white", {0.92f, 0.92f, 0.92f}},  {"black", {0.03f, 0.03f, 0.035f}},
    {"grey", {0.45f, 0.45f, 0.47f}},   {"gray", {0.45f, 0.45f, 0.47f}},
    {"silver", {0.7f, 0.72f, 0.75f}},  {"red", {0.75f, 0.06f, 0.05f}},
    {"crimson", {0.6f, 0.02f, 0.08f}}, {"orange", {0.95f, 0.38f, 0.05f}},
    {"yellow", {0.95f, 0.8f, 0.1f}},   {"gold", {0.9f, 0.65f, 0.2f}},
    {"golden", {0.9f, 0.65f, 0.2f}},   {"green", {0.1f, 0.55f, 0.15f}},
    {"blue", {0.08f, 0.2f, 0.75f}},    {"navy", {0.03f, 0.05f, 0.3f}},
    {"teal", {0.05f, 0.45f, 0.45f}},   {"cyan", {0.1f, 0.7f, 0.8f}},
    {"purple", {0.4f, 0.1f, 0.6f}},    {"violet", {0.5f, 0.2f, 0.75f}},
    {"pink", {0.95f, 0.45f, 0.6f}},    {"brown", {0.35f, 0.2f, 0.1f}},
    {"tan", {0.7f, 0.55f, 0.38f}},     {"beige", {0.8f, 0.72f, 0.58f}},
    {"copper", {0.72f, 0.4f, 0.2f}},   {"bronze", {0.6f, 0.42f, 0.2f}},
};

}  // namespace

std::optional<std::array<float, 3>> colour_from_word(std::string_view w) {
  for (auto& [name, rgb] : kColours)
    if (w == name) return rgb;
  return std::nullopt;
}

std::vector<std::string> colour_words() {
  std::vector<std::string> out;
  for (auto& [name, rgb] : kColours) out.emplace_back(name);
  return out;
}

bool could_name_a_thing(std::string_view w) {
  if (w.size() <= 2) return false;
  if (std::any_of(w.begin(), w.end(), [](char c) { return std::isdigit((unsigned char)c); }))
    return false;
  // A stem of at least three letters keeps short nouns ("bed", "king", "table") nouns.
  for (std::string_view suffix :
       {"ly", "ing", "ed", "ous", "ful", "ive", "less", "ish", "able", "ible"})
    if (w.size() >= suffix.size() + 3 && w.ends_with(suffix)) return false;
  static const std::string_view kDescribing[] = {
      "happy",   "sad",    "angry",   "calm",     "cool",     "nice",     "pretty",     "cute",
      "old",     "new",    "good",    "bad",      "great",    "awesome",  "simple",     "plain",
      "single",  "lone",   "alone",   "solo",     "one",      "two",      "three",      "few",
      "many",    "other",  "another", "same",     "my",       "your",     "our",        "here",
      "now",     "just",   "only",    "really",   "super",    "ultra",    "high",       "low",
      "hot",     "cold",   "warm",    "soft",     "hard",     "bright",   "dark",       "light",
      "deep",    "pure",   "clean",   "fresh",    "wild",     "brave",    "proud",      "huge",
      "vast",    "real",   "true",    "fine",     "rich",     "rare",     "wise",       "weird",
      "strange", "quiet",  "loud",    "fierce",   "noble",    "elegant",  "majestic",   "serene",
      "epic",    "iconic", "classic", "modern",   "vintage",  "retro",    "futuristic", "fancy",
      "shiny",   "fluffy", "fuzzy",   "furry",    "sleepy",   "funny",    "silly",      "lucky",
      "mighty",  "ready",  "heroic",  "gorgeous", "stunning", "dramatic", "moody",      "dreamy",
      "cozy",    "tidy",   "messy",   "dirty",    "muddy",    "sunny",    "windy",      "stormy",
  };
  for (auto d : kDescribing)
    if (w == d) return false;
  return true;
}

}  // namespace reel::studio
