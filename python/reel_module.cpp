// The `reel` Python module: the seed-shaped API over the C++ SDK. Images and
// videos convert to NumPy arrays; reel errors become reel.ReelError (a ValueError)
// whose message starts with the error kind. Pipeline calls stop on Ctrl-C
// (interruptible.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>

#include "interruptible.hpp"
#include "reel/batch/batch.hpp"
#include "reel/core/error.hpp"
#include "reel/pipeline/pipeline_file.hpp"
#include "reel/sdk/api.hpp"
#include "reel/sdk/session.hpp"

namespace py = pybind11;
using reel::sdk::StillImage;
using reel::sdk::VideoClip;

namespace {

py::array_t<std::uint8_t> image_to_numpy(const reel::media::Image& img) {
  reel::media::Image u8 = img.to_u8();
  py::array_t<std::uint8_t> arr({u8.height(), u8.width(), 4});
  std::memcpy(arr.mutable_data(), u8.u8(), u8.pixel_count() * 4);
  return arr;
}

reel::media::Image numpy_to_image(const py::array& any) {
  if (!py::isinstance<py::array_t<std::uint8_t>>(any) || any.ndim() != 3 ||
      (any.shape(2) != 3 && any.shape(2) != 4))
    throw reel::Error(reel::ErrorKind::InvalidInput,
                      "an image array must be uint8 with shape (height, width, 3 or 4)");
  auto arr = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>(any);
  int h = static_cast<int>(arr.shape(0)), w = static_cast<int>(arr.shape(1));
  int c = static_cast<int>(arr.shape(2));
  reel::media::Image img(w, h);
  const std::uint8_t* src = arr.data();
  for (std::size_t i = 0; i < img.pixel_count(); ++i) {
    std::uint8_t* d = img.u8() + i * 4;
    d[0] = src[i * c], d[1] = src[i * c + 1], d[2] = src[i * c + 2];
    d[3] = c == 4 ? src[i * c + 3] : 255;
  }
  return img;
}

// The Python wrappers hand `extra` over as JSON text (they check it is a mapping).
reel::Json extra_from(const std::string& text) {
  return reel::parse_json(text, "extra");
}

py::dict json_to_dict(const reel::Json& j) {
  py::module_ json = py::module_::import("json");
  return json.attr("loads")(j.dump());
}

// character_generate and environment_generate take the same arguments; only the
// API they call and their default model differ.
template <class Params, class Generate>
void def_still_generator(py::module_& m, const char* name, const char* default_model,
                         Generate generate) {
  m.def(
      name,
      [generate](const std::string& prompt, const std::string& style, int width, int height,
                 std::uint64_t seed, const std::string& model, const std::string& negative_prompt,
                 const std::string& extra) {
        Params p{.prompt = prompt,
                 .style = style,
                 .width = width,
                 .height = height,
                 .seed = seed,
                 .model = model,
                 .negative_prompt = negative_prompt,
                 .extra = extra_from(extra)};
        return reel::python::run_interruptible([&](const reel::CancelToken& cancel) {
          Params call = p;
          call.cancel = cancel;
          return generate(call);
        });
      },
      py::arg("prompt"), py::arg("style") = "", py::arg("width") = 0, py::arg("height") = 0,
      py::arg("seed") = 0, py::arg("model") = default_model, py::arg("negative_prompt") = "",
      py::arg("extra") = "{}");
}

}  // namespace

