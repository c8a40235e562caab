#include "reel/neural/tokenizer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

using reel::testing::TempDir;

// Training text with the scripts the tricky strings use, so the model has real pieces
// for them (and byte-less unknowns for the rest).
std::string training_text() {
  const char* lines[] = {
      "A cinematic shot of an astronaut riding a horse on Mars, golden hour, 35mm film.",
      "The camera slowly pans across a neon-lit street in Tokyo at night, rain reflections.",
      "Grüße aus Köln: eine naïve Katze schläft im Café neben dem Fenster.",
      "日本語のテキストと中文的句子，一只猫在窗边睡觉。",
      "Un chat orange dort sur le rebord de la fenêtre, lumière douce du matin.",
      "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &#39;quoted&#39; &quot;double&quot; &nbsp;",
      "emoji 🚀🎬🐱 and numbers 12345 67.89 -0.5 1e-6, punctuation!? (yes) [no] {maybe}",
      "Кошка спит на подоконнике, мягкий утренний свет, кинематографический кадр.",
      "القط ينام على حافة النافذة في ضوء الصباح الناعم",
  };
  std::string text;
  for (int repeat = 0; repeat < 40; ++repeat) {
    for (const char* line : lines) text += std::string(line) + "\n";
  }
  return text;
}

std::vector<std::string> tricky_strings() {
  std::string long_prompt;
  while (long_prompt.size() < 2000) {
    long_prompt += "A cinematic shot of an astronaut riding a horse on Mars, golden hour, 35mm ";
    long_prompt += "film, Grüße, 日本語, 🚀 " + std::to_string(long_prompt.size()) + ". ";
  }
  return {
      "",
      " ",
      "Hello world",
      "  leading and trailing  ",
      "multiple   spaces\tand\ttabs\nand\r\nnewlines",
      "Grüße aus Köln – naïve café",
      "日本語のテキストと中文的句子",
      "emoji 🚀🎬 and a ZWJ family 👩‍👩‍👧 and flags 🇩🇪",
      "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &#39;quoted&#39; &nbsp;&amp;amp;",
      "Ａｂｃ fullwidth and ligature ﬁ and combining e\u0301 vs é",
      "never seen: ꯀꯁꯂ ᚠᚢᚦ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
      "control \x01\x7f chars",
      long_prompt,
  };
}

class Tokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    write_file_atomic(*dir_ / "corpus.txt", std::string_view(training_text()));
    // T5's special ids: pad 0, EOS 1, unk 2, no BOS.
    const auto train = reel::testing::run_command(
        "spm_train --input=" + (*dir_ / "corpus.txt").string() +
            " --model_prefix=" + (*dir_ / "sp").string() +
            " --vocab_size=200 --hard_vocab_limit=false --model_type=unigram "
            "--character_coverage=0.9995"
            " --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --minloglevel=2",
        true);
    ASSERT_EQ(train.status, 0) << train.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};
TempDir* Tokenizer::dir_ = nullptr;

TEST_F(Tokenizer, IdsEqualPythonSentencepiece) {
  const auto tok = SentencePieceTokenizer::open(*dir_ / "sp.model");
  EXPECT_GT(tok.vocab_size(), 100);
  EXPECT_LE(tok.vocab_size(), 200);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.eos_id(), 1);

  const auto strings = tricky_strings();
  write_file_atomic(*dir_ / "strings.json", std::string_view(Json(strings).dump()));
  const auto res = reel::testing::run_command(
      "/usr/bin/python3 -c \"import json, sentencepiece as s; "
      "p = s.SentencePieceProcessor(model_file='" +
          (*dir_ / "sp.model").string() +
          "'); print(json.dumps([p.encode(t) for t in json.load(open('" +
          (*dir_ / "strings.json").string() + "', encoding='utf-8'))]))\"",
      true);
  ASSERT_EQ(res.status, 0) << res.output;
  const Json expected = Json::parse(res.output);
  ASSERT_EQ(expected.size(), strings.size());
  std::size_t pieces = 0;
  for (std::size_t i = 0; i < strings.size(); ++i) {
    const auto got = tok.encode(strings[i]);
    EXPECT_EQ(Json(got), expected[i]) << "string " << i << ": " << strings[i];
    pieces += got.size();
  }
  EXPECT_GT(pieces, 500u);  // the long prompt alone is hundreds of pieces
  EXPECT_EQ(tok.decode(tok.encode("A cinematic shot, Grüße")), "A cinematic shot, Grüße");
}

