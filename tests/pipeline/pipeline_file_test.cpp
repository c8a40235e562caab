// Pipeline files (YAML and JSON, one schema) and --set overrides.
#include "reel/pipeline/pipeline_file.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <regex>

#include "reel/core/error.hpp"
#include "support/test_dirs.hpp"
#include "support/test_models.hpp"

namespace reel::pipeline {
namespace {

const char* kYaml = R"(# the film, in YAML
reel: 1
name: demo
seed: 42
output: film
steps:
  - id: character
    task: text_to_image
    model: img
    params:
      prompt: female astronaut
      width: 512
      height: 512
  - id: film
    task: image_to_video
    model: vid
    seed: 7
    inputs:
      image: character
      background: file:mars.png
    params:
      motion: "subtle head turn"
      duration: 5
      fps: 23.976
      extra: {loop: true, note: ~}
)";

const char* kJson = R"({
  "reel": 1, "name": "demo", "seed": 42, "output": "film",
  "steps": [
    {"id": "character", "task": "text_to_image", "model": "img",
     "params": {"prompt": "female astronaut", "width": 512, "height": 512}},
    {"id": "film", "task": "image_to_video", "model": "vid", "seed": 7,
     "inputs": {"image": "character", "background": "file:mars.png"},
     "params": {"motion": "subtle head turn", "duration": 5, "fps": 23.976,
                "extra": {"loop": true, "note": null}}}
  ]
})";

// Parses and expects InvalidInput whose message has every part.
std::string refuse(std::string_view text, std::initializer_list<std::string> parts,
                   FileFormat format = FileFormat::yaml, const std::string& what = "p.yaml") {
  try {
    parse_pipeline(text, format, what);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.message();
    for (const auto& p : parts)
      EXPECT_NE(e.message().find(p), std::string::npos)
          << "'" << p << "' missing from: " << e.message();
    return e.message();
  }
  ADD_FAILURE() << "accepted: " << text.substr(0, 200);
  return {};
}

bool has_position(const std::string& message, const std::string& what = "p.yaml") {
  return std::regex_search(message, std::regex("^" + what + ":[0-9]+:[0-9]+: "));
}

TEST(PipelineFile, YamlAndJsonOfTheSamePipelineAreEqual) {
  Graph y = parse_pipeline(kYaml, FileFormat::yaml);
  Graph j = parse_pipeline(kJson, FileFormat::json);
  EXPECT_EQ(y.to_json(), j.to_json());
  EXPECT_EQ(parse_pipeline(kJson).to_json(), j.to_json());  // detected
  EXPECT_EQ(parse_pipeline(kYaml).to_json(), j.to_json());

  EXPECT_EQ(y.name, "demo");
  EXPECT_EQ(y.seed, 42u);
  EXPECT_EQ(y.output, "film");
  ASSERT_EQ(y.steps.size(), 2u);
  const Step& film = y.steps[1];
  EXPECT_EQ(film.task, model::Task::image_to_video);
  EXPECT_EQ(film.seed, 7u);
  EXPECT_FALSE(y.steps[0].seed.has_value());
  EXPECT_EQ(film.inputs.at("background"), "file:mars.png");
  EXPECT_TRUE(film.params["duration"].is_number_integer());
  EXPECT_TRUE(film.params["fps"].is_number_float());
  EXPECT_DOUBLE_EQ(film.params["fps"].get<double>(), 23.976);
  EXPECT_TRUE(film.params["extra"]["loop"].is_boolean());
  EXPECT_TRUE(film.params["extra"]["note"].is_null());
}

