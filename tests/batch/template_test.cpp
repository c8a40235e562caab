#include "reel/batch/template.hpp"

#include <gtest/gtest.h>

#include "reel/core/error.hpp"
#include "reel/pipeline/pipeline_file.hpp"

namespace reel::batch {
namespace {

constexpr const char* kTemplate = R"(reel: 1
name: "ad-{{sku}}"
steps:
  - id: still
    task: text_to_image
    model: studio-character
    params: {prompt: "{{title}} on a table", width: "{{w}}", extra: {note: "{{w}}"}}
  - id: film
    task: image_to_video
    model: studio-animator
    inputs: {image: still, background: "file:photos/{{photo}}"}
    params: {motion: "{{motion}}", duration: "{{dur}}"}
)";

Row row(std::map<std::string, std::string> cells) {
  Row r;
  r.line = 7;
  r.cells = std::move(cells);
  return r;
}

TEST(Template, FillsParamsFileReferencesAndTheName) {
  pipeline::Graph t = pipeline::parse_pipeline(kTemplate);
  EXPECT_EQ(template_columns(t),
            (std::set<std::string>{"dur", "motion", "photo", "sku", "title", "w"}));
  pipeline::Graph g = fill_template(t, row({{"sku", "A1"},
                                            {"title", "mug"},
                                            {"w", "320"},
                                            {"photo", "a.png"},
                                            {"motion", "spin"},
                                            {"dur", "2.5"}}));
  EXPECT_EQ(g.name, "ad-A1");
  EXPECT_EQ(g.steps[0].params["prompt"], "mug on a table");
  // A numeric param's whole-value placeholder becomes a number; elsewhere it stays text.
  EXPECT_TRUE(g.steps[0].params["width"].is_number_integer());
  EXPECT_EQ(g.steps[0].params["width"], 320);
  EXPECT_EQ(g.steps[0].params["extra"]["note"], "320");
  EXPECT_TRUE(g.steps[1].params["duration"].is_number_float());
  EXPECT_DOUBLE_EQ(g.steps[1].params["duration"].get<double>(), 2.5);
  EXPECT_EQ(g.steps[1].inputs["background"], "file:photos/a.png");
  // The template itself is untouched.
  EXPECT_EQ(t.steps[0].params["prompt"], "{{title}} on a table");
}

TEST(Template, AMissingColumnOrANonNumberNamesThePlace) {
  pipeline::Graph t = pipeline::parse_pipeline(kTemplate);
  try {
    fill_template(t, row({{"sku", "A1"}, {"w", "320"}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'title'"), std::string::npos) << e.what();
  }
  try {
    fill_template(t, row({{"sku", "A1"},
                          {"title", "t"},
                          {"w", "wide"},
                          {"photo", "p"},
                          {"motion", "m"},
                          {"dur", "1"}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("param 'width'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a number"), std::string::npos) << e.what();
  }
}

TEST(Template, MalformedPlaceholdersAreRefused) {
  pipeline::Graph t;
  t.name = "x-{{sku";
  EXPECT_THROW(template_columns(t), Error);
  t.name = "x-{{}}";
  EXPECT_THROW(template_columns(t), Error);
  t.name = "x-{{a/b}}";
  EXPECT_THROW(template_columns(t), Error);
}

TEST(SanitizeName, KeepsSafeCharactersAndRemovesPathTricks) {
  EXPECT_EQ(sanitize_name("SKU-12.v2"), "SKU-12.v2");
  for (const std::string bad : {"../../etc/passwd", "a/../b", "..x", "...x", "a b/c\\d"}) {
    std::string s = sanitize_name(bad);
    EXPECT_EQ(s.find('/'), std::string::npos) << s;
    EXPECT_EQ(s.find(".."), std::string::npos) << s;
    EXPECT_NE(s.front(), '.') << s;
  }
  EXPECT_EQ(sanitize_name("=HYPERLINK(x)"), "_HYPERLINK_x_");
  EXPECT_THROW(sanitize_name(""), Error);
  EXPECT_THROW(sanitize_name("//"), Error);
  EXPECT_THROW(sanitize_name(".."), Error);
  EXPECT_LE(sanitize_name(std::string(500, 'a')).size(), 120u);
}

}  // namespace
}  // namespace reel::batch
