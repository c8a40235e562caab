#include "prov_test_util.hpp"

#include <fstream>
#include <iterator>

#include "support/test_dirs.hpp"

namespace reel::provenance::testing {
namespace fs = std::filesystem;
namespace {

std::uint32_t crc(const Bytes& d, std::size_t from) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < d.size(); ++i) {
    c ^= d[i];
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}

void be32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

void chunk(Bytes& png, const char* type, const Bytes& data) {
  be32(png, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  be32(png, crc(png, start));
}

std::string shell_quote(const fs::path& p) {
  return "'" + p.string() + "'";
}

}  // namespace

Bytes make_png(int w, int h, std::uint8_t tint) {
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes ihdr;
  be32(ihdr, static_cast<std::uint32_t>(w));
  be32(ihdr, static_cast<std::uint32_t>(h));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB
  chunk(png, "IHDR", ihdr);
  Bytes raw;
  for (int y = 0; y < h; ++y) {
    raw.push_back(0);  // filter: none
    for (int x = 0; x < w; ++x)
      raw.insert(raw.end(), {static_cast<std::uint8_t>(x * 255 / w),
                             static_cast<std::uint8_t>(y * 255 / h), tint});
  }
  // zlib with stored blocks (no compression needed for a test image).
  Bytes z = {0x78, 0x01};
  for (std::size_t pos = 0; pos < raw.size();) {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - pos);
    z.push_back(pos + n == raw.size() ? 1 : 0);
    z.push_back(n & 0xFF);
    z.push_back(n >> 8);
    z.push_back(~n & 0xFF);
    z.push_back((~n >> 8) & 0xFF);
    z.insert(z.end(), raw.begin() + pos, raw.begin() + pos + n);
    pos += n;
  }
  std::uint32_t a = 1, b = 0;
  for (std::uint8_t c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  be32(z, (b << 16) | a);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return png;
}

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

bool have_tool(const std::string& name) {
  return reel::testing::run_command("command -v " + name + " >/dev/null 2>&1").status == 0;
}

bool make_mp4(const fs::path& out, bool faststart) {
  if (!have_tool("ffmpeg")) return false;
  const std::string cmd =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=24 -t 1 "
      "-c:v libx264 -pix_fmt yuv420p " +
      std::string(faststart ? "-movflags +faststart " : "") + shell_quote(out);
  return reel::testing::run_command(cmd, true).status == 0 && fs::exists(out);
}

std::string frame_md5(const fs::path& mp4) {
  auto r = reel::testing::run_command("ffmpeg -nostdin -loglevel error -i " + shell_quote(mp4) +
                                      " -map 0:v -f framemd5 -");
  if (r.status != 0) return "";
  std::string lines;
  // Keep only frame lines: the header names the input.
  std::size_t pos = 0;
  while (pos < r.output.size()) {
    const std::size_t nl = r.output.find('\n', pos);
    const std::string line =
        r.output.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && line[0] != '#') lines += line + "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return lines;
}

model::ModelCard studio_card(const std::string& id) {
  model::ModelCard c;
  c.id = id;
  c.version = "1.0";
  c.name = "reel studio " + id;
  c.publisher = "reel";
  c.licence = "Apache-2.0";
  c.training_data = model::TrainingData::synthetic;
  c.training_data_note = "procedural, no training data";
  return c;
}

ManifestFacts sample_facts(const std::string& title) {
  ManifestFacts f;
  f.title = title;
  f.models.push_back(
      {"animate", studio_card("studio-animator"), Json{{"motion", "walk left"}, {"seed", 7}}});
  f.models.push_back({"character", studio_card("studio-character"), Json{{"prompt", "astronaut"}}});
  f.ingredients.push_back({"character.png", "image/png", make_png(16, 16, 200), "inputTo", false});
  f.ingredients.push_back(
      {"background.png", "image/png", make_png(16, 16, 30), "componentOf", true});
  f.cost = Json{{"total_usd", 0.0012}, {"compute_seconds", 1.5}};
  f.notes.push_back("test manifest");
  return f;
}

std::optional<std::size_t> find_box(const Bytes& f, const std::string& type) {
  std::size_t pos = 0;
  while (pos + 8 <= f.size()) {
    std::uint64_t size =
        (std::uint64_t{f[pos]} << 24) | (f[pos + 1] << 16) | (f[pos + 2] << 8) | f[pos + 3];
    if (std::string(f.begin() + pos + 4, f.begin() + pos + 8) == type) return pos;
    if (size == 1) {
      size = 0;
      for (int i = 0; i < 8; ++i) size = (size << 8) | f[pos + 8 + i];
    }
    if (size < 8) return std::nullopt;
    pos += size;
  }
  return std::nullopt;
}

std::string node_verifier_missing() {
  if (!have_tool("node") || !have_tool("npm")) return "node/npm not installed";
  const fs::path mod =
      fs::path(REEL_SOURCE_DIR) / "tests/provenance/node/node_modules/@contentauth/c2pa-wasm";
  if (!fs::exists(mod))
    return "@contentauth/c2pa-wasm not installed (run: npm ci --prefix tests/provenance/node)";
  return "";
}

NodeVerdict node_verify(const fs::path& file, const std::string& mime, const fs::path& anchors) {
  const fs::path script = fs::path(REEL_SOURCE_DIR) / "tests/provenance/node/verify.mjs";
  std::string cmd = "node " + shell_quote(script) + " " + shell_quote(file) + " " + mime;
  if (!anchors.empty()) cmd += " " + shell_quote(anchors);
  auto r = reel::testing::run_command(cmd);
  NodeVerdict v;
  v.raw = r.output;
  try {
    const Json j = Json::parse(r.output);
    v.state = j.value("state", "");
    for (const auto& c : j.value("failure", Json::array()))
      v.failure.push_back(c.get<std::string>());
    for (const auto& c : j.value("success", Json::array()))
      v.success.push_back(c.get<std::string>());
    for (const auto& c : j.value("ingredient_failure", Json::array()))
      v.ingredient_failure.push_back(c.get<std::string>());
  } catch (const std::exception&) {
    v.state = "unparseable";
  }
  return v;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace reel::provenance::testing
