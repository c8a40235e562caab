// t5_encode_files: the `reel neural t5-encode` tool.
#include <chrono>
#include <cstring>

#include "neural/umt5.hpp"
#include "reel/core/error.hpp"
#include "reel/neural/safetensors.hpp"
#include "reel/neural/tools.hpp"

namespace reel::neural {

void t5_encode_files(const T5EncodeOptions& o) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  const auto config =
      o.t5_config.empty() ? UMT5Config::xxl() : UMT5Config::from_json_file(o.t5_config);
  if (o.text_len < 1 || o.text_len > 4096) {
    throw Error(ErrorKind::InvalidInput,
                "text_len must be in [1, 4096], got " + std::to_string(o.text_len));
  }
  // Cheap checks first, so a bad prompt or tokenizer fails before gigabytes load.
  const std::string cleaned = clean_prompt(o.prompt);
  const auto tokenizer = SentencePieceTokenizer::open(o.tokenizer);
  if (tokenizer.vocab_size() > config.vocab) {
    throw Error(ErrorKind::ModelLoad, "tokenizer " + o.tokenizer.string() + " has " +
                                          std::to_string(tokenizer.vocab_size()) +
                                          " pieces, more than the encoder's vocab " +
                                          std::to_string(config.vocab));
  }
  const auto t0 = Clock::now();
  UMT5Encoder encoder(config, o.device, o.dtype);
  encoder.load(o.weights);
  const auto t1 = Clock::now();
  const auto framed = tokenize_umt5(tokenizer, cleaned, o.text_len);
  const auto context = encoder.encode(tokenizer, o.prompt, o.text_len).to(at::kCPU).contiguous();
  const auto t2 = Clock::now();

  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(context.numel()) * sizeof(float));
  std::memcpy(bytes.data(), context.data_ptr<float>(), bytes.size());
  std::vector<std::uint8_t> id_bytes(framed.length * sizeof(std::int64_t));
  std::memcpy(id_bytes.data(), framed.ids.data(), id_bytes.size());
  const auto length = static_cast<std::int64_t>(framed.length);
  write_safetensors(o.out,
                    {{"context", DType::f32, {length, config.dim}, std::move(bytes)},
                     {"ids", DType::i64, {length}, std::move(id_bytes)}},
                    Json{{"prompt", cleaned},
                         {"length", std::to_string(length)},
                         {"device", to_string(o.device)},
                         {"dtype", std::string(compute_dtype_name(o.dtype))},
                         {"load_seconds", std::to_string(seconds(t0, t1))},
                         {"encode_seconds", std::to_string(seconds(t1, t2))}});
}

}  // namespace reel::neural