TEST(PipelineFile, YamlScalarsAreTypedLikeYamlCoreSchema) {
  Graph g = parse_pipeline(R"(steps:
  - id: s
    task: text_to_image
    params:
      extra:
        int: 1280
        neg: -3
        hex: 0x10
        float: 1.5
        exp: 1e3
        yes_word: yes
        quoted_int: "5"
        single_quoted: '5'
        tagged: !!str 5
        bool: false
        nul: null
        tilde: ~
        empty:
        text: red robot
        big: 18446744073709551615
        block: |
          two
          lines
)");
  const Json& e = g.steps[0].params["extra"];
  EXPECT_EQ(e["int"], 1280);
  EXPECT_TRUE(e["int"].is_number_integer());
  EXPECT_EQ(e["neg"], -3);
  EXPECT_EQ(e["hex"], 16);
  EXPECT_TRUE(e["float"].is_number_float());
  EXPECT_DOUBLE_EQ(e["exp"].get<double>(), 1000.0);
  EXPECT_EQ(e["yes_word"], "yes");  // YAML 1.2: only true/false are booleans
  EXPECT_EQ(e["quoted_int"], "5");
  EXPECT_EQ(e["single_quoted"], "5");
  EXPECT_EQ(e["tagged"], "5");
  EXPECT_EQ(e["bool"], false);
  EXPECT_TRUE(e["nul"].is_null());
  EXPECT_TRUE(e["tilde"].is_null());
  EXPECT_TRUE(e["empty"].is_null());
  EXPECT_EQ(e["text"], "red robot");
  EXPECT_EQ(e["big"].get<std::uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(e["block"], "two\nlines\n");
  EXPECT_EQ(g.steps[0].model, "auto");  // the default
  EXPECT_EQ(g.name, "pipeline");
}

TEST(PipelineFile, MalformedYamlIsRefusedWithItsPosition) {
  std::string m = refuse("reel: 1\nsteps: [\n  {id: a, task: text_to_image}\n", {});
  EXPECT_TRUE(has_position(m)) << m;
  m = refuse("steps:\n\t- id: a\n", {"p.yaml:2:", "tab"});
  m = refuse("reel: 1\nsteps: 5\n", {"p.yaml:2:8: ", "steps", "must be a list"});
  m = refuse("seed: -1\nsteps: []\n", {"p.yaml:1:7: ", "seed", "non-negative"});
  m = refuse("seed: 1.5\nsteps: []\n", {"p.yaml:1:7: ", "non-negative integer"});
  m = refuse("reel: 2\nsteps: []\n", {"p.yaml:1:7: ", "schema version 2", "reads 1"});
  m = refuse("steps: []\nmodels: x\n", {"p.yaml:2:9: ", "unknown top-level key 'models'",
                                        "allowed: reel, name, seed, output, steps"});
  m = refuse("steps:\n  - id: a\n    task: dance\n",
             {"p.yaml:3:11: ", "unknown task 'dance'", "text_to_image", "upscale"});
  m = refuse("steps:\n  - id: a\n    task: text_to_image\n    prams: {}\n",
             {"p.yaml:4:12: ", "unknown step key 'prams'",
              "allowed: id, task, model, inputs, params, seed"});
  m = refuse("steps:\n  - task: text_to_image\n", {"p.yaml:2:", "steps[0]", "'id' is missing"});
  m = refuse("steps:\n  - id: a\n", {"p.yaml:2:", "'task' is missing"});
  m = refuse("steps:\n  - id: 5\n    task: upscale\n", {"p.yaml:2:9: ", "must be text"});
  m = refuse("steps:\n  - id: a\n    task: upscale\n    inputs: [a]\n", {"p.yaml:4:", "mapping"});
  m = refuse("steps:\n  - id: a\n    task: upscale\n    params: 3\n", {"p.yaml:4:", "mapping"});
  m = refuse("steps:\n  - 5\n", {"p.yaml:2:5: ", "a step is a mapping"});
  m = refuse("name: x\n", {"'steps' is missing"});
  m = refuse("", {"empty"});
  m = refuse("- a\n- b\n", {"a pipeline is a mapping"});
  m = refuse("steps: []\nsteps: []\n", {"p.yaml:2:", "duplicate key 'steps'"});
  m = refuse("seed: !!int abc\nsteps: []\n", {"p.yaml:1:", "!!int"});
  m = refuse("seed: !custom 1\nsteps: []\n", {"p.yaml:1:", "unsupported tag"});
  m = refuse("seed: .inf\nsteps: []\n", {"p.yaml:1:", "finite"});
  m = refuse(std::string("name: a\xff") + "b\nsteps: []\n", {"p.yaml:1:", "UTF-8"});
}

TEST(PipelineFile, MalformedJsonIsRefusedWithItsPosition) {
  std::string m =
      refuse("{\n  \"steps\": [\n    {\"id\": \"a\",}\n  ]\n}", {}, FileFormat::json, "p.json");
  EXPECT_TRUE(has_position(m, "p.json")) << m;
  EXPECT_NE(m.find("p.json:3:"), std::string::npos) << m;
  refuse("{\"steps\": 5}", {"p.json", "steps", "must be a list"}, FileFormat::json, "p.json");
  refuse("{\"steps\": [], \"seed\": -1}", {"non-negative"}, FileFormat::json, "p.json");
  refuse("{\"steps\": [{\"id\": \"a\", \"task\": \"x\"}]}", {"steps[0]", "unknown task 'x'"},
         FileFormat::json, "p.json");
  refuse("{\"steps\": [], \"name\": \"\\udc00\"}", {"p.json"}, FileFormat::json, "p.json");
  // Found by fuzz_pipeline: nlohmann reports this as out_of_range, not parse_error.
  refuse("{\"steps\": [], \"seed\": 3e400}", {"p.json", "overflow", "finite"}, FileFormat::json,
         "p.json");
  // Strict like YAML: a repeated key or bytes after the document are mistakes, not last-wins.
  refuse("{\"steps\": [], \"seed\": 1, \"seed\": 2}",
         {"p.json: duplicate key 'seed' in the object at the top level"}, FileFormat::json,
         "p.json");
  refuse(std::string("{\"steps\": []}\0{}", 16), {"p.json:1:14: a NUL byte"}, FileFormat::json,
         "p.json");
  refuse("{\"steps\": []} {}", {"p.json:1:15: unexpected bytes after the JSON value"},
         FileFormat::json, "p.json");
}

TEST(PipelineFile, HostileInputIsRefusedWithoutCrashing) {
  auto started = std::chrono::steady_clock::now();
  refuse(std::string((1 << 20) + 1, '#'), {"1048577 bytes", "at most 1048576"});
  refuse("steps: " + std::string(100000, '[') + std::string(100000, ']') + "\n", {"p.yaml"});
  std::string dashes;
  for (int i = 0; i < 20000; ++i) dashes += "- ";
  refuse("steps:\n" + dashes + "x\n", {"p.yaml"});
  refuse("{\"steps\": " + std::string(100000, '[') + std::string(100000, ']') + "}",
         {"p.json", "nested deeper than"}, FileFormat::json, "p.json");
  refuse("steps: [{id: a, task: upscale, params: {extra: " + std::string(40, '[') +
             std::string(40, ']') + "}}]\n",
         {"nested deeper than"});

  // "Billion laughs": nine levels of ten aliases each would be 10^9 values.
  std::string bomb = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", " : "") + prev;
    bomb += "]\n";
  }
  refuse(bomb + "steps: []\n", {"aliases"});
  // One long string repeated through aliases.
  std::string wide = "a: &a " + std::string(500000, 'x') + "\nb: [";
  for (int k = 0; k < 40; ++k) wide += (k ? ", " : "") + std::string("*a");
  refuse(wide + "]\nsteps: []\n", {"aliases"});
  // An alias to the collection that contains it.
  refuse("steps: &s [*s]\n", {"nested deeper than"});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

