#pragma once
// Deterministic test images for the media tests (media must not depend on studio, so
// the generator is a local SplitMix64 rather than studio::Rng).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "reel/media/image.hpp"

namespace reel::media::testing {

class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint8_t byte() { return static_cast<std::uint8_t>(next() >> 56); }

 private:
  std::uint64_t state_;
};

// Every byte (alpha included) random: the hardest case for an exact round trip.
inline Image noise_image(int w, int h, std::uint64_t seed) {
  Image img(w, h);
  SplitMix rng(seed);
  for (std::size_t i = 0; i < img.pixel_count() * 4; ++i) img.u8()[i] = rng.byte();
  return img;
}

// A smooth gradient with a few hard-edged shapes that move with `t`: what a
// generated clip looks like to an encoder (smooth areas plus edges).
inline Image gradient_shapes(int w, int h, int t = 0) {
  Image img(w, h);
  const float cx = w * (0.3f + 0.01f * t), cy = h * 0.5f, r = h * 0.2f;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = img.u8_pixel(x, y);
      p[0] = static_cast<std::uint8_t>(255 * x / std::max(1, w - 1));
      p[1] = static_cast<std::uint8_t>(255 * y / std::max(1, h - 1));
      p[2] = static_cast<std::uint8_t>(128 + 100 * std::sin((x + y + 4 * t) * 0.02f));
      p[3] = 255;
      const float dx = x - cx, dy = y - cy;
      if (dx * dx + dy * dy < r * r) {
        p[0] = 240, p[1] = 200, p[2] = 40;
      }
      if (x > w * 0.65f && x < w * 0.85f && y > h * 0.2f && y < h * 0.45f) {
        p[0] = 30, p[1] = 60, p[2] = 200;
      }
    }
  return img;
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  std::string s;
  if (!f) return s;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

inline void write_bytes(const std::filesystem::path& path, const std::string& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
}

}  // namespace reel::media::testing

namespace reel::media::testing {

inline std::uint32_t png_crc(const std::string& s) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

inline std::string be32(std::uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

inline std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(png_crc(type + data));
}

// A PNG assembled by hand (deflate "stored" blocks, no compression), so tests can
// build colour types and chunks that no encoder at hand writes. `rows` holds the raw
// scanlines, each already starting with its filter byte.
inline std::string handmade_png(int w, int h, int bit_depth, int colour_type,
                                const std::string& rows, const std::string& extra_chunks = "") {
  std::string z = "\x78\x01";
  std::uint32_t a = 1, b = 0;
  for (unsigned char c : rows) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  for (std::size_t at = 0; at < rows.size() || at == 0; at += 65535) {
    const std::size_t n = std::min<std::size_t>(65535, rows.size() - at);
    const bool last = at + n >= rows.size();
    z += char(last ? 1 : 0);
    z += char(n & 0xFF), z += char(n >> 8), z += char(~n & 0xFF), z += char((~n >> 8) & 0xFF);
    z += rows.substr(at, n);
    if (last) break;
  }
  z += be32((b << 16) | a);
  std::string ihdr = be32(w) + be32(h) + char(bit_depth) + char(colour_type) + '\0' + '\0' + '\0';
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + extra_chunks +
         png_chunk("IDAT", z) + png_chunk("IEND", "");
}

}  // namespace reel::media::testing
