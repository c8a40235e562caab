// parse_wan_request / validate_wan_request: defaults, and every refusal names the field.
#include <gtest/gtest.h>

#include <string>

#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/wan_request.hpp"
#include "support/test_dirs.hpp"

namespace reel::neural {
namespace {

// The error of validating `j` for a t2v model with 16-pixel multiples.
std::string refusal(const Json& j, std::string_view type = "t2v", int multiple = 16,
                    ErrorKind kind = ErrorKind::InvalidInput) {
  try {
    validate_wan_request(parse_wan_request(j, type), type, multiple);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted " << j.dump();
  return {};
}

TEST(WanRequest, DefaultsAreTheOfficialOnes) {
  auto r = parse_wan_request(Json{{"prompt", "a cat"}}, "t2v");
  EXPECT_EQ(r.task, "t2v");
  EXPECT_EQ(r.width, 832);
  EXPECT_EQ(r.height, 480);
  EXPECT_EQ(r.frames, 81);
  EXPECT_EQ(r.steps, 50);
  EXPECT_EQ(r.sampler, "unipc");
  EXPECT_DOUBLE_EQ(r.shift, 5.0);
  EXPECT_DOUBLE_EQ(r.guidance, 5.0);
  EXPECT_EQ(r.effective_negative_prompt(), kWanDefaultNegativePrompt);
  EXPECT_NE(std::string(kWanDefaultNegativePrompt).find("色调艳丽"), std::string::npos);
  validate_wan_request(r, "t2v", 16);

  r = parse_wan_request(Json{{"prompt", "a cat"}, {"task", "t2i"}}, "ti2v");
  EXPECT_EQ(r.width, 1280);
  EXPECT_EQ(r.height, 704);
  EXPECT_EQ(r.frames, 1);
  validate_wan_request(r, "ti2v", 32);
}

TEST(WanRequest, ReadsEveryKey) {
  const Json j = {{"task", "t2v"},
                  {"prompt", "p"},
                  {"negative_prompt", "n"},
                  {"width", 64},
                  {"height", 32},
                  {"frames", 5},
                  {"steps", 3},
                  {"shift", 3.0},
                  {"guidance", 1.0},
                  {"sampler", "euler"},
                  {"seed", 18446744073709551615ull}};
  EXPECT_THROW(parse_wan_request(j, "t2v"), Error);  // seed past int64
  Json k = j;
  k["seed"] = 42;
  const auto r = parse_wan_request(k, "t2v");
  EXPECT_EQ(r.negative_prompt, "n");
  EXPECT_EQ(r.effective_negative_prompt(), "n");
  EXPECT_EQ(r.width, 64);
  EXPECT_EQ(r.height, 32);
  EXPECT_EQ(r.frames, 5);
  EXPECT_EQ(r.steps, 3);
  EXPECT_EQ(r.sampler, "euler");
  EXPECT_EQ(r.seed, 42u);
  validate_wan_request(r, "t2v", 16);
}

TEST(WanRequest, RefusalsNameTheFieldAndWhatIsAllowed) {
  const Json ok = {{"prompt", "p"}, {"width", 64}, {"height", 32}, {"frames", 5}};
  auto with = [&](const char* key, const Json& v) {
    Json j = ok;
    j[key] = v;
    return j;
  };
  EXPECT_NE(refusal(with("width", 40)).find("multiple of 16"), std::string::npos);
  EXPECT_NE(refusal(with("height", 48), "ti2v", 32).find("\"height\" 48"), std::string::npos);
  EXPECT_NE(refusal(with("frames", 6)).find("1 + 4k"), std::string::npos);
  EXPECT_NE(refusal(with("frames", 0)).find("1..321"), std::string::npos);
  EXPECT_NE(refusal(with("steps", 0)).find("\"steps\""), std::string::npos);
  EXPECT_NE(refusal(with("shift", 0)).find("\"shift\""), std::string::npos);
  EXPECT_NE(refusal(with("sampler", "ddim")).find("unipc, euler"), std::string::npos);
  EXPECT_NE(refusal(with("task", "v2v")).find("t2v, i2v, t2i"), std::string::npos);
  EXPECT_NE(refusal(with("prompt", "")).find("\"prompt\""), std::string::npos);
  EXPECT_NE(refusal(with("width", "64")).find("an integer"), std::string::npos);
  EXPECT_NE(refusal(with("colour", 1)).find("unknown request key \"colour\""), std::string::npos);
  Json t2i = with("task", "t2i");
  EXPECT_NE(refusal(t2i).find("allowed: 1"), std::string::npos);  // frames 5 given
  // i2v: only TI2V checkpoints, and only with an image.
  EXPECT_NE(refusal(with("task", "i2v")).find("ti2v"), std::string::npos);
  EXPECT_NE(refusal(with("task", "i2v"), "ti2v", 32).find("\"image\""), std::string::npos);
  Json img = with("task", "i2v");
  img["image"] = "/nonexistent/first.png";
  EXPECT_NE(refusal(img, "ti2v", 32, ErrorKind::NotFound).find("/nonexistent/first.png"),
            std::string::npos);
  EXPECT_NE(refusal(with("image", "x.png")).find("i2v only"), std::string::npos);
  EXPECT_NE(refusal(ok, "i2v", 16, ErrorKind::Unsupported).find("CLIP"), std::string::npos);
}

TEST(WanRequest, ImagePathIsRelativeToTheRequestFile) {
  reel::testing::TempDir dir;
  write_file_atomic(dir / "first.png", std::string_view("x"));
  const auto r = parse_wan_request(Json{{"task", "i2v"},
                                        {"prompt", "p"},
                                        {"image", "first.png"},
                                        {"width", 64},
                                        {"height", 32},
                                        {"frames", 5}},
                                   "ti2v", dir.path());
  EXPECT_EQ(r.image, dir / "first.png");
  validate_wan_request(r, "ti2v", 32);
}

}  // namespace
}  // namespace reel::neural