// Found by fuzz_pipeline: parsers quote the bytes they choked on, and a message that
// is not UTF-8 would make Error::to_json() throw.
TEST(PipelineFile, ErrorsQuotingBadBytesStayValidUtf8) {
  Graph g = parse_pipeline(kYaml);
  const std::string nul_and_escape("b.exdra.k=\"\0\0.k.k=\"\0\0o woa.k.k=\"\0\0o word\".exd=\"\0",
                                   48);
  std::vector<std::function<void()>> bad = {
      [] { parse_pipeline("{\"steps\": [\xF6]}", FileFormat::json); },
      [] { parse_pipeline("steps: [\"\\\xF6\"]\n", FileFormat::yaml); },
      [&] { apply_override(g, nul_and_escape); },
  };
  for (auto& f : bad) {
    try {
      f();
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.message();
      EXPECT_NO_THROW(Json::parse(e.to_json())) << e.message();
    }
  }
}

TEST(PipelineFile, LoadReadsTheFileAndSetsItsFolder) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "jobs");
  std::ofstream(dir / "jobs" / "demo.yml") << kYaml;
  std::ofstream(dir / "jobs" / "demo.json") << kJson;
  std::ofstream(dir / "jobs" / "demo.pipeline") << kJson;  // unknown extension: detected

  Graph y = load_pipeline(dir / "jobs" / "demo.yml");
  EXPECT_EQ(std::filesystem::path(y.base_dir), std::filesystem::absolute(dir / "jobs"));
  EXPECT_EQ(load_pipeline(dir / "jobs" / "demo.json").to_json(), y.to_json());
  EXPECT_EQ(load_pipeline(dir / "jobs" / "demo.pipeline").to_json(), y.to_json());

  std::ofstream(dir / "jobs" / "broken.yaml") << "steps: [\n";
  try {
    load_pipeline(dir / "jobs" / "broken.yaml");
    ADD_FAILURE() << "accepted a broken file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_TRUE(has_position(e.message(), (dir / "jobs" / "broken.yaml").string())) << e.message();
  }
  try {
    load_pipeline(dir / "missing.yaml");
    ADD_FAILURE() << "accepted a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(e.message().find("missing.yaml"), std::string::npos);
  }
  EXPECT_THROW(load_pipeline(dir / "jobs"), Error);
}

