#pragma once
// Shared helpers for the provenance tests: small PNGs written byte by byte, MP4s made
// with the ffmpeg CLI (so these tests do not depend on reel's media layer), facts, and
// the independent Node verifier.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "reel/core/json.hpp"
#include "reel/provenance/provenance.hpp"

namespace reel::provenance::testing {

using Bytes = std::vector<std::uint8_t>;

// An RGB PNG of w x h with a deterministic gradient (stored deflate blocks).
Bytes make_png(int w, int h, std::uint8_t tint = 0);
Bytes read_bytes(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const Bytes& b);

bool have_tool(const std::string& name);
// Makes a 1 s 320x240 H.264 MP4; false when ffmpeg is missing or fails.
bool make_mp4(const std::filesystem::path& out, bool faststart);
// framemd5 lines of the decoded video (empty on failure).
std::string frame_md5(const std::filesystem::path& mp4);

model::ModelCard studio_card(const std::string& id = "studio-animator");
ManifestFacts sample_facts(const std::string& title);

// Offset of the first top-level box of `type` in an MP4, or nullopt.
std::optional<std::size_t> find_box(const Bytes& mp4, const std::string& type);

struct NodeVerdict {
  std::string state;  // "Valid", "Trusted", "Invalid", "Error"
  std::vector<std::string> failure, success, ingredient_failure;
  std::string raw;
};
// Why the Node verifier cannot run here ("" when it can).
std::string node_verifier_missing();
NodeVerdict node_verify(const std::filesystem::path& file, const std::string& mime,
                        const std::filesystem::path& anchors = {});

bool contains(const std::vector<std::string>& v, const std::string& s);

}  // namespace reel::provenance::testing