TEST_F(Tokenizer, Umt5FramingAppendsEosThenPads) {
  const auto tok = SentencePieceTokenizer::open(*dir_ / "sp.model");
  const auto pieces = tok.encode("A cinematic shot of an astronaut");
  ASSERT_GT(pieces.size(), 3u);

  const auto framed = tokenize_umt5(tok, "A cinematic shot of an astronaut", 32);
  ASSERT_EQ(framed.ids.size(), 32u);
  EXPECT_EQ(framed.length, pieces.size() + 1);
  for (std::size_t i = 0; i < pieces.size(); ++i) EXPECT_EQ(framed.ids[i], pieces[i]);
  EXPECT_EQ(framed.ids[pieces.size()], 1);
  for (std::size_t i = pieces.size() + 1; i < 32; ++i) EXPECT_EQ(framed.ids[i], 0);

  // Truncation keeps the first max_length - 1 pieces and still ends in EOS.
  const auto cut = tokenize_umt5(tok, tricky_strings().back(), 16);
  const auto all = tok.encode(tricky_strings().back());
  ASSERT_EQ(cut.ids.size(), 16u);
  EXPECT_EQ(cut.length, 16u);
  for (std::size_t i = 0; i < 15; ++i) EXPECT_EQ(cut.ids[i], all[i]);
  EXPECT_EQ(cut.ids[15], 1);

  const auto empty = tokenize_umt5(tok, "", 4);
  EXPECT_EQ(empty.ids, (std::vector<std::int64_t>{1, 0, 0, 0}));
  EXPECT_EQ(empty.length, 1u);
  EXPECT_EQ(tokenize_umt5(tok, "Hello", 1).ids, std::vector<std::int64_t>{1});
  EXPECT_EQ(tokenize_umt5(tok, "x").ids.size(), 512u);  // Wan's text_len
}

TEST_F(Tokenizer, BadInputsAreRefused) {
  const auto tok = SentencePieceTokenizer::open(*dir_ / "sp.model");
  try {
    tok.encode(std::string("bad \xff\xfe utf-8"));
    FAIL() << "invalid UTF-8 encoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
  EXPECT_THROW(tokenize_umt5(tok, "x", 0), Error);
  EXPECT_THROW(tok.decode({tok.vocab_size()}), Error);
  EXPECT_THROW(tok.decode({-1}), Error);

  write_file_atomic(*dir_ / "garbage.model", std::string_view("not a protobuf at all"));
  // Damaged is ModelLoad; missing is NotFound, as for every other weight file.
  for (auto [name, kind] : {std::pair{"garbage.model", ErrorKind::ModelLoad},
                            std::pair{"absent.model", ErrorKind::NotFound}}) {
    try {
      SentencePieceTokenizer::open(*dir_ / name);
      ADD_FAILURE() << name << " opened";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << name;
      EXPECT_NE(e.message().find(name), std::string::npos) << e.message();
    }
  }

  // A model without a pad piece cannot frame umT5 prompts.
  const auto train =
      reel::testing::run_command("spm_train --input=" + (*dir_ / "corpus.txt").string() +
                                     " --model_prefix=" + (*dir_ / "nopad").string() +
                                     " --vocab_size=150 --hard_vocab_limit=false --minloglevel=2",
                                 true);
  ASSERT_EQ(train.status, 0) << train.output;
  const auto nopad = SentencePieceTokenizer::open(*dir_ / "nopad.model");
  EXPECT_EQ(nopad.pad_id(), -1);
  try {
    tokenize_umt5(nopad, "x", 8);
    FAIL() << "framed without a pad piece";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
  }
}

}  // namespace
}  // namespace reel::neural
