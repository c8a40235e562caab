// reel neural generate: text (or text + image) → video frames with a Wan checkpoint
// folder. Speaks to its parent in JSON lines on stdout; SIGTERM cancels it.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "args.hpp"
#include "commands.hpp"
#include "reel/core/error.hpp"
#include "reel/core/json.hpp"
#include "reel/neural/runtime.hpp"
#include "reel/neural/wan_generate.hpp"

namespace reel::neural_cli {
namespace {

constexpr const char* kUsage =
    "usage: reel neural generate --folder DIR --request REQ.json --out OUT.safetensors "
    "[--device cpu|cuda[:N]] [--dtype fp32|bf16|fp16] [--offload] [--tile PX [--overlap PX]] "
    "[--debug-float]\n"
    "  DIR: a Wan checkpoint folder in the publisher's layout (docs/neural.md)\n"
    "  REQ.json: {\"task\": \"t2v\"|\"i2v\"|\"t2i\", \"prompt\", \"negative_prompt\", \"width\", "
    "\"height\", \"frames\", \"steps\", \"shift\", \"guidance\", \"sampler\": \"unipc\"|\"euler\", "
    "\"seed\", \"image\" (i2v)}\n"
    "  OUT: frames U8 [T, H, W, 3] (+ video F32 [3, T, H, W] with --debug-float), timings as "
    "metadata\n"
    "  stdout: one JSON line per event ({\"progress\", \"message\"}), last {\"done\": true, ...}\n"
    "  dtype: without --dtype, DiT and umT5 in bf16 on CPUs with bf16 instructions (else fp32) "
    "and the VAE in fp32; --dtype sets all three";

// What the main thread is doing, for the signal thread: a run is abandoned on SIGTERM
// unless its output is already being written (then it finishes and removes the file).
enum State : int { kRunning, kWriting, kFinished };
std::atomic<int> g_state{kRunning};
constexpr auto kCancelGrace = std::chrono::milliseconds(500);

void print_line(const Json& j) {
  const std::string s = j.dump() + "\n";
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// SIGTERM/SIGINT: a handler (process-wide, since LibTorch may have started threads that
// would not see a per-thread mask) writes to a pipe; this thread reads it and cancels
// the token so the run stops at the next step. A stage that does not return within the
// grace (one DiT step of a large model can take minutes on a CPU) is abandoned with
// _exit, which is safe because nothing has been written yet: the output is written only
// in kWriting.
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int) {
  const char byte = 1;
  [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &byte, 1);
}

void watch_signals(CancelToken cancel) {
  char byte = 0;
  ssize_t got = 0;
  while ((got = ::read(g_signal_pipe[0], &byte, 1)) < 0 && errno == EINTR) {
  }
  if (got != 1) return;  // the pipe failed: no signal was seen, so nothing to cancel
  cancel.cancel();
  const auto deadline = std::chrono::steady_clock::now() + kCancelGrace;
  while (std::chrono::steady_clock::now() < deadline || g_state.load() == kWriting) {
    if (g_state.load() == kFinished) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (g_state.load() == kFinished) return;
  const char msg[] = "reel: error: cancelled (signal received)\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  ::_exit(exit_code(ErrorKind::Cancelled));
}

void install_stop_handler(const CancelToken& cancel) {
  if (::pipe(g_signal_pipe) != 0)
    throw Error(ErrorKind::Io, "generate: cannot create the signal pipe");
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::thread(watch_signals, cancel).detach();
}

}  // namespace

int generate(const Argv& argv) {
  for (const auto& a : argv) {
    if (a == "--help" || a == "-h") {
      std::puts(kUsage);
      return 0;
    }
  }
  CancelToken cancel;
  install_stop_handler(cancel);

  cli::Args args(argv, {"--debug-float", "--offload"},
                 {"--folder", "--request", "--out", "--device", "--dtype", "--tile", "--overlap"});
  args.max_positional(0, kUsage);
  const auto need = [&](const std::string& name) {
    auto v = args.value(name);
    if (!v) throw Error(ErrorKind::InvalidInput, "missing " + name + "\n" + kUsage);
    return *v;
  };
  neural::WanGenerateOptions o;
  o.folder = need("--folder");
  o.request = need("--request");
  o.out = need("--out");
  o.device = neural::parse_device(args.value("--device").value_or("cpu"));
  o.dtype = compute_dtype(args, o.device);
  // The default keeps the VAE in fp32, as the official pipeline does; an explicit --dtype
  // applies to every part (bf16 VAE decodes differ visibly: docs/neural.md).
  if (!args.value("--dtype")) o.vae_dtype = neural::DType::f32;
  o.debug_float = args.flag("--debug-float");
  o.offload = args.flag("--offload");
  if (auto v = args.value("--tile"))
    o.vae_tile = static_cast<int>(cli::parse_integer(*v, "--tile", 1, 16384));
  if (auto v = args.value("--overlap"))
    o.vae_overlap = static_cast<int>(cli::parse_integer(*v, "--overlap", 0, 16384));
  o.cancel = cancel;
  o.on_progress = [](double fraction, const std::string& message) {
    // Four decimals: enough for a progress bar, and 0.2325 reads better than 0.23249999999999998.
    print_line(Json{{"progress", std::round(fraction * 1e4) / 1e4}, {"message", message}});
  };
  o.on_writing = [] { g_state.store(kWriting); };

  neural::WanGenerateReport r;
  try {
    r = neural::wan_generate_files(o);
  } catch (...) {
    g_state.store(kFinished);
    throw;
  }
  if (cancel.cancelled()) {  // the signal came while the file was being written
    std::error_code ec;
    std::filesystem::remove(o.out, ec);
    g_state.store(kFinished);
    throw Error(ErrorKind::Cancelled, "cancelled (signal received)");
  }
  g_state.store(kFinished);
  print_line(Json{{"done", true},
                  {"out", o.out.string()},
                  {"t5_seconds", r.t5_seconds},
                  {"dit_seconds", r.dit_seconds},
                  {"dit_steps", r.dit_steps},
                  {"vae_seconds", r.vae_seconds},
                  {"total_seconds", r.total_seconds},
                  {"device", r.device},
                  {"dtype", r.dtype},
                  {"vae_dtype", r.vae_dtype}});
  return 0;
}

}  // namespace reel::neural_cli
