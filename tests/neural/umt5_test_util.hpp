#pragma once
// Shared by the umT5 tests: a tiny SentencePiece model trained at test time (Debian's
// spm_train, T5's special ids) and the tricky prompts the parity tests feed through it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "reel/core/atomic_file.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural::umt5_test {

inline std::vector<std::string> tricky_prompts() {
  std::string long_prompt;
  while (long_prompt.size() < 2000) {
    long_prompt += "A cinematic shot of an astronaut riding a horse on Mars, golden hour, ";
    long_prompt += "Grüße &amp; 日本語 🚀 " + std::to_string(long_prompt.size()) + ".   ";
  }
  return {
      "",
      "   ",
      "A cinematic shot of an astronaut riding a horse on Mars",
      "  leading,\ttabs\n\nnewlines\r\n and   runs of spaces  ",
      "Tom &amp;amp; Jerry &lt;b&gt;bold&lt;/b&gt; caf&#233; &#x41;&#X42; &eacute &notit; &#0;",
      "Grüße aus Köln – naïve café, “curly” ‘quotes’ and ﬁne ligatures",
      "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ and 日本語のテキスト、中文的句子",
      "emoji 🚀🎬 ZWJ 👩‍👩‍👧 flags 🇩🇪 and e\u0301 combining",
      "control \x01\x1b[31mred\x1b[0m \x0b\x1c chars\u00a0nbsp\u3000ideographic",
      "&&& &; &#; &#x; &ampersand &amp &AMP; &Amp; &lt3",
      long_prompt,
  };
}

inline std::string training_text() {
  const char* lines[] = {
      "A cinematic shot of an astronaut riding a horse on Mars, golden hour, 35mm film.",
      "The camera slowly pans across a neon-lit street in Tokyo at night, rain reflections.",
      "Grüße aus Köln: eine naïve Katze schläft im Café neben dem Fenster.",
      "日本語のテキストと中文的句子，一只猫在窗边睡觉。",
      "Tom & Jerry <b>bold</b> 'quoted' \"double\" café AB fine",
      "emoji 🚀🎬🐱 and numbers 12345 67.89 -0.5 1e-6, punctuation!? (yes) [no] {maybe}",
  };
  std::string text;
  for (int repeat = 0; repeat < 40; ++repeat) {
    for (const char* line : lines) text += std::string(line) + "\n";
  }
  return text;
}

// Trains `dir/sp.model` (pad 0, EOS 1, unk 2, no BOS, as T5).
inline void train_tokenizer(const std::filesystem::path& dir) {
  write_file_atomic(dir / "corpus.txt", std::string_view(training_text()));
  const auto r = reel::testing::run_command(
      "spm_train --input=" + (dir / "corpus.txt").string() +
          " --model_prefix=" + (dir / "sp").string() +
          " --vocab_size=200 --hard_vocab_limit=false --model_type=unigram "
          "--character_coverage=0.9995 --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 "
          "--minloglevel=2",
      true);
  ASSERT_EQ(r.status, 0) << r.output;
}

}  // namespace reel::neural::umt5_test
