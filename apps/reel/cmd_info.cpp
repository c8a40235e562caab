// Read-only commands: models, cache, probe, cost, contact-sheet.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/atomic_file.hpp"
#include "reel/core/error.hpp"
#include "reel/media/jpeg.hpp"
#include "reel/media/mp4.hpp"
#include "reel/media/ops.hpp"
#include "reel/media/png.hpp"
#include "reel/sdk/api.hpp"

namespace reel::cli {
namespace fs = std::filesystem;

int cmd_models(const Argv& argv) {
  Args a(argv, {"--json"}, {}, {"--weights"});
  a.max_positional(0, "reel models [--weights DIR|MODEL=DIR]... [--json]");
  sdk::SessionOptions so;
  for (const auto& w : a.values("--weights")) so.models.add_weights_arg(w);
  sdk::Session session(so);
  session.registry().refresh();
  Json all = Json::array();
  for (const auto& m : session.registry().models()) all.push_back(m->card().to_json());
  if (a.flag("--json")) {
    print_json(all.dump(2));
    return 0;
  }
  auto tasks_of = [](const model::ModelCard& c) {
    std::string tasks;
    for (auto t : c.tasks) tasks += (tasks.empty() ? "" : ",") + std::string(model::to_string(t));
    return tasks;
  };
  int iw = 20, tw = 16, lw = 11;  // columns fit their longest entries
  for (const auto& m : session.registry().models()) {
    iw = std::max(iw, static_cast<int>(m->card().id.size()));
    tw = std::max(tw, static_cast<int>(tasks_of(m->card()).size()));
    lw = std::max(lw, static_cast<int>(m->card().licence.size()));
  }
  std::printf("%-*s %-*s %-*s %-13s %s\n", iw, "model", tw, "tasks", lw, "licence", "training data",
              "devices");
  for (const auto& m : session.registry().models()) {
    const auto& c = m->card();
    std::string tasks = tasks_of(c), devices;
    for (auto& d : c.devices) devices += (devices.empty() ? "" : ",") + d;
    std::printf("%-*s %-*s %-*s %-13s %s\n", iw, c.id.c_str(), tw, tasks.c_str(), lw,
                c.licence.c_str(), model::to_string(c.training_data).c_str(), devices.c_str());
    if (!c.availability.reason.empty())
      std::printf("%-*s %s\n", iw, "", c.availability.reason.c_str());
  }
  return 0;
}

int cmd_cache(const Argv& argv) {
  const std::string usage = "reel cache ls|gc|clear [--max-bytes N[KB|MB|GB|KiB|MiB|GiB]] [--json]";
  Args a(argv, {"--json"}, {"--max-bytes"});
  a.max_positional(1, usage);
  const std::string& sub = a.need(0, "a cache command (ls, gc or clear)");
  pipeline::ArtifactStore store(pipeline::ArtifactStore::default_root());
  if (sub == "ls") {
    auto entries = store.list();
    if (a.flag("--json")) {
      Json j = Json::array();
      for (auto& e : entries)
        j.push_back({{"key", e.key.hex()},
                     {"type", std::string(model::to_string(e.type))},
                     {"model", e.model},
                     {"step", e.step},
                     {"bytes", e.bytes},
                     {"compute_seconds", e.compute_seconds},
                     {"usd", e.usd}});
      print_json(j.dump(2));
      return 0;
    }
    std::uint64_t total = 0;
    for (auto& e : entries) {
      std::printf("%s  %-5s  %-18s %-12s %10llu bytes  %s\n", e.key.hex().c_str(),
                  std::string(model::to_string(e.type)).c_str(), e.model.c_str(), e.step.c_str(),
                  static_cast<unsigned long long>(e.bytes), format_usd(Usd(e.usd)).c_str());
      total += e.bytes;
    }
    std::printf("%zu artifacts, %llu bytes in %s\n", entries.size(),
                static_cast<unsigned long long>(total), store.root().string().c_str());
    return 0;
  }
  if (sub == "gc" || sub == "clear") {
    std::uint64_t max_bytes = 0;
    if (sub == "gc") {
      auto v = a.value("--max-bytes");
      if (!v)
        throw Error(ErrorKind::InvalidInput,
                    "cache gc needs --max-bytes SIZE (the size to keep, e.g. 2GB)");
      max_bytes = parse_bytes(*v, "--max-bytes");
    }
    pipeline::GcResult r = sub == "gc" ? store.gc(max_bytes) : store.clear();
    if (a.flag("--json"))
      print_json(Json{{"removed", r.removed}, {"bytes_freed", r.bytes_freed}}.dump());
    else
      std::printf("removed %d artifacts, freed %llu bytes\n", r.removed,
                  static_cast<unsigned long long>(r.bytes_freed));
    return 0;
  }
  throw Error(ErrorKind::InvalidInput, "unknown cache command '" + sub + "'; usage: " + usage);
}

int cmd_probe(const Argv& argv) {
  Args a(argv, {"--json"}, {});
  a.max_positional(1, "reel probe FILE [--json]");
  fs::path file = a.need(0, "the file to probe");
  std::string head = read_file(file, 1ull << 40).substr(0, 8);
  Json j;
  if (head.rfind("\x89PNG", 0) == 0 || head.rfind("\xFF\xD8", 0) == 0) {
    media::Image img = media::read_image(file);
    j = {{"file", file.string()},
         {"kind", "image"},
         {"width", img.width()},
         {"height", img.height()},
         {"opaque", img.is_opaque()}};
  } else {
    media::ProbeInfo p = media::probe(file);
    j = {{"file", file.string()},
         {"kind", "video"},
         {"width", p.width},
         {"height", p.height},
         {"fps", std::to_string(p.fps.num) + "/" + std::to_string(p.fps.den)},
         {"frame_count", p.frame_count},
         {"duration_seconds", p.duration_seconds},
         {"codec", p.codec},
         {"pixel_format", p.pixel_format},
         {"bytes", p.file_bytes}};
  }
  if (a.flag("--json")) {
    print_json(j.dump(2));
  } else {
    for (auto& [k, v] : j.items())
      std::printf("%-17s %s\n", k.c_str(),
                  v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
  }
  return 0;
}

int cmd_cost(const Argv& argv) {
  Args a(argv, {"--json"}, {});
  a.max_positional(1, "reel cost FILE [--json]");
  fs::path file = a.need(0, "a video or its .cost.json");
  if (file.extension() != ".json") file = sdk::cost_path_for(file);
  Json j = parse_json(read_file(file, 16 << 20), file.string());
  pipeline::CostReport report = with_context("reading cost report " + file.string(), [&] {
    try {
      return pipeline::CostReport::from_json(j);
    } catch (const Json::exception& e) {
      throw Error(ErrorKind::InvalidInput, std::string("not a reel cost report: ") + e.what());
    }
  });
  if (a.flag("--json"))
    print_json(report.to_json().dump(2));
  else {
    std::fputs(report.to_text().c_str(), stdout);
    for (const auto& n : report.notes()) std::printf("note: %s\n", n.c_str());
  }
  return 0;
}

int cmd_contact_sheet(const Argv& argv) {
  Args a(argv, {}, {"--columns", "--rows", "--tile-width"});
  a.max_positional(2, "reel contact-sheet VIDEO PNG [--columns N] [--rows N]");
  fs::path video = a.need(0, "the video"), png = a.need(1, "the PNG to write");
  int cols =
      a.value("--columns") ? int(parse_integer(*a.value("--columns"), "--columns", 1, 16)) : 4;
  int rows = a.value("--rows") ? int(parse_integer(*a.value("--rows"), "--rows", 1, 16)) : 3;
  int tile = a.value("--tile-width")
                 ? int(parse_integer(*a.value("--tile-width"), "--tile-width", 16, 1920))
                 : 320;
  media::write_png(png, media::contact_sheet_mp4(video, cols, rows, tile));
  std::printf("wrote %s\n", png.string().c_str());
  return 0;
}

}  // namespace reel::cli
