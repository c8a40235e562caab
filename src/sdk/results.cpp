#include "reel/sdk/results.hpp"

#include <filesystem>

#include "policy_bridge.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/ops.hpp"
#include "reel/media/png.hpp"
#include "reel/sdk/session.hpp"

namespace reel::sdk {
namespace fs = std::filesystem;

fs::path cost_path_for(const fs::path& video_path) {
  fs::path p = video_path;
  return p.replace_extension(".cost.json");
}

StillImage::StillImage(pipeline::Artifact artifact, Lineage lineage, std::vector<std::string> notes)
    : artifact_(std::move(artifact)), lineage_(std::move(lineage)), notes_(std::move(notes)) {}

StillImage StillImage::from_image(const media::Image& image, Session& session) {
  if (image.empty())
    throw Error(ErrorKind::InvalidInput, "the image is empty; expected at least 1x1 pixels");
  model::ImageResult r;
  r.image = image.to_u8();
  pipeline::Artifact a = session.store().import_image(r);
  return StillImage(std::move(a), Lineage{}, {});
}

StillImage StillImage::from_file(const fs::path& path, Session& session) {
  return with_context("reading image " + path.string(),
                      [&] { return from_image(media::read_image(path), session); });
}

int StillImage::width() const {
  return artifact_.image ? artifact_.image->image.width() : 0;
}
int StillImage::height() const {
  return artifact_.image ? artifact_.image->image.height() : 0;
}

const media::Image& StillImage::image() const {
  if (!artifact_.image) throw Error(ErrorKind::InvalidInput, "this StillImage is empty");
  return artifact_.image->image;
}

void StillImage::save(const fs::path& path, Session& session) const {
  if (path.extension() != ".png")
    throw Error(ErrorKind::InvalidInput,
                "cannot save a still as '" + path.string() +
                    "'; the file name must end in .png (a PNG is what reel writes, and where "
                    "its Content Credentials live)");
  media::write_png(path, image());
  if (session.options().sign) {
    Json cost = Json::object();
    sign_output(path, session, lineage_, {}, cost, notes_,
                artifact_.image ? artifact_.image->source_credentials : std::nullopt);
  }
}

void StillImage::save(const fs::path& path) const {
  save(path, Session::default_session());
}

VideoClip::VideoClip(pipeline::Artifact artifact, Lineage lineage, std::vector<std::string> notes,
                     pipeline::CostReport cost, std::vector<StillImage> ingredients)
    : artifact_(std::move(artifact)),
      lineage_(std::move(lineage)),
      notes_(std::move(notes)),
      cost_(std::move(cost)),
      ingredients_(std::move(ingredients)) {}

double VideoClip::fps() const {
  return artifact_.video ? artifact_.video->video.fps.value() : 0.0;
}

const media::Video& VideoClip::frames() const {
  if (!frames_) {
    if (artifact_.video && !artifact_.video->video.frames.empty())
      frames_ = std::make_shared<media::Video>(artifact_.video->video);
    else if (!artifact_.file.empty())
      frames_ = std::make_shared<media::Video>(media::read_mp4(artifact_.file));
    else
      throw Error(ErrorKind::InvalidInput, "this VideoClip is empty");
  }
  return *frames_;
}

fs::path VideoClip::save(const fs::path& path, Session& session) const {
  if (artifact_.file.empty()) throw Error(ErrorKind::InvalidInput, "this VideoClip is empty");
  if (path.extension() != ".mp4")
    throw Error(ErrorKind::InvalidInput,
                "cannot save a video as '" + path.string() + "'; the file name must end in .mp4");
  // Copy the stored MP4 through an atomic file so a failed save leaves nothing.
  {
    AtomicFile out(path);
    std::string bytes = read_file(artifact_.file);
    out.write(bytes);
    out.commit();
  }
  fs::path cost_file = cost_path_for(path);
  cost_.write(cost_file);
  if (session.options().sign) {
    try {
      std::vector<const StillImage*> ingredients;
      for (const auto& i : ingredients_) ingredients.push_back(&i);
      sign_output(path, session, lineage_, ingredients, cost_.to_json(), notes_,
                  artifact_.video ? artifact_.video->source_credentials : std::nullopt);
    } catch (...) {
      std::error_code ec;
      fs::remove(path, ec);  // never leave an unsigned file where a signed one was asked for
      throw;
    }
  }
  return cost_file;
}

fs::path VideoClip::save(const fs::path& path) const {
  return save(path, Session::default_session());
}

void VideoClip::save_contact_sheet(const fs::path& path, int columns, int rows) const {
  // From the stored file, one frame at a time: a long clip never sits in memory whole.
  if (!artifact_.file.empty())
    media::write_png(path, media::contact_sheet_mp4(artifact_.file, columns, rows, 320));
  else
    media::write_png(path, media::contact_sheet(frames(), columns, rows, 320));
}

}  // namespace reel::sdk