PYBIND11_MODULE(reel, m) {
  m.doc() = "reel: multi-model AI video pipelines (C++ engine)";
  static py::exception<reel::Error> reel_error(m, "ReelError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const reel::Error& e) {
      std::string msg = std::string(reel::to_string(e.kind())) + ": " + e.what();
      reel_error(msg.c_str());
    }
  });

  py::class_<StillImage>(m, "Image", "A still made by reel (or imported), stored by content hash.")
      .def_property_readonly("width", &StillImage::width)
      .def_property_readonly("height", &StillImage::height)
      .def_property_readonly(
          "size", [](const StillImage& s) { return py::make_tuple(s.width(), s.height()); })
      .def_property_readonly("notes", &StillImage::notes)
      .def_property_readonly("hash", [](const StillImage& s) { return s.artifact().key.hex(); })
      .def(
          "numpy", [](const StillImage& s) { return image_to_numpy(s.image()); },
          "RGBA pixels as a (height, width, 4) uint8 array")
      .def(
          "__array__", [](const StillImage& s, py::object) { return image_to_numpy(s.image()); },
          py::arg("dtype") = py::none())
      .def(
          "save",
          [](const StillImage& s, const std::filesystem::path& p) {
            py::gil_scoped_release release;
            s.save(p);
          },
          py::arg("path"), "Write a PNG with Content Credentials")
      .def_static(
          "from_file",
          [](const std::filesystem::path& p) {
            py::gil_scoped_release release;
            return StillImage::from_file(p, reel::Session::default_session());
          },
          py::arg("path"))
      .def_static(
          "from_numpy",
          [](const py::array& a) {
            return StillImage::from_image(numpy_to_image(a), reel::Session::default_session());
          },
          py::arg("array"))
      .def("__repr__", [](const StillImage& s) {
        return "<reel.Image " + std::to_string(s.width()) + "x" + std::to_string(s.height()) + ">";
      });

  py::class_<VideoClip>(m, "Video", "A clip made by reel, stored as H.264 MP4.")
      .def_property_readonly("width", &VideoClip::width)
      .def_property_readonly("height", &VideoClip::height)
      .def_property_readonly(
          "size", [](const VideoClip& v) { return py::make_tuple(v.width(), v.height()); })
      .def_property_readonly("fps", &VideoClip::fps)
      .def_property_readonly("frame_count", &VideoClip::frame_count)
      .def_property_readonly("duration", &VideoClip::duration_seconds)
      .def_property_readonly("notes", &VideoClip::notes)
      .def_property_readonly("cost",
                             [](const VideoClip& v) { return json_to_dict(v.cost().to_json()); })
      .def(
          "numpy",
          [](const VideoClip& v) {
            const reel::media::Video* frames;
            {
              py::gil_scoped_release release;
              frames = &v.frames();
            }
            int n = static_cast<int>(frames->frames.size());
            py::array_t<std::uint8_t> arr({n, v.height(), v.width(), 4});
            std::size_t frame_bytes = std::size_t(v.width()) * v.height() * 4;
            for (int i = 0; i < n; ++i)
              std::memcpy(arr.mutable_data() + i * frame_bytes, frames->frames[i].u8(),
                          frame_bytes);
            return arr;
          },
          "frames as a (frames, height, width, 4) uint8 array")
      .def(
          "save",
          [](const VideoClip& v, const std::filesystem::path& p) {
            py::gil_scoped_release release;
            return v.save(p).string();
          },
          py::arg("path"),
          "Write the MP4 (signed) and its .cost.json; returns the cost file's path")
      .def(
          "save_contact_sheet",
          [](const VideoClip& v, const std::filesystem::path& p, int columns, int rows) {
            py::gil_scoped_release release;
            v.save_contact_sheet(p, columns, rows);
          },
          py::arg("path"), py::arg("columns") = 4, py::arg("rows") = 3)
      .def("__repr__", [](const VideoClip& v) {
        return "<reel.Video " + std::to_string(v.width()) + "x" + std::to_string(v.height()) + " " +
               std::to_string(v.frame_count()) + " frames>";
      });

  def_still_generator<reel::character_api::GenerateParams>(
      m, "character_generate", "studio-character",
      [](const auto& p) { return reel::character_api::generate(p); });
  def_still_generator<reel::environment_api::GenerateParams>(
      m, "environment_generate", "studio-environment",
      [](const auto& p) { return reel::environment_api::generate(p); });
  m.def(
      "animate_from_image",
      [](const StillImage& base, std::optional<StillImage> background, const std::string& motion,
         double duration, double fps, int width, int height, std::uint64_t seed,
         const std::string& model, std::optional<int> crf, const std::string& preset,
         const std::string& extra) {
        reel::animator_api::AnimateParams p{.base_image = base,
                                            .background = std::move(background),
                                            .motion = motion,
                                            .duration = duration,
                                            .fps = fps,
                                            .width = width,
                                            .height = height,
                                            .seed = seed,
                                            .model = model,
                                            .crf = crf,
                                            .preset = preset,
                                            .extra = extra_from(extra)};
        return reel::python::run_interruptible([&](const reel::CancelToken& cancel) {
          reel::animator_api::AnimateParams call = p;
          call.cancel = cancel;
          return reel::animator_api::animate_from_image(call);
        });
      },
      py::arg("base_image"), py::arg("background") = py::none(), py::arg("motion") = "",
      py::arg("duration") = 5.0, py::arg("fps") = 24.0, py::arg("width") = 0, py::arg("height") = 0,
      py::arg("seed") = 0, py::arg("model") = "studio-animator", py::arg("crf") = py::none(),
      py::arg("preset") = "", py::arg("extra") = "{}");
  m.def(
      "batch",
      [](const std::filesystem::path& pipeline, const py::object& rows,
         const std::filesystem::path& out, int jobs, const std::string& name,
         std::optional<double> budget, bool strict, bool resume) {
        // rows: a path to a .csv/.jsonl file, or a list of dicts (through JSON, so a
        // value is text, a number or a boolean exactly as in a JSONL file).
        reel::batch::Rows parsed;
        if (py::isinstance<py::list>(rows) || py::isinstance<py::tuple>(rows)) {
          std::string text =
              py::module_::import("json").attr("dumps")(py::list(rows)).cast<std::string>();
          parsed = reel::batch::rows_from_json(reel::Json::parse(text));
        } else {
          parsed = reel::batch::load_rows(rows.cast<std::filesystem::path>());
        }
        reel::pipeline::Graph tmpl = reel::pipeline::load_pipeline(pipeline);
        reel::batch::BatchOptions bo;
        bo.out_dir = out;
        bo.jobs = jobs;
        bo.name_template = name;
        bo.budget_usd = budget;
        bo.strict = strict;
        bo.resume = resume;
        // Ctrl-C: rows in flight finish and are recorded, then KeyboardInterrupt.
        auto result = reel::python::run_interruptible([&](const reel::CancelToken& cancel) {
          reel::batch::BatchOptions call = bo;
          call.stop = cancel;
          return reel::batch::run_batch(reel::Session::default_session(), tmpl, parsed, call);
        });
        py::list manifest;
        for (const auto& e : result.manifest) manifest.append(json_to_dict(e.to_json()));
        return manifest;
      },
      py::arg("pipeline"), py::arg("rows"), py::arg("out") = "batch", py::arg("jobs") = 1,
      py::arg("name") = "", py::arg("budget") = py::none(), py::arg("strict") = false,
      py::arg("resume") = false,
      "Render one output per row (docs/python.md): returns the manifest rows, one dict per "
      "row (key, line, status, output, seconds, usd, executed, cached, error)");
  m.def(
      "models",
      [] {
        py::list out;
        auto& registry = reel::Session::default_session().registry();
        registry.refresh();  // weights or keys may have changed since the session started
        for (const auto& mm : registry.models()) out.append(json_to_dict(mm->card().to_json()));
        return out;
      },
      "the registered models' cards");
}
