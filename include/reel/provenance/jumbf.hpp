#pragma once
// JUMBF (ISO/IEC 19566-5) boxes as C2PA uses them: a superbox `jumb` starts with a
// description box `jumd` (type UUID, toggles, label) followed by child superboxes or
// content boxes (`cbor`, `json`, ...). The reader treats its input as hostile: every
// size is checked against its parent, depth and box counts are bounded.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reel::provenance {

using Uuid16 = std::array<std::uint8_t, 16>;

// C2PA JUMBF type UUIDs: 4 ASCII bytes + 0011-0010-8000-00AA00389B71 (§11.1.4).
Uuid16 jumbf_type(std::string_view fourcc);

struct JumbfBox {
  // Superbox fields (is_super): description + children.
  bool is_super = true;
  Uuid16 type{};
  std::string label;
  std::uint8_t toggles = 0x03;  // requestable + label present
  std::vector<JumbfBox> children;
  // Content box fields (!is_super).
  std::string content_type;  // 4cc, e.g. "cbor"
  std::vector<std::uint8_t> content;
  // When non-empty the box is written verbatim (a carried foreign manifest, whose
  // hashes cover its exact bytes). The reader does not fill it.
  std::vector<std::uint8_t> raw;
  // Set by the reader: where the whole box (header included) sits in the parsed buffer.
  std::size_t offset = 0;
  std::size_t size = 0;

  static JumbfBox super(std::string_view type4cc, std::string label,
                        std::vector<JumbfBox> children = {});
  static JumbfBox content_box(std::string type4cc, std::vector<std::uint8_t> data);

  const JumbfBox* child(std::string_view label) const;  // first child superbox with label
  const JumbfBox* first_content() const;                // first content child
  bool has_type(std::string_view fourcc) const { return type == jumbf_type(fourcc); }
};

// Serialises a box (always 32-bit sizes).
std::vector<std::uint8_t> jumbf_write(const JumbfBox& box);
// Bytes of a superbox without its 8-byte header: what C2PA hashed URIs cover (§8.4.2.3).
std::vector<std::uint8_t> jumbf_write_body(const JumbfBox& box);

struct JumbfLimits {
  std::size_t max_depth = 16;
  std::size_t max_boxes = 100000;
};
// Parses one superbox that spans all of `data`; throws InvalidInput on malformed input.
JumbfBox jumbf_read(std::span<const std::uint8_t> data, const JumbfLimits& limits = {});

}  // namespace reel::provenance
