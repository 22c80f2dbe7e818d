// Bundle validation (deploy/manifest.h): the issue's example is accepted and read as declared; every
// rejected manifest names the file and the field an agent author has to fix.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <ostream>
#include <string>

#include "deploy/manifest.h"

namespace agentgate {
namespace {

// The example from the issue, byte for byte in its structure.
constexpr std::string_view kExample = R"({
  "id": "8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21",
  "slug": "demo",
  "functions": [
    {
      "name": "webapp",
      "endpoint": { "methods": ["GET", "POST"], "path": "/webapp/*" },
      "module": "webapp.js",
      "auth": "visitor_session",
      "permissions": { "kv": { "self": "rw", "visitor": "rw" } }
    }
  ]
})";

constexpr std::string_view kModule = "export default async function handler(ctx) { return { body: 'hi' }; }\n";

// The example with the first occurrence of `from` replaced by `to`.
std::string example_with(std::string_view from, std::string_view to) {
  std::string json(kExample);
  size_t at = json.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "test table error: '" << from << "' is not in the example manifest";
    return json;
  }
  json.replace(at, from.size(), to);
  return json;
}

// A function inserted before the example's, which then becomes functions[1].
std::string with_function_before(std::string_view function_json) {
  return example_with(R"("functions": [)", std::string(R"("functions": [ )") + std::string(function_json) + ",");
}

std::map<std::string, std::string> bundle(std::string manifest) {
  return {{"agent.json", std::move(manifest)}, {"webapp.js", std::string(kModule)}, {"lib/util.js", "export const x = 1;"}};
}

// "accepted", or the error code and the message up to the problem text:
// "INVALID_BUNDLE agent.json: functions[0].endpoint.path".
std::string verdict(const Result<AgentSpec>& result) {
  if (result) return "accepted";
  const std::string& message = result.error().message;
  size_t file_end = message.find(": ");
  size_t field_end = file_end == std::string::npos ? std::string::npos : message.find(": ", file_end + 2);
  return result.error().code + " " + message.substr(0, field_end);
}

std::string access_name(Access access) {
  switch (access) {
    case Access::kNone: return "none";
    case Access::kRead: return "r";
    case Access::kReadWrite: return "rw";
  }
  return "?";
}

struct Rejection {
  std::string name;
  std::string manifest;
  std::string field;  // the field path the message must name
};
void PrintTo(const Rejection& row, std::ostream* os) { *os << row.name; }

class ManifestRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(ManifestRejects, NamesFileAndField) {
  const Rejection& row = GetParam();
  EXPECT_EQ(verdict(parse_bundle(bundle(row.manifest))), "INVALID_BUNDLE agent.json: " + row.field);
}

