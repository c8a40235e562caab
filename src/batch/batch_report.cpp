// What a batch leaves for people: batch.csv (the shape a shop uploads), a contact sheet
// of one frame per row, and the summary.
#include <cstdio>
#include <map>

#include "reel/batch/batch.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/core/units.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/ops.hpp"
#include "reel/media/png.hpp"
#include "reel/media/video.hpp"

namespace reel::batch {
namespace fs = std::filesystem;

void write_batch_csv(const fs::path& path, const std::vector<ManifestEntry>& entries,
                     const Rows& rows) {
  std::map<int, const Row*> by_line;
  for (const auto& r : rows.rows) by_line[r.line] = &r;
  std::string out = "key,line,status,output,usd,error";
  for (const auto& c : rows.columns) out += "," + csv_cell(c);
  out += "\r\n";
  char usd[32];
  for (const auto& e : entries) {
    std::snprintf(usd, sizeof usd, "%.9f", e.usd);
    out += csv_cell(e.key) + "," + std::to_string(e.line) + "," + csv_cell(e.status) + "," +
           csv_cell(e.output) + "," + usd + "," + csv_cell(e.error);
    auto it = by_line.find(e.line);
    for (const auto& c : rows.columns) {
      out += ",";
      if (it == by_line.end()) continue;
      auto cell = it->second->cells.find(c);
      if (cell != it->second->cells.end()) out += csv_cell(cell->second);
    }
    out += "\r\n";
  }
  write_file_atomic(path, std::string_view(out));
}

void write_contact_sheet(const fs::path& path, const std::vector<ManifestEntry>& rows) {
  constexpr int kTile = 160;
  media::Video frames;
  for (const auto& r : rows) {
    if (int(frames.frames.size()) >= kContactSheetRows) break;
    if (r.status != "succeeded" || !fs::exists(r.output)) continue;
    try {
      // One frame of a clip: a 1x1 sheet of it is its first frame, scaled to the tile.
      media::Image img = fs::path(r.output).extension() == ".mp4"
                             ? media::contact_sheet_mp4(r.output, 1, 1, kTile)
                             : media::read_image(r.output);
      if (!frames.frames.empty() &&
          (img.width() != frames.frames[0].width() || img.height() != frames.frames[0].height()))
        img = media::resize(img, frames.frames[0].width(), frames.frames[0].height());
      frames.frames.push_back(std::move(img));
    } catch (const Error&) {
      // An output that cannot be read is shown as missing, not a failed batch.
    }
  }
  if (frames.frames.empty()) return;
  const int n = int(frames.frames.size());
  int columns = 1;
  while (columns * columns < n) ++columns;
  const int grid_rows = (n + columns - 1) / columns;
  media::write_png(path, media::contact_sheet(frames, columns, grid_rows, kTile));
}

std::string summary_text(const BatchResult& r) {
  const int ok = r.succeeded();
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf,
                "batch: %d succeeded, %d failed, %zu invalid, %d already done, %d not started\n",
                ok, r.failed(), r.invalid.size(), r.resumed, r.not_started);
  out += buf;
  std::snprintf(buf, sizeof buf, "wall time %s; %d steps run, %d cached ($0)\n",
                format_seconds(Seconds(r.wall_seconds)).c_str(), r.executed, r.cached);
  out += buf;
  const double per_clip = ok > 0 ? r.usd / ok : 0;
  std::snprintf(buf, sizeof buf,
                "cost %s total, %s per clip; the seed article's $%.2f x %d clips = $%.2f\n",
                format_usd(Usd(r.usd)).c_str(), format_usd(Usd(per_clip)).c_str(),
                kArticleUsdPerClip, ok, kArticleUsdPerClip * ok);
  out += buf;
  if (r.rows_fit >= 0) {
    std::snprintf(buf, sizeof buf, "budget: %d row(s) fit by their estimates%s\n", r.rows_fit,
                  r.budget_stop ? "; stopped before the row that would exceed it" : "");
    out += buf;
  }
  if (r.interrupted)
    out += "interrupted: rows in flight finished; run the same command again to go on\n";
  return out;
}

}  // namespace reel::batch