TEST(PipelineFile, ToJsonRoundTrips) {
  Graph g = parse_pipeline(kYaml);
  Graph again = parse_pipeline(g.to_json().dump(), FileFormat::json);
  EXPECT_EQ(again.to_json(), g.to_json());
}

Error override_error(Graph& g, std::string_view assignment) {
  try {
    apply_override(g, assignment);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    return e;
  }
  ADD_FAILURE() << "accepted: " << assignment;
  return Error(ErrorKind::Internal, "");
}

TEST(PipelineFile, OverridesAreTypedLikeYamlScalars) {
  Graph g = parse_pipeline(kYaml);
  apply_override(g, "film.duration=3");
  EXPECT_TRUE(g.find("film")->params["duration"].is_number_integer());
  EXPECT_EQ(g.find("film")->params["duration"], 3);
  apply_override(g, "film.fps=12.5");
  EXPECT_DOUBLE_EQ(g.find("film")->params["fps"].get<double>(), 12.5);
  apply_override(g, "character.prompt=\"red robot\"");
  EXPECT_EQ(g.find("character")->params["prompt"], "red robot");
  apply_override(g, "character.prompt=red robot, waving");
  EXPECT_EQ(g.find("character")->params["prompt"], "red robot, waving");
  apply_override(g, "character.prompt='42'");
  EXPECT_EQ(g.find("character")->params["prompt"], "42");
  apply_override(g, "film.motion=looks: left");
  EXPECT_EQ(g.find("film")->params["motion"], "looks: left");
  apply_override(g, " film.extra.strength = 0.5 ");
  EXPECT_DOUBLE_EQ(g.find("film")->params["extra"]["strength"].get<double>(), 0.5);
  EXPECT_EQ(g.find("film")->params["extra"]["loop"], true);  // siblings kept
  apply_override(g, "film.params.crf=20");
  EXPECT_EQ(g.find("film")->params["crf"], 20);
  apply_override(g, "character.width=null");
  EXPECT_FALSE(g.find("character")->params.contains("width"));

  apply_override(g, "seed=7");
  EXPECT_EQ(g.seed, 7u);
  apply_override(g, "film.seed=9");
  EXPECT_EQ(g.find("film")->seed, 9u);
  apply_override(g, "film.model=other-animator");
  EXPECT_EQ(g.find("film")->model, "other-animator");
  apply_override(g, "film.inputs.background=artifact:0123456789abcdef0123456789abcdef");
  EXPECT_EQ(g.find("film")->inputs["background"], "artifact:0123456789abcdef0123456789abcdef");
  apply_override(g, "output=character");
  EXPECT_EQ(g.output, "character");
}

