#include "reel/neural/tokenizer.hpp"

#include <dlfcn.h>
#include <sentencepiece_processor.h>

#include <algorithm>
#include <new>
#include <string>
#include <system_error>

#include "neural/io/pth_pickle.hpp"  // valid_utf8
#include "reel/core/error.hpp"

namespace reel::neural {

namespace {

// umT5's spiece.model is 4.55 MB; anything far larger is not a tokenizer.
constexpr std::uintmax_t kMaxModelBytes = 64u << 20;

using Processor = sentencepiece::SentencePieceProcessor;
using Status = sentencepiece::util::Status;

// libsentencepiece bundles its own protobuf-lite and exports it; a process that also
// loads LibTorch's libprotobuf then binds protobuf's start-up code to sentencepiece's
// copy and crashes before main (seen: SIGSEGV in ReflectionOps::FindInitializationErrors).
// So the library is never linked: it is opened privately (RTLD_LOCAL keeps its symbols
// out of the global scope, RTLD_DEEPBIND binds its own references to its own copies),
// the processor is used through its virtual interface (the header gives the layout),
// and the three non-virtual functions needed are looked up by their Itanium names.
struct Library {
  void* handle = nullptr;
  void (*construct)(void*) = nullptr;                 // SentencePieceProcessor()
  void (*destroy_status)(void*) = nullptr;            // util::Status::~Status()
  const char* (*status_text)(const void*) = nullptr;  // util::Status::error_message()
  std::string error;
};

const Library& library() {
  static const Library lib = [] {
    Library l;
    l.handle = ::dlopen("libsentencepiece.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (l.handle == nullptr) {
      l.error = std::string("cannot load libsentencepiece.so.0 (") + ::dlerror() +
                "); install Debian's libsentencepiece0";
      return l;
    }
    l.construct = reinterpret_cast<void (*)(void*)>(
        ::dlsym(l.handle, "_ZN13sentencepiece22SentencePieceProcessorC1Ev"));
    l.destroy_status =
        reinterpret_cast<void (*)(void*)>(::dlsym(l.handle, "_ZN13sentencepiece4util6StatusD1Ev"));
    l.status_text = reinterpret_cast<const char* (*)(const void*)>(
        ::dlsym(l.handle, "_ZNK13sentencepiece4util6Status13error_messageEv"));
    if (l.construct == nullptr || l.destroy_status == nullptr || l.status_text == nullptr) {
      l.error = "libsentencepiece.so.0 lacks the functions reel uses; expected version 0.1.9x";
    }
    return l;
  }();
  if (!lib.error.empty()) throw Error(ErrorKind::Unsupported, lib.error);
  return lib;
}

// A Status returned by value lives in raw storage (guaranteed copy elision, so no
// constructor of ours runs) and is destroyed by the library's own destructor.
class StatusOf {
 public:
  template <class Call>
  explicit StatusOf(Call&& call) {
    ::new (static_cast<void*>(bytes_)) Status(call());
  }
  ~StatusOf() { library().destroy_status(bytes_); }
  StatusOf(const StatusOf&) = delete;
  StatusOf& operator=(const StatusOf&) = delete;
  bool ok() const { return std::launder(reinterpret_cast<const Status*>(bytes_))->ok(); }
  std::string text() const { return library().status_text(bytes_); }

 private:
  alignas(Status) unsigned char bytes_[sizeof(Status)];
};

}  // namespace

struct SentencePieceTokenizer::Impl {
  Processor* processor = nullptr;
  std::string what;

  Impl() {
    void* memory = ::operator new(sizeof(Processor));
    library().construct(memory);
    processor = static_cast<Processor*>(memory);
  }
  ~Impl() {
    processor->~Processor();  // virtual: runs the library's destructor
    ::operator delete(processor);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

SentencePieceTokenizer::SentencePieceTokenizer() : impl_(std::make_unique<Impl>()) {}
SentencePieceTokenizer::SentencePieceTokenizer(SentencePieceTokenizer&&) noexcept = default;
SentencePieceTokenizer& SentencePieceTokenizer::operator=(SentencePieceTokenizer&&) noexcept =
    default;
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

SentencePieceTokenizer SentencePieceTokenizer::open(const std::filesystem::path& spiece_model) {
  SentencePieceTokenizer t;
  t.impl_->what = spiece_model.string();
  std::error_code ec;
  const auto size = std::filesystem::file_size(spiece_model, ec);
  if (ec) {
    // A missing file is NotFound (exit 4) like every other missing weight file.
    const bool missing = ec == std::errc::no_such_file_or_directory;
    throw Error(missing ? ErrorKind::NotFound : ErrorKind::ModelLoad,
                t.impl_->what + ": cannot read (" + ec.message() +
                    "); expected a SentencePiece model (spiece.model)");
  }
  if (size > kMaxModelBytes) {
    throw Error(ErrorKind::ModelLoad, t.impl_->what + ": is " + std::to_string(size) +
                                          " bytes; a SentencePiece model is at most " +
                                          std::to_string(kMaxModelBytes));
  }
  const std::string path = spiece_model.string();
  const StatusOf status([&] { return t.impl_->processor->Load(path); });
  if (!status.ok()) {
    throw Error(ErrorKind::ModelLoad,
                t.impl_->what + ": is not a SentencePiece model (" + status.text() + ")");
  }
  return t;
}

std::vector<int> SentencePieceTokenizer::encode(std::string_view text) const {
  if (!pth::valid_utf8(text)) {
    throw Error(ErrorKind::InvalidInput, "prompt is not valid UTF-8; text must be UTF-8");
  }
  std::vector<int> ids;
  const StatusOf status([&] { return impl_->processor->Encode(text, &ids); });
  if (!status.ok()) {
    throw Error(ErrorKind::Internal, impl_->what + ": encoding failed: " + status.text());
  }
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int>& ids) const {
  for (int id : ids) {
    if (id < 0 || id >= vocab_size()) {
      throw Error(ErrorKind::InvalidInput, "token id " + std::to_string(id) +
                                               " is outside the vocabulary [0, " +
                                               std::to_string(vocab_size()) + ")");
    }
  }
  std::string text;
  const StatusOf status([&] { return impl_->processor->Decode(ids, &text); });
  if (!status.ok()) {
    throw Error(ErrorKind::Internal, impl_->what + ": decoding failed: " + status.text());
  }
  return text;
}

int SentencePieceTokenizer::vocab_size() const {
  return impl_->processor->GetPieceSize();
}
int SentencePieceTokenizer::eos_id() const {
  return impl_->processor->eos_id();
}
int SentencePieceTokenizer::pad_id() const {
  return impl_->processor->pad_id();
}

TokenizedPrompt tokenize_umt5(const SentencePieceTokenizer& tokenizer, std::string_view text,
                              std::size_t max_length) {
  if (max_length == 0) {
    throw Error(ErrorKind::InvalidInput, "max_length is 0; it must be at least 1 (room for EOS)");
  }
  if (tokenizer.eos_id() < 0 || tokenizer.pad_id() < 0) {
    throw Error(ErrorKind::ModelLoad,
                "the SentencePiece model defines no EOS or no pad piece; umT5 needs both (its "
                "spiece.model has pad 0, EOS 1)");
  }
  const std::vector<int> pieces = tokenizer.encode(text);
  TokenizedPrompt out;
  const std::size_t kept = std::min(pieces.size(), max_length - 1);
  out.ids.assign(pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(kept));
  out.ids.push_back(tokenizer.eos_id());
  out.length = out.ids.size();
  out.ids.resize(max_length, tokenizer.pad_id());
  return out;
}

}  // namespace reel::neural
