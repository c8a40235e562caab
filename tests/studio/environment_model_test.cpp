#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "reel/core/error.hpp"
#include "reel/studio/environment.hpp"

namespace {

using reel::model::ImageResult;
using reel::model::TextToImage;
using reel::model::TextToImageRequest;

constexpr float kSky = 1.0e4f;

TextToImage& model() {
  static auto m = reel::studio::make_environment_model();
  return dynamic_cast<TextToImage&>(*m);
}

ImageResult render(const std::string& prompt, int w = 192, int h = 108, std::uint64_t seed = 1) {
  TextToImageRequest req;
  req.prompt = prompt;
  req.width = w;
  req.height = h;
  req.seed = seed;
  reel::model::RunContext ctx;
  return model().generate(req, ctx);
}

struct Mean {
  double r = 0, g = 0, b = 0;
  double lum() const { return 0.2126 * r + 0.7152 * g + 0.0722 * b; }
};

// Mean colour of rows [y0, y1) as fractions of the height.
Mean mean(const ImageResult& res, double y0 = 0, double y1 = 1) {
  const auto& img = res.image;
  Mean m;
  int a = static_cast<int>(y0 * img.height()), b = static_cast<int>(y1 * img.height());
  double n = 0;
  for (int y = a; y < b; ++y)
    for (int x = 0; x < img.width(); ++x, ++n) {
      auto* p = img.u8_pixel(x, y);
      m.r += p[0];
      m.g += p[1];
      m.b += p[2];
    }
  m.r /= n;
  m.g /= n;
  m.b /= n;
  return m;
}

TEST(EnvironmentModel, Card) {
  const auto& c = model().card();
  EXPECT_EQ(c.id, "studio-environment");
  EXPECT_EQ(c.version, "2");
  EXPECT_EQ(c.licence, "Apache-2.0");
  EXPECT_EQ(c.training_data, reel::model::TrainingData::synthetic);
  EXPECT_NE(c.training_data_note.find("procedural"), std::string::npos);
  EXPECT_EQ(c.publisher, "reel");
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0], "cpu");
  EXPECT_TRUE(c.supports(reel::model::Task::text_to_image));
  EXPECT_GT(c.cost.seconds_per_megapixel, 0.0);
}

TEST(EnvironmentModel, DefaultAnd4kSizes) {
  TextToImageRequest req;
  req.prompt = "plain studio backdrop";
  reel::model::RunContext ctx;
  auto r = model().generate(req, ctx);
  EXPECT_EQ(r.image.width(), 1280);
  EXPECT_EQ(r.image.height(), 720);
  EXPECT_TRUE(r.image.is_opaque());
  ASSERT_TRUE(r.depth.has_value());
  EXPECT_EQ(r.depth->width(), 1280);
  EXPECT_EQ(r.depth->height(), 720);
  ASSERT_TRUE(r.light.has_value());

  req.style = "4k";
  auto big = model().generate(req, ctx);
  EXPECT_EQ(big.image.width(), 3840);
  EXPECT_EQ(big.image.height(), 2160);

  req.style = "";
  req.width = 320;
  req.height = 200;
  auto custom = model().generate(req, ctx);
  EXPECT_EQ(custom.image.width(), 320);
  EXPECT_EQ(custom.image.height(), 200);
}

TEST(EnvironmentModel, SameSeedSameBytesOtherSeedDiffers) {
  auto a = render("a red rocky martian plain with a dust storm in the distance", 160, 90, 7);
  auto b = render("a red rocky martian plain with a dust storm in the distance", 160, 90, 7);
  auto c = render("a red rocky martian plain with a dust storm in the distance", 160, 90, 8);
  EXPECT_TRUE(a.image == b.image);
  EXPECT_TRUE(*a.depth == *b.depth);
  EXPECT_FALSE(a.image == c.image);
}

TEST(EnvironmentModel, ScenesHaveTheirColours) {
  auto mars = mean(render("mars"), 0.45, 1.0);
  EXPECT_GT(mars.r, mars.g + 15);
  EXPECT_GT(mars.g, mars.b + 10);

  auto forest = mean(render("a forest"));
  EXPECT_GT(forest.g, forest.r);
  EXPECT_GT(forest.g, forest.b);

  auto snow = mean(render("snowy mountains"));
  EXPECT_GT(snow.lum(), 150);
  EXPECT_GE(snow.b, snow.r);

  auto space = mean(render("outer space"));
  EXPECT_LT(space.lum(), 60);

  auto beach = render("a beach");
  auto upper = mean(beach, 0.0, 0.6);
  EXPECT_GT(upper.b, upper.r + 20);
  auto sand = mean(beach, 0.8, 1.0);
  EXPECT_GT(sand.r, sand.b + 20);

  auto city = render("a city street");
  auto studio = render("plain studio backdrop");
  EXPECT_FALSE(city.image == studio.image);
  auto st = mean(studio);
  EXPECT_LT(std::fabs(st.r - st.b), 25);  // a neutral backdrop
}