TEST(PipelineFile, BadOverridesSayWhatIsAllowed) {
  Graph g = parse_pipeline(kYaml);
  Json before = g.to_json();
  auto has = [](const Error& e, const std::string& part) {
    return e.message().find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(override_error(g, "film.duration"), "no '='"));
  EXPECT_TRUE(has(override_error(g, "trailer.duration=3"), "no step 'trailer'"));
  EXPECT_TRUE(has(override_error(g, "trailer.duration=3"), "character, film"));
  EXPECT_TRUE(has(override_error(g, "duration=3"), "step.param=value"));
  EXPECT_TRUE(has(override_error(g, "seed=-1"), "non-negative"));
  EXPECT_TRUE(has(override_error(g, "seed=abc"), "non-negative"));
  EXPECT_TRUE(has(override_error(g, "film.seed=1.5"), "non-negative"));
  EXPECT_TRUE(has(override_error(g, "film.=3"), "nothing after 'film.'"));
  EXPECT_TRUE(has(override_error(g, "film.model="), "model"));
  EXPECT_TRUE(has(override_error(g, "film.task=upscale"), "cannot be overridden"));
  EXPECT_TRUE(has(override_error(g, "film.motion.x=1"), "not a mapping"));
  EXPECT_TRUE(has(override_error(g, "film.fps=.inf"), "finite"));
  EXPECT_TRUE(has(override_error(g, "film.motion=\"unclosed"), "quoted"));
  EXPECT_TRUE(has(override_error(g, "film.extra.a..b=1"), "empty"));
  EXPECT_EQ(g.to_json(), before);  // refused overrides change nothing
}

// The documented example film: parsed here; running it is the studio's business.
TEST(PipelineFile, AstronautExampleParsesInBothFormats) {
  const std::string dir = std::string(REEL_SOURCE_DIR) + "/examples/";
  Graph y = load_pipeline(dir + "astronaut_on_mars.yaml");
  Graph j = load_pipeline(dir + "astronaut_on_mars.json");
  EXPECT_EQ(y.to_json(), j.to_json());
  EXPECT_EQ(y.seed, 42u);
  EXPECT_EQ(y.output_step(), "film");
  ASSERT_EQ(y.steps.size(), 3u);
  const Step* film = y.find("film");
  ASSERT_NE(film, nullptr);
  EXPECT_EQ(film->model, "studio-animator");
  EXPECT_EQ(film->inputs.at("image"), "character");
  EXPECT_EQ(film->inputs.at("background"), "environment");
  EXPECT_EQ(film->params["duration"], 5);
  EXPECT_EQ(film->params["width"], 1280);
  EXPECT_EQ(y.find("character")->params["style"], "4k");

  // Its params are within the limits: check with stand-ins carrying the studio ids.
  model::Registry registry;
  registry.add(testing::make_test_image_model({.id = "studio-character"}));
  registry.add(testing::make_test_image_model({.id = "studio-environment"}));
  registry.add(testing::make_test_video_model({.id = "studio-animator"}));
  ValidationOptions options;
  options.registry = &registry;
  ValidatedGraph v = validate(y, options);
  EXPECT_EQ(v.order.back().step->id, "film");
}

}  // namespace
}  // namespace reel::pipeline
