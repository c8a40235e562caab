#pragma once
// SentencePiece tokenization (Debian's libsentencepiece, opened at run time) for the text encoders
// that ship a `spiece.model`, such as umT5-XXL in Wan. The library stays behind this header. The
// model file is a protobuf parsed by libsentencepiece, not by reel: it is size-checked
// here but not fuzzed, so load models from checkpoint folders, not from users.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

namespace reel::neural {

class SentencePieceTokenizer {
 public:
  // Throws ModelLoad naming the file when it cannot be read or is not a model.
  static SentencePieceTokenizer open(const std::filesystem::path& spiece_model);

  SentencePieceTokenizer(SentencePieceTokenizer&&) noexcept;
  SentencePieceTokenizer& operator=(SentencePieceTokenizer&&) noexcept;
  ~SentencePieceTokenizer();

  // The pieces of `text`, no special tokens. Text must be UTF-8 (InvalidInput otherwise).
  std::vector<int> encode(std::string_view text) const;
  std::string decode(const std::vector<int>& ids) const;
  int vocab_size() const;
  int eos_id() const;  // -1 when the model has none
  int pad_id() const;  // -1 when the model has none

 private:
  SentencePieceTokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct TokenizedPrompt {
  std::vector<std::int64_t> ids;  // exactly max_length: tokens, EOS, then pad ids
  std::size_t length = 0;         // tokens including the EOS; the encoder output is cut here
};

// The umT5 convention (Hugging Face T5 tokenizer with add_special_tokens, truncation and
// padding="max_length", as Wan calls it): the pieces truncated to max_length - 1, then
// EOS, then pad ids up to max_length. The model must define EOS and pad (ModelLoad if
// not); max_length must be at least 1 (InvalidInput).
TokenizedPrompt tokenize_umt5(const SentencePieceTokenizer& tokenizer, std::string_view text,
                              std::size_t max_length = 512);

}  // namespace reel::neural
