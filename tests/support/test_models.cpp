#include "support/test_models.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "reel/core/error.hpp"
#include "reel/core/hash.hpp"

namespace reel::testing {
namespace {

model::ModelCard card_for(const TestModelOptions& o, model::Task task) {
  model::ModelCard c;
  c.id = o.id;
  c.version = "1";
  c.name = "test model " + o.id;
  c.publisher = "reel tests";
  c.tasks = {task};
  c.licence = o.licence;
  c.training_data = o.training_data;
  c.devices = {"cpu"};
  c.cost = {"cpu", 0.001, 0.01, "test"};
  return c;
}

// Counts a call and its concurrency for the lifetime of the scope.
class CallScope {
 public:
  explicit CallScope(CallLog& log) : log_(log) {
    log_.calls++;
    int now = ++log_.running;
    int peak = log_.peak_running.load();
    while (now > peak && !log_.peak_running.compare_exchange_weak(peak, now)) {
    }
  }
  ~CallScope() { --log_.running; }

 private:
  CallLog& log_;
};

void simulate_work(const TestModelOptions& o, model::RunContext& ctx) {
  const int ticks = 10;
  for (int i = 0; i < ticks; ++i) {
    ctx.check_cancelled();
    std::this_thread::sleep_for(o.delay / ticks);
    ctx.progress((i + 1) / double(ticks));
  }
  if (o.fail) throw Error(ErrorKind::InvalidInput, "test model asked to fail");
}

class TestImageModel : public model::TextToImage {
 public:
  explicit TestImageModel(TestModelOptions o)
      : o_(std::move(o)), card_(card_for(o_, model::Task::text_to_image)) {}
  const model::ModelCard& card() const override { return card_; }
  model::ImageResult generate(const model::TextToImageRequest& r, model::RunContext& ctx) override {
    CallScope scope(*o_.log);
    simulate_work(o_, ctx);
    int w = r.width ? r.width : 64, h = r.height ? r.height : 48;
    Hasher hh;
    hh.add_field(r.prompt).add_u64(r.seed);
    auto hv = hh.digest().low;
    model::ImageResult out;
    out.image = media::Image(w, h);
    for (std::size_t i = 0; i < out.image.pixel_count(); ++i) {
      auto* p = out.image.u8() + i * 4;
      p[0] = hv & 0xFF, p[1] = (hv >> 8) & 0xFF, p[2] = (hv >> 16) & 0xFF, p[3] = 255;
    }
    out.depth = media::Plane(w, h, 10.0f);
    out.notes.push_back("test image for '" + r.prompt + "'");
    return out;
  }

 private:
  TestModelOptions o_;
  model::ModelCard card_;
};

class TestVideoModel : public model::ImageToVideo {
 public:
  explicit TestVideoModel(TestModelOptions o)
      : o_(std::move(o)), card_(card_for(o_, model::Task::image_to_video)) {}
  const model::ModelCard& card() const override { return card_; }
  model::VideoResult animate(const model::ImageToVideoRequest& r, model::RunContext& ctx) override {
    CallScope scope(*o_.log);
    simulate_work(o_, ctx);
    const media::Image& base = r.background ? r.background->image : r.image.image;
    int w = r.width ? r.width : base.width(), h = r.height ? r.height : base.height();
    w -= w % 2, h -= h % 2;
    int frames = std::max(1, static_cast<int>(std::lround(r.duration_seconds * r.fps)));
    model::VideoResult out;
    out.video.fps = media::fps_to_rational(r.fps);
    media::Image src = base.to_u8();
    for (int f = 0; f < frames; ++f) {
      media::Image frame(w, h);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const auto* s = src.u8_pixel(x * src.width() / w, y * src.height() / h);
          auto* d = frame.u8_pixel(x, y);
          for (int c = 0; c < 3; ++c)
            d[c] = static_cast<std::uint8_t>(s[c] * (frames - f) / frames);
          d[3] = 255;
        }
      out.video.frames.push_back(std::move(frame));
    }
    return out;
  }

 private:
  TestModelOptions o_;
  model::ModelCard card_;
};

class TestCompositeModel : public model::Composite {
 public:
  explicit TestCompositeModel(TestModelOptions o)
      : o_(std::move(o)), card_(card_for(o_, model::Task::composite)) {}
  const model::ModelCard& card() const override { return card_; }
  model::ImageResult composite(const model::CompositeRequest& r, model::RunContext& ctx) override {
    CallScope scope(*o_.log);
    simulate_work(o_, ctx);
    model::ImageResult out = r.background;
    out.image = r.background.image.to_u8();
    const media::Image fg = r.foreground.image.to_u8();
    for (int y = 0; y < std::min(fg.height(), out.image.height()); ++y)
      for (int x = 0; x < std::min(fg.width(), out.image.width()); ++x) {
        const auto* s = fg.u8_pixel(x, y);
        auto* d = out.image.u8_pixel(x, y);
        for (int c = 0; c < 3; ++c)
          d[c] = static_cast<std::uint8_t>((s[c] * s[3] + d[c] * (255 - s[3])) / 255);
      }
    return out;
  }

 private:
  TestModelOptions o_;
  model::ModelCard card_;
};

}  // namespace

std::shared_ptr<model::Model> make_test_image_model(TestModelOptions o) {
  return std::make_shared<TestImageModel>(std::move(o));
}
std::shared_ptr<model::Model> make_test_video_model(TestModelOptions o) {
  return std::make_shared<TestVideoModel>(std::move(o));
}
std::shared_ptr<model::Model> make_test_composite_model(TestModelOptions o) {
  return std::make_shared<TestCompositeModel>(std::move(o));
}

}  // namespace reel::testing
