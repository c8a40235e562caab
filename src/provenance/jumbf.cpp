#include "reel/provenance/jumbf.hpp"

#include "provenance/bytes.hpp"
#include "provenance/utf8.hpp"
#include "reel/core/error.hpp"

namespace reel::provenance {

Uuid16 jumbf_type(std::string_view fourcc) {
  REEL_ASSERT(fourcc.size() == 4);
  Uuid16 u = {0, 0, 0, 0, 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  for (int i = 0; i < 4; ++i) u[i] = static_cast<std::uint8_t>(fourcc[i]);
  return u;
}

JumbfBox JumbfBox::super(std::string_view type4cc, std::string label,
                         std::vector<JumbfBox> children) {
  JumbfBox b;
  b.type = jumbf_type(type4cc);
  b.label = std::move(label);
  b.children = std::move(children);
  return b;
}

JumbfBox JumbfBox::content_box(std::string type4cc, std::vector<std::uint8_t> data) {
  REEL_ASSERT(type4cc.size() == 4);
  JumbfBox b;
  b.is_super = false;
  b.content_type = std::move(type4cc);
  b.content = std::move(data);
  return b;
}

const JumbfBox* JumbfBox::child(std::string_view l) const {
  for (const auto& c : children)
    if (c.is_super && c.label == l) return &c;
  return nullptr;
}

const JumbfBox* JumbfBox::first_content() const {
  for (const auto& c : children)
    if (!c.is_super) return &c;
  return nullptr;
}

namespace {

void write_box(const JumbfBox& b, Bytes& out);

void write_body(const JumbfBox& b, Bytes& out) {
  if (!b.is_super) {
    out.insert(out.end(), b.content.begin(), b.content.end());
    return;
  }
  // jumd: type UUID, toggles, NUL-terminated label. Only the label toggle is written,
  // so optional ID / signature / private fields never appear in our output.
  const std::size_t jumd_size = 8 + 16 + 1 + b.label.size() + 1;
  put_be32(out, static_cast<std::uint32_t>(jumd_size));
  put_fourcc(out, "jumd");
  out.insert(out.end(), b.type.begin(), b.type.end());
  out.push_back(0x03);
  out.insert(out.end(), b.label.begin(), b.label.end());
  out.push_back(0);
  for (const auto& c : b.children) write_box(c, out);
}

void write_box(const JumbfBox& b, Bytes& out) {
  if (!b.raw.empty()) {
    out.insert(out.end(), b.raw.begin(), b.raw.end());
    return;
  }
  const std::size_t start = out.size();
  put_be32(out, 0);
  put_fourcc(out, b.is_super ? "jumb" : b.content_type);
  write_body(b, out);
  const std::size_t size = out.size() - start;
  if (size > 0xFFFFFFFFu) throw Error(ErrorKind::InvalidInput, "JUMBF box larger than 4 GiB");
  set_be32(out, start, static_cast<std::uint32_t>(size));
}

class Reader {
 public:
  Reader(std::span<const std::uint8_t> d, const JumbfLimits& l) : data_(d), limits_(l) {}

  // Reads the box at [pos, end); returns it and advances pos.
  JumbfBox box(std::size_t& pos, std::size_t end, std::size_t depth) {
    if (depth > limits_.max_depth)
      fail(pos, "boxes nested deeper than " + std::to_string(limits_.max_depth));
    if (++boxes_ > limits_.max_boxes) fail(pos, "too many boxes");
    if (end - pos < 8) fail(pos, "box header truncated");
    const std::size_t start = pos;
    std::uint64_t size = get_be32(data_, pos);
    const std::string type = get_fourcc(data_, pos + 4);
    std::size_t header = 8;
    if (size == 1) {
      if (end - pos < 16) fail(pos, "large box header truncated");
      size = get_be64(data_, pos + 8);
      header = 16;
    } else if (size == 0) {
      size = end - pos;  // extends to the end of its parent
    }
    if (size < header || size > end - pos)
      fail(pos, "box '" + printable(type) + "' size " + std::to_string(size) +
                    " does not fit in its parent (" + std::to_string(end - pos) + " bytes left)");
    const std::size_t body = pos + header;
    const std::size_t box_end = pos + static_cast<std::size_t>(size);
    pos = box_end;

    JumbfBox b;
    b.offset = start;
    b.size = box_end - start;
    if (type != "jumb") {
      b.is_super = false;
      b.content_type = type;
      b.content.assign(data_.begin() + body, data_.begin() + box_end);
      return b;
    }
    std::size_t p = body;
    read_description(b, p, box_end);
    while (p < box_end) b.children.push_back(box(p, box_end, depth + 1));
    return b;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& why) const {
    throw Error(ErrorKind::InvalidInput,
                "malformed JUMBF at byte " + std::to_string(at) + ": " + why);
  }
  static std::string printable(const std::string& s) {
    std::string o;
    for (char c : s) o.push_back(c >= 0x20 && c < 0x7F ? c : '?');
    return o;
  }

  void read_description(JumbfBox& b, std::size_t& p, std::size_t end) {
    if (end - p < 8) fail(p, "superbox without a description box");
    const std::uint32_t size = get_be32(data_, p);
    if (get_fourcc(data_, p + 4) != "jumd") fail(p, "superbox does not start with 'jumd'");
    if (size < 8 + 17 || size > end - p)
      fail(p, "description box size " + std::to_string(size) + " is invalid");
    const std::size_t dend = p + size;
    std::size_t q = p + 8;
    std::copy(data_.begin() + q, data_.begin() + q + 16, b.type.begin());
    q += 16;
    b.toggles = data_[q++];
    if (b.toggles & 0x02) {
      std::size_t nul = q;
      while (nul < dend && data_[nul] != 0) ++nul;
      if (nul == dend) fail(q, "description label is not NUL-terminated");
      b.label.assign(data_.begin() + q, data_.begin() + nul);
      if (!is_valid_utf8(b.label)) fail(q, "description label is not valid UTF-8");
      q = nul + 1;
    }
    if (b.toggles & 0x04) {
      if (dend - q < 4) fail(q, "description ID truncated");
      q += 4;
    }
    if (b.toggles & 0x08) {
      if (dend - q < 32) fail(q, "description signature truncated");
      q += 32;
    }
    // Anything left is the optional private box (e.g. c2pa-rs's `c2sh` salt); it is
    // part of the hashed bytes, so it is skipped here, never dropped from hashing.
    p = dend;
  }

  std::span<const std::uint8_t> data_;
  const JumbfLimits& limits_;
  std::size_t boxes_ = 0;
};

}  // namespace

std::vector<std::uint8_t> jumbf_write(const JumbfBox& box) {
  Bytes out;
  write_box(box, out);
  return out;
}

std::vector<std::uint8_t> jumbf_write_body(const JumbfBox& box) {
  Bytes out;
  write_body(box, out);
  return out;
}

JumbfBox jumbf_read(std::span<const std::uint8_t> data, const JumbfLimits& limits) {
  Reader r(data, limits);
  std::size_t pos = 0;
  JumbfBox b = r.box(pos, data.size(), 0);
  if (!b.is_super)
    throw Error(ErrorKind::InvalidInput, "malformed JUMBF: the outer box is not a 'jumb' superbox");
  if (pos != data.size())
    throw Error(ErrorKind::InvalidInput, "malformed JUMBF: " + std::to_string(data.size() - pos) +
                                             " bytes after the outer box");
  return b;
}

}  // namespace reel::provenance
