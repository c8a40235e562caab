// clean_prompt and html_unescape: hand-checked cases, then Python's own html.unescape and
// the reference cleaning (tests/reference/umt5.py) on tricky strings.
#include <gtest/gtest.h>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/neural/prompt_clean.hpp"
#include "support/test_dirs.hpp"
#include "umt5_test_util.hpp"

namespace reel::neural {
namespace {

TEST(CleanPrompt, HandCheckedCases) {
  EXPECT_EQ(clean_prompt("Tom &amp;amp; Jerry"), "Tom & Jerry");  // unescaped twice
  EXPECT_EQ(clean_prompt("&amp;amp;amp;"), "&amp;");              // ...only twice
  EXPECT_EQ(clean_prompt("caf&#233; &#xE9;&#XE9;"), "café éé");
  EXPECT_EQ(clean_prompt("  a \t\n\r\n b\u00a0\u3000c  "), "a b c");
  EXPECT_EQ(clean_prompt("\u201cquoted\u201d \u2018x\u2019"), "\"quoted\" 'x'");
  EXPECT_EQ(clean_prompt("\ufb01ne \uff21\uff42\uff43"), "fine Abc");
  EXPECT_EQ(clean_prompt("red \x1b[31mtext\x1b[0m\x01!"), "red text!");
  EXPECT_EQ(clean_prompt(""), "");
  EXPECT_EQ(clean_prompt(" \t\n "), "");
  EXPECT_EQ(clean_prompt("日本語 🚀"), "日本語 🚀");
}

TEST(CleanPrompt, HtmlUnescapeFollowsTheHtml5Rules) {
  EXPECT_EQ(html_unescape("&lt;b&gt; &quot;x&quot; &#39;"), "<b> \"x\" '");
  EXPECT_EQ(html_unescape("&eacute &eacute; &notit; &ampfoo"), "é é ¬it; &foo");
  EXPECT_EQ(html_unescape("&#0; &#128; &#x110000; &#xD800; &#1;x"), "\ufffd € \ufffd \ufffd x");
  EXPECT_EQ(html_unescape("&#99999999999999999999;"), "\ufffd");
  EXPECT_EQ(html_unescape("& &; &# &#x; &unknown;"), "& &; &# &#x; &unknown;");
  EXPECT_EQ(html_unescape("&NotNestedGreaterGreater;"), "\u2aa2\u0338");  // two code points
  EXPECT_EQ(html_unescape("no ampersand"), "no ampersand");
}

TEST(CleanPrompt, InvalidUtf8IsRefused) {
  for (std::string bad : {std::string("ab\xff"), std::string("\xc3"), std::string("\xed\xa0\x80"),
                          std::string("\xc0\xaf")}) {
    try {
      clean_prompt(bad);
      ADD_FAILURE() << "accepted invalid UTF-8";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos);
    }
  }
}

TEST(CleanPrompt, EqualsPythonHtmlUnescapeAndTheReferenceCleaning) {
  auto strings = umt5_test::tricky_prompts();
  // Every named entity once, with and without ';', plus prefixes and numeric edge cases.
  strings.push_back("&Aacute&Aacute;&aacutex &amp;lt;&lt &LT &gt;&gt &nbsp&nbsp; &copy2023");
  strings.push_back("&#65&#x42&#x63;&#0000065;&#-1;&#x;&#&;;&x;&#10;&#13;&#150;&#x9F;");
  strings.push_back(std::string(40, 'a') + "&" + std::string(40, 'b') + ";&" + "amp;");
  reel::testing::TempDir d;
  write_file_atomic(d / "in.json", std::string_view(Json(strings).dump()));
  const std::string cmd =
      "/usr/bin/python3 -c \"import sys, json, html; sys.path.insert(0, '" +
      (std::filesystem::path(REEL_SOURCE_DIR) / "tests" / "reference").string() +
      "'); import umt5; s = json.load(open('" + (d / "in.json").string() +
      "', encoding='utf-8')); print(json.dumps([[html.unescape(t), umt5.clean_prompt(t)] for t "
      "in s]))\"";
  const auto r = reel::testing::run_command(cmd, true);
  ASSERT_EQ(r.status, 0) << r.output;
  const Json expected = Json::parse(r.output);
  ASSERT_EQ(expected.size(), strings.size());
  for (std::size_t i = 0; i < strings.size(); ++i) {
    EXPECT_EQ(html_unescape(strings[i]), expected[i][0].get<std::string>()) << strings[i];
    EXPECT_EQ(clean_prompt(strings[i]), expected[i][1].get<std::string>()) << strings[i];
  }
}

}  // namespace
}  // namespace reel::neural