TEST(EnvironmentModel, DepthGrowsTowardsTheHorizonAndSkyIsConstant) {
  for (const char* prompt : {"mars", "a beach", "snowy mountains"}) {
    auto r = render(prompt, 256, 144);
    const auto& d = *r.depth;
    int horizon = static_cast<int>(r.metadata.at("horizon_y").get<double>());
    // Median over columns per row, from the bottom up to just below the horizon.
    auto row_median = [&](int y) {
      std::vector<float> v;
      for (int x = 0; x < d.width(); ++x) v.push_back(d.at(x, y));
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      return v[v.size() / 2];
    };
    float prev = 0;
    for (int y = d.height() - 1; y > horizon + 4; y -= 8) {
      float m = row_median(y);
      EXPECT_GT(m, prev) << prompt << " row " << y;
      EXPECT_LT(m, kSky) << prompt;
      prev = m;
    }
    EXPECT_LT(row_median(d.height() - 1), 6.0f) << prompt;  // ground a few metres away
    // The top row of these scenes is sky (mountains and clouds stay lower).
    if (std::string(prompt) != "snowy mountains") {
      EXPECT_EQ(row_median(0), kSky) << prompt;
    }
  }
  auto mountains = render("snowy mountains", 256, 144);
  EXPECT_EQ(mountains.depth->at(0, 0), kSky);
}

TEST(EnvironmentModel, LightIsUnitAndWarmerAtSunset) {
  auto noon = render("a beach at noon");
  auto sunset = render("a beach at sunset");
  for (const auto* r : {&noon, &sunset}) {
    const auto& d = r->light->direction;
    EXPECT_NEAR(std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]), 1.0, 1e-4);
    EXPECT_GT(d[1], 0.0f);  // the sun is above the horizon
  }
  auto warmth = [](const reel::model::Light& l) { return l.color[0] / l.color[2]; };
  EXPECT_GT(warmth(*sunset.light), warmth(*noon.light) * 1.5f);
  // The sunset sun is low and in front of the camera (visible in the frame).
  EXPECT_LT(sunset.light->direction[1], 0.2f);
  EXPECT_LT(sunset.light->direction[2], 0.0f);
}

TEST(EnvironmentModel, DustStormMakesTheHorizonHazierAndBrowner) {
  auto clear = render("mars, clear sky", 256, 144);
  auto storm = render("mars with a dust storm on the horizon", 256, 144);
  double h = clear.metadata.at("horizon_y").get<double>() / 144.0;
  auto c = mean(clear, h - 0.2, h);
  auto s = mean(storm, h - 0.2, h);
  // The band above the horizon: the storm wall is darker and browner than the
  // clear butterscotch sky, and has depth (it is a thing, not sky).
  EXPECT_LT(s.lum(), c.lum() - 10);
  EXPECT_GT(s.r / s.b, c.r / c.b);
  int wall_pixels = 0;
  const auto& d = *storm.depth;
  for (int y = static_cast<int>((h - 0.1) * 144); y < static_cast<int>(h * 144); ++y)
    for (int x = 0; x < d.width(); ++x) wall_pixels += d.at(x, y) < kSky && d.at(x, y) > 1000;
  EXPECT_GT(wall_pixels, d.width() * 3);
  EXPECT_EQ(storm.metadata.at("weather"), "dust_storm");
}

TEST(EnvironmentModel, NightIsDarkerThanNoon) {
  for (const char* scene : {"mars", "a city street", "a forest"}) {
    auto noon = mean(render(std::string(scene) + " at noon"));
    auto night = mean(render(std::string(scene) + " at night"));
    EXPECT_LT(night.lum(), noon.lum() * 0.6) << scene;
  }
}

TEST(EnvironmentModel, WeatherChangesTheImage) {
  auto clear = render("a city street");
  auto rain = render("a city street in heavy rain");
  auto fog = render("a foggy forest");
  auto forest = render("a forest");
  auto snow = render("a forest with falling snow");
  EXPECT_FALSE(clear.image == rain.image);
  // Fog lifts the dark forest towards a grey veil.
  EXPECT_GT(mean(fog).lum(), mean(forest).lum() + 10);
  EXPECT_GT(mean(snow).lum(), mean(forest).lum() + 5);
  EXPECT_EQ(rain.metadata.at("weather"), "rain");
  // Wet, overcast street: the ground half is darker than on a clear day.
  auto wet_beach = render("a beach in the rain");
  auto dry_beach = render("a beach");
  EXPECT_LT(mean(wet_beach, 0.6, 1.0).lum(), mean(dry_beach, 0.6, 1.0).lum() - 15);
}

TEST(EnvironmentModel, NotesReportUnknownWords) {
  auto r = render("a purple elephant on mars");
  bool found = false;
  for (const auto& n : r.notes) found |= n.find("elephant") != std::string::npos;
  EXPECT_TRUE(found);
  EXPECT_EQ(r.metadata.at("scene"), "mars");
}

void expect_invalid(const TextToImageRequest& req) {
  reel::model::RunContext ctx;
  try {
    model().generate(req, ctx);
    ADD_FAILURE() << "expected InvalidInput";
  } catch (const reel::Error& e) {
    EXPECT_EQ(e.kind(), reel::ErrorKind::InvalidInput) << e.what();
  }
}

TEST(EnvironmentModel, BadInputIsRefused) {
  TextToImageRequest req;
  req.prompt = "";
  expect_invalid(req);
  req.prompt = "   ";
  expect_invalid(req);
  req.prompt = std::string(10 * 1024 * 1024, 'a');
  expect_invalid(req);
  req.prompt = "mars";
  req.width = 100000;
  req.height = 100;
  expect_invalid(req);
  req.width = -5;
  req.height = 100;
  expect_invalid(req);
  req.width = 8;
  req.height = 8;
  expect_invalid(req);
}

TEST(EnvironmentModel, CancelledRunStops) {
  TextToImageRequest req;
  req.prompt = "mars";
  req.width = 64;
  req.height = 36;
  reel::model::RunContext ctx;
  ctx.cancel.cancel();
  EXPECT_THROW(model().generate(req, ctx), reel::Error);
}

}  // namespace