std::vector<Rejection> rejections() {
  const std::string kv_example = R"("kv": { "self": "rw", "visitor": "rw" })";
  return {
      // Unknown keys, at every level.
      {"unknown key at the root", example_with(R"("slug": "demo",)", R"("slug": "demo", "version": 2,)"), "version"},
      {"unknown key in a function", example_with(R"("module": "webapp.js",)", R"("module": "webapp.js", "handler": "x",)"),
       "functions[0].handler"},
      {"unknown key in endpoint", example_with(R"("path": "/webapp/*" })", R"("path": "/webapp/*", "host": "a" })"),
       "functions[0].endpoint.host"},
      {"unknown key in permissions", example_with(kv_example, kv_example + R"(, "fetch": {})"),
       "functions[0].permissions.fetch"},
      {"unknown key in permissions.kv", example_with(R"("visitor": "rw")", R"("visitor": "rw", "others": "r")"),
       "functions[0].permissions.kv.others"},
      {"duplicate key at the root", example_with(R"("slug": "demo",)", R"("slug": "demo", "slug": "other",)"), "slug"},
      {"duplicate key in permissions.kv", example_with(R"("self": "rw",)", R"("self": "r", "self": "rw",)"),
       "functions[0].permissions.kv.self"},
      {"unknown key, case differs from a known one", example_with(R"("slug":)", R"("Slug": "x", "slug":)"), "Slug"},

      // Slug.
      {"slug upper-case", example_with(R"("demo")", R"("Demo")"), "slug"},
      {"slug of one character", example_with(R"("demo")", R"("d")"), "slug"},
      {"slug starting with a hyphen", example_with(R"("demo")", R"("-demo")"), "slug"},
      {"slug with an underscore", example_with(R"("demo")", R"("my_demo")"), "slug"},
      {"slug with a slash", example_with(R"("demo")", R"("de/mo")"), "slug"},
      {"slug of 64 characters", example_with(R"("demo")", "\"" + std::string(64, 'a') + "\""), "slug"},
      {"slug that is a UUID", example_with(R"("demo")", R"("0b7e6f5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b")"), "slug"},
      {"slug not a string", example_with(R"("demo")", "42"), "slug"},
      {"slug missing", example_with(R"("slug": "demo",)", ""), "slug"},

      // Id.
      {"id not a UUID", example_with(R"("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21")", R"("not-a-uuid")"), "id"},
      {"id upper-case UUID", example_with(R"("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21")", R"("8A1F0F5E-2D5B-4F43-9A57-0C6A4C8E9B21")"),
       "id"},
      {"id without hyphens", example_with(R"("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21")", R"("8a1f0f5e2d5b4f439a570c6a4c8e9b21")"), "id"},
      {"id in braces", example_with(R"("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21")", R"("{8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21}")"),
       "id"},
      {"id with a non-hex digit", example_with(R"("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21")", R"("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b2g")"),
       "id"},
      {"id a number", example_with(R"("8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21")", "42"), "id"},

      // Functions.
      {"functions empty", R"({ "slug": "demo", "functions": [] })", "functions"},
      {"functions an object", R"({ "slug": "demo", "functions": {} })", "functions"},
      {"functions missing", R"({ "slug": "demo" })", "functions"},
      {"function name missing", example_with(R"("name": "webapp",)", ""), "functions[0].name"},
      {"function name with a space", example_with(R"("name": "webapp")", R"("name": "web app")"), "functions[0].name"},
      {"duplicate function names",
       with_function_before(R"({ "name": "webapp", "endpoint": { "methods": ["PUT"], "path": "/other/*" }, "module": "webapp.js" })"),
       "functions[1].name"},

      // Module.
      {"module missing", example_with(R"("module": "webapp.js",)", ""), "functions[0].module"},
      {"module file not in the bundle", example_with(R"("webapp.js")", R"("missing.js")"), "functions[0].module"},
      {"module not a .js file", example_with(R"("webapp.js")", R"("agent.json")"), "functions[0].module"},
      {"module escaping the bundle", example_with(R"("webapp.js")", R"("../webapp.js")"), "functions[0].module"},
      {"module an absolute path", example_with(R"("webapp.js")", R"("/webapp.js")"), "functions[0].module"},

      // Path: only /prefix/* patterns.
      {"path without wildcard", example_with(R"("/webapp/*")", R"("/x")"), "functions[0].endpoint.path"},
      {"path with wildcard glued to the segment", example_with(R"("/webapp/*")", R"("/x*")"), "functions[0].endpoint.path"},
      {"path without leading slash", example_with(R"("/webapp/*")", R"("x/*")"), "functions[0].endpoint.path"},
      {"path with a dot-dot segment", example_with(R"("/webapp/*")", R"("/a/../b/*")"), "functions[0].endpoint.path"},
      {"path with a dot segment", example_with(R"("/webapp/*")", R"("/a/./b/*")"), "functions[0].endpoint.path"},
      {"path with an empty segment", example_with(R"("/webapp/*")", R"("/a//b/*")"), "functions[0].endpoint.path"},
      {"path with a wildcard in the middle", example_with(R"("/webapp/*")", R"("/a/*/b/*")"), "functions[0].endpoint.path"},
      {"path with a percent escape", example_with(R"("/webapp/*")", R"("/a%20b/*")"), "functions[0].endpoint.path"},
      {"path with a query", example_with(R"("/webapp/*")", R"("/a?b/*")"), "functions[0].endpoint.path"},
      {"path just a star", example_with(R"("/webapp/*")", R"("*")"), "functions[0].endpoint.path"},
      {"path empty", example_with(R"("/webapp/*")", R"("")"), "functions[0].endpoint.path"},
      {"path missing", example_with(R"(, "path": "/webapp/*")", ""), "functions[0].endpoint.path"},
      {"endpoint missing", example_with(R"("endpoint": { "methods": ["GET", "POST"], "path": "/webapp/*" },)", ""),
       "functions[0].endpoint"},

      // Methods.
      {"method lower-case", example_with(R"("GET", "POST")", R"("get", "POST")"), "functions[0].endpoint.methods[0]"},
      {"method CONNECT", example_with(R"("GET", "POST")", R"("GET", "CONNECT")"), "functions[0].endpoint.methods[1]"},
      {"method TRACE", example_with(R"("GET", "POST")", R"("TRACE")"), "functions[0].endpoint.methods[0]"},
      {"method not a string", example_with(R"("GET", "POST")", R"(1)"), "functions[0].endpoint.methods[0]"},
      {"methods empty", example_with(R"(["GET", "POST"])", "[]"), "functions[0].endpoint.methods"},
      {"methods a string", example_with(R"(["GET", "POST"])", R"("GET")"), "functions[0].endpoint.methods"},
      {"method listed twice", example_with(R"("GET", "POST")", R"("GET", "POST", "GET")"), "functions[0].endpoint.methods[2]"},
      {"same prefix and method as another function",
       with_function_before(R"({ "name": "api", "endpoint": { "methods": ["POST"], "path": "/webapp/*" }, "module": "webapp.js" })"),
       "functions[1].endpoint"},

      // Auth.
      {"auth unknown mode", example_with(R"("visitor_session")", R"("session")"), "functions[0].auth"},
      {"auth upper-case", example_with(R"("visitor_session")", R"("NONE")"), "functions[0].auth"},
      {"auth a boolean", example_with(R"("visitor_session")", "true"), "functions[0].auth"},

      // Permissions values.
      {"kv.self write-only", example_with(R"("self": "rw")", R"("self": "w")"), "functions[0].permissions.kv.self"},
      {"kv.self upper-case", example_with(R"("self": "rw")", R"("self": "RW")"), "functions[0].permissions.kv.self"},
      {"kv.visitor a boolean", example_with(R"("visitor": "rw")", R"("visitor": true)"), "functions[0].permissions.kv.visitor"},
      {"kv not an object", example_with(kv_example, R"("kv": "rw")"), "functions[0].permissions.kv"},
      {"permissions not an object", example_with(R"("permissions": { "kv": { "self": "rw", "visitor": "rw" } })", R"("permissions": [])"),
       "functions[0].permissions"},
      {"kv subject pattern only a star", example_with(R"("visitor": "rw")", R"("visitor": "rw", "subjects": { "*": "r" })"),
       "functions[0].permissions.kv.subjects.*"},
      {"kv subject star not at the end", example_with(R"("visitor": "rw")", R"("visitor": "rw", "subjects": { "a*b": "r" })"),
       "functions[0].permissions.kv.subjects.a*b"},
      {"kv subject access unknown", example_with(R"("visitor": "rw")", R"("visitor": "rw", "subjects": { "google:*": "x" })"),
       "functions[0].permissions.kv.subjects.google:*"},

      // The document itself.
      {"root an array", "[]", "(root)"},
  };
}

INSTANTIATE_TEST_SUITE_P(Table, ManifestRejects, ::testing::ValuesIn(rejections()),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

struct Acceptance {
  std::string name;
  std::string manifest;
};
void PrintTo(const Acceptance& row, std::ostream* os) { *os << row.name; }

class ManifestAccepts : public ::testing::TestWithParam<Acceptance> {};

TEST_P(ManifestAccepts, Valid) { EXPECT_EQ(verdict(parse_bundle(bundle(GetParam().manifest))), "accepted"); }

INSTANTIATE_TEST_SUITE_P(
    Table, ManifestAccepts,
    ::testing::Values(
        Acceptance{"the issue's example", std::string(kExample)},
        Acceptance{"id omitted", example_with(R"("id": "8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21",)", "")},
        Acceptance{"path is the root wildcard", example_with(R"("/webapp/*")", R"("/*")")},
        Acceptance{"path with nested segments", example_with(R"("/webapp/*")", R"("/a/b.c/d~e_f-g/*")")},
        Acceptance{"slug of two characters", example_with(R"("demo")", R"("d2")")},
        Acceptance{"slug of 63 characters", example_with(R"("demo")", "\"" + std::string(63, 'a') + "\"")},
        Acceptance{"slug starting with a digit", example_with(R"("demo")", R"("1-demo")")},
        Acceptance{"auth none", example_with(R"("visitor_session")", R"("none")")},
        Acceptance{"auth and permissions omitted",
                   example_with(R"(,
      "auth": "visitor_session",
      "permissions": { "kv": { "self": "rw", "visitor": "rw" } })",
                                "")},
        Acceptance{"module in a sub-folder", example_with(R"("webapp.js")", R"("lib/util.js")")},
        Acceptance{"kv subjects with a prefix pattern",
                   example_with(R"("visitor": "rw")", R"("visitor": "r", "subjects": { "google:*": "r", "alice": "rw" })")},
        Acceptance{"same prefix, different methods",
                   with_function_before(R"({ "name": "api", "endpoint": { "methods": ["PUT", "DELETE"], "path": "/webapp/*" }, "module": "webapp.js" })")},
        Acceptance{"same methods, different prefix",
                   with_function_before(R"({ "name": "api", "endpoint": { "methods": ["GET"], "path": "/webapp/api/*" }, "module": "webapp.js" })")}),
    [](const auto& info) {
      std::string name;
      for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

TEST(Manifest, ReadsTheIssueExampleAsDeclared) {
  auto spec = parse_bundle(bundle(std::string(kExample)));
  ASSERT_TRUE(spec) << spec.error().message;
  ASSERT_EQ(spec->functions.size(), 1u);
  const FunctionSpec& function = spec->functions[0];
  std::string summary = spec->id + " " + spec->slug + " " + function.name + " [" + allow_header(function.methods) + "] " +
                        function.path + " prefix=" + function.prefix + " " + function.module + " auth=" +
                        (function.auth == AuthMode::kVisitorSession ? "visitor_session" : "none") +
                        " kv.self=" + access_name(function.kv.self) + " kv.visitor=" + access_name(function.kv.visitor);
  EXPECT_EQ(summary,
            "8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21 demo webapp [GET, POST] /webapp/* prefix=/webapp webapp.js "
            "auth=visitor_session kv.self=rw kv.visitor=rw");
}

TEST(Manifest, RootWildcardHasEmptyPrefix) {
  auto spec = parse_bundle(bundle(example_with(R"("/webapp/*")", R"("/*")")));
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->functions[0].prefix, "");
}

TEST(Manifest, OmittedIdLeavesIdForTheCaller) {
  auto spec = parse_bundle(bundle(example_with(R"("id": "8a1f0f5e-2d5b-4f43-9a57-0c6a4c8e9b21",)", "")));
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->id, "");
}

TEST(Manifest, KeepsEveryBundleFile) {
  auto spec = parse_bundle(bundle(std::string(kExample)));
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->files.size(), 3u);
}

TEST(Manifest, MissingAgentJsonNamesTheFile) {
  auto spec = parse_bundle({{"webapp.js", std::string(kModule)}});
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code + " " + spec.error().message, "INVALID_BUNDLE bundle: agent.json is missing");
}

TEST(Manifest, InvalidJsonNamesTheFile) {
  auto spec = parse_bundle(bundle(R"({ "slug": "demo", )"));
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message.rfind("agent.json: not valid JSON", 0), 0u) << spec.error().message;
}

TEST(Manifest, PathErrorQuotesTheDeclaredPath) {
  auto spec = parse_bundle(bundle(example_with(R"("/webapp/*")", R"("/x*")")));
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("\"/x*\""), std::string::npos) << spec.error().message;
}

TEST(Manifest, BundleFileNameEscapingTheFolderIsRejected) {
  auto files = bundle(std::string(kExample));
  files["../evil.js"] = "export default () => ({})";
  auto spec = parse_bundle(std::move(files));
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, "INVALID_BUNDLE");
}

struct SlugRow {
  std::string slug;
  bool valid;
};

TEST(Manifest, IsValidSlugTable) {
  const std::vector<SlugRow> rows = {{"demo", true},  {"a1", true},   {"0-0", true},  {"a", false},
                                     {"Demo", false}, {"-ab", false}, {"ab_", false}, {"", false},
                                     {std::string(63, 'z'), true},    {std::string(64, 'z'), false}};
  std::string mismatches;
  for (const auto& row : rows) {
    if (is_valid_slug(row.slug) != row.valid) mismatches += "'" + row.slug + "' ";
  }
  EXPECT_EQ(mismatches, "");
}

}  // namespace
}  // namespace agentgate
