// The admin API (/_admin/v1) over real HTTP: deploy, redeploy, get/list/delete, functions,
// authentication, and the errors a rejected bundle produces.
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/agent_fixtures.h"

namespace agentgate::testing {
namespace {

// Table rows print as their name in gtest's messages.
template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

constexpr const char* kId = "3f2b7c1e-8d4a-4e6b-9c0d-1a2b3c4d5e6f";
constexpr const char* kOtherId = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4";

class AdminApiTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data"};

  void SetUp() override { ASSERT_TRUE(server.started()) << server.log(); }

  std::string app_url(const std::string& id = kId) { return "/agents/" + id + "/app/"; }
};

TEST_F(AdminApiTest, FirstDeployAnswers201WithTheAgent) {
  auto deployed = server.deploy(one_function_bundle(kId, "greeter", text_handler("v1")));
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  auto agent = parse_json(deployed.body);
  EXPECT_EQ(json_string(agent, "id"), kId);
  EXPECT_EQ(json_string(agent, "slug"), "greeter");
  EXPECT_EQ(json_int(agent, "version"), 1);
  EXPECT_EQ(json_string(agent, "url"), std::string("/agents/") + kId + "/");
  EXPECT_EQ(deployed.header("content-type"), "application/json");
}

TEST_F(AdminApiTest, BundleLargerThanTheRequestBodyLimitDeploys) {
  // Agent requests are capped by --max-body-bytes (1 MiB); deploys by --max-deploy-bytes (32 MiB).
  Files files = one_function_bundle(kId, "bulky", "import { text } from './data.js';\n"
                                                  "export default () => ({ body: String(text.length) });\n");
  files["data.js"] = "export const text = '" + std::string(3 << 20, 'x') + "';\n";
  auto deployed = server.deploy(files);
  ASSERT_EQ(deployed.status, 201) << deployed.error << deployed.body.substr(0, 300) << server.log();
  EXPECT_EQ(http_get(server.port(), app_url()).body, std::to_string(3 << 20));
}

TEST_F(AdminApiTest, LargeBodyWithoutTheTokenIsRefusedBeforeItIsRead) {
  // Only an authorised admin request may send a bundle-sized body; others get the agent limit.
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.target = "/_admin/v1/agents";
  spec.body = std::string(2 << 20, 'x');
  spec.headers = {{"content-type", "application/json"}};
  auto reply = raw_send_while_reading(server.port(), "POST /_admin/v1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                     "Content-Length: " + std::to_string(spec.body.size()) +
                                                     "\r\n\r\n" + spec.body);
  EXPECT_EQ(reply.bytes.substr(0, 12), "HTTP/1.1 413") << reply.bytes.substr(0, 200);
}

TEST_F(AdminApiTest, BearerSchemeIsCaseInsensitiveAndPathsMustMatchExactly) {
  HttpRequestSpec spec;
  spec.target = "/_admin/v1/agents";
  spec.headers = {{"authorization", "bearer " + server.admin_token()}};
  EXPECT_EQ(http_request(server.port(), spec).status, 200);
  EXPECT_EQ(server.admin("GET", "/_admin/v1/agentsXgreeter").status, 404);
}

TEST_F(AdminApiTest, RedeployAnswers200IncrementsVersionAndServesNewCode) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "greeter", text_handler("v1"))).status, 201);
  ASSERT_EQ(http_get(server.port(), app_url()).body, "v1");

  auto second = server.deploy(one_function_bundle(kId, "greeter", text_handler("v2")));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(json_int(parse_json(second.body), "version"), 2);
  auto third = server.deploy(one_function_bundle(kId, "greeter", text_handler("v3")));
  ASSERT_EQ(third.status, 200) << third.body;
  EXPECT_EQ(json_int(parse_json(third.body), "version"), 3);

  auto response = http_get(server.port(), app_url());
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "v3");
}

TEST_F(AdminApiTest, PutDeploysUnderTheUrlsId) {
  auto manifest_without_id = one_function_bundle("", "put-agent", text_handler("put"));
  auto first = server.admin("PUT", std::string("/_admin/v1/agents/") + kId,
                            boost::json::serialize(boost::json::object{
                                {"files", {{"agent.json", manifest_without_id["agent.json"]},
                                           {"app.js", manifest_without_id["app.js"]}}}}));
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(json_string(parse_json(first.body), "id"), kId);
  EXPECT_EQ(http_get(server.port(), app_url()).body, "put");

  auto again = server.admin("PUT", std::string("/_admin/v1/agents/") + kId,
                            boost::json::serialize(boost::json::object{
                                {"files", {{"agent.json", manifest_without_id["agent.json"]},
                                           {"app.js", manifest_without_id["app.js"]}}}}));
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST_F(AdminApiTest, PutWithADifferentIdInTheManifestIs400) {
  auto bundle = one_function_bundle(kOtherId, "put-agent", text_handler("x"));
  auto response = server.admin("PUT", std::string("/_admin/v1/agents/") + kId,
                               boost::json::serialize(boost::json::object{
                                   {"files", {{"agent.json", bundle["agent.json"]}, {"app.js", bundle["app.js"]}}}}));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_TRUE(contains(error_message(response.body), "agent.json")) << response.body;
  EXPECT_TRUE(contains(error_message(response.body), "id")) << response.body;
}

TEST_F(AdminApiTest, GetByIdAndBySlug) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "greeter", text_handler("v1"))).status, 201);
  for (const std::string& reference : {std::string(kId), std::string("greeter")}) {
    SCOPED_TRACE(reference);
    auto response = server.admin("GET", "/_admin/v1/agents/" + reference);
    ASSERT_EQ(response.status, 200) << response.body;
    auto agent = parse_json(response.body);
    EXPECT_EQ(json_string(agent, "id"), kId);
    EXPECT_EQ(json_string(agent, "slug"), "greeter");
    EXPECT_EQ(json_int(agent, "version"), 1);
  }
}

TEST_F(AdminApiTest, GetUnknownAgentIs404) {
  auto by_id = server.admin("GET", std::string("/_admin/v1/agents/") + kOtherId);
  EXPECT_EQ(by_id.status, 404) << by_id.body;
  EXPECT_EQ(error_code(by_id.body), "NOT_FOUND");
  auto by_slug = server.admin("GET", "/_admin/v1/agents/nobody-here");
  EXPECT_EQ(by_slug.status, 404) << by_slug.body;
}

TEST_F(AdminApiTest, ListShowsEveryAgentSortedBySlug) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "zeta", text_handler("z"))).status, 201);
  ASSERT_EQ(server.deploy(one_function_bundle(kOtherId, "alpha", text_handler("a"))).status, 201);
  auto response = server.admin("GET", "/_admin/v1/agents");
  ASSERT_EQ(response.status, 200) << response.body;
  auto list = parse_json(response.body);
  ASSERT_TRUE(list.is_object() && list.as_object().contains("agents")) << response.body;
  const auto& agents = list.at("agents").as_array();
  ASSERT_EQ(agents.size(), 2u) << response.body;
  EXPECT_EQ(json_string(agents[0], "slug"), "alpha");
  EXPECT_EQ(json_string(agents[0], "id"), kOtherId);
  EXPECT_EQ(json_string(agents[1], "slug"), "zeta");
  EXPECT_EQ(json_string(agents[1], "id"), kId);
}

TEST_F(AdminApiTest, ListIsEmptyOnAFreshServer) {
  auto response = server.admin("GET", "/_admin/v1/agents");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(parse_json(response.body).at("agents").as_array().size(), 0u);
}

TEST_F(AdminApiTest, FunctionsListsNameEndpointAndModule) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "greeter", text_handler("v1"), "/app/*", {"GET", "POST"})).status, 201);
  auto response = server.admin("GET", "/_admin/v1/agents/greeter/functions");
  ASSERT_EQ(response.status, 200) << response.body;
  auto functions = parse_json(response.body).at("functions").as_array();
  ASSERT_EQ(functions.size(), 1u);
  EXPECT_EQ(json_string(functions[0], "name"), "app");
  EXPECT_EQ(json_string(functions[0], "module"), "app.js");
  EXPECT_EQ(json_string(functions[0].at("endpoint"), "path"), "/app/*");
  auto methods = functions[0].at("endpoint").at("methods").as_array();
  EXPECT_EQ(methods, (boost::json::array{"GET", "POST"}));
}

TEST_F(AdminApiTest, DeleteRemovesTheAgentEverywhere) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "greeter", text_handler("v1"))).status, 201);
  ASSERT_EQ(http_get(server.port(), app_url()).status, 200);

  auto deleted = server.admin("DELETE", std::string("/_admin/v1/agents/") + kId);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(json_string(parse_json(deleted.body), "deleted"), kId);

  EXPECT_EQ(server.admin("GET", std::string("/_admin/v1/agents/") + kId).status, 404);
  EXPECT_EQ(parse_json(server.admin("GET", "/_admin/v1/agents").body).at("agents").as_array().size(), 0u);
  EXPECT_EQ(http_get(server.port(), app_url()).status, 404);
  EXPECT_EQ(http_get(server.port(), "/agents/greeter/app/").status, 404);
  EXPECT_EQ(server.admin("DELETE", std::string("/_admin/v1/agents/") + kId).status, 404);
}

TEST_F(AdminApiTest, DeletedSlugCanBeTakenByAnotherAgent) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "greeter", text_handler("first"))).status, 201);
  ASSERT_EQ(server.admin("DELETE", std::string("/_admin/v1/agents/") + kId).status, 200);
  auto other = server.deploy(one_function_bundle(kOtherId, "greeter", text_handler("second")));
  ASSERT_EQ(other.status, 201) << other.body;
  EXPECT_EQ(http_get(server.port(), app_url(kOtherId)).body, "second");
}

TEST_F(AdminApiTest, UnknownEndpointAndMethod) {
  EXPECT_EQ(server.admin("GET", "/_admin/v1/nothing").status, 404);
  auto wrong_method = server.admin("PATCH", "/_admin/v1/agents");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_FALSE(wrong_method.header("allow").empty());
}

// --- authentication -------------------------------------------------------------------------

struct AuthCase {
  const char* name;
  // Authorization header value built from the real token; nullptr-like "" means no header.
  std::string (*authorization)(const std::string& token);
};

class AdminAuthTest : public ::testing::TestWithParam<AuthCase> {};

TEST_P(AdminAuthTest, RejectedWith401AndBodyNeverEchoesTheToken) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  ASSERT_FALSE(server.admin_token().empty());
  std::string authorization = GetParam().authorization(server.admin_token());

  struct Call {
    std::string method, target, body;
  };
  std::string bundle = boost::json::serialize(boost::json::object{
      {"files", {{"agent.json", manifest_json(kId, "greeter", "app", "/app/*", {"GET"}, "app.js")},
                 {"app.js", text_handler("x")}}}});
  for (const Call& call : {Call{"GET", "/_admin/v1/agents", ""}, Call{"POST", "/_admin/v1/agents", bundle},
                           Call{"GET", std::string("/_admin/v1/agents/") + kId, ""},
                           Call{"DELETE", std::string("/_admin/v1/agents/") + kId, ""}}) {
    SCOPED_TRACE(call.method + " " + call.target);
    HttpRequestSpec spec;
    spec.method = call.method;
    spec.target = call.target;
    spec.body = call.body;
    if (!authorization.empty()) spec.headers.emplace_back("authorization", authorization);
    auto response = http_request(server.port(), spec);
    EXPECT_EQ(response.status, 401) << response.body;
    EXPECT_FALSE(contains(response.body, server.admin_token()));
    for (const auto& [name, value] : response.headers) EXPECT_FALSE(contains(value, server.admin_token())) << name;
  }
  EXPECT_FALSE(contains(server.log(), server.admin_token())) << "the server logged its admin token";
  // Nothing was deployed by the rejected POST.
  EXPECT_EQ(server.admin("GET", std::string("/_admin/v1/agents/") + kId).status, 404);
}

INSTANTIATE_TEST_SUITE_P(
    Authorization, AdminAuthTest,
    ::testing::Values(
        AuthCase{"NoHeader", [](const std::string&) { return std::string(); }},
        AuthCase{"WrongToken", [](const std::string&) { return std::string("Bearer not-the-token"); }},
        AuthCase{"TokenWithoutBearerScheme", [](const std::string& token) { return token; }},
        AuthCase{"BasicScheme", [](const std::string& token) { return "Basic " + token; }},
        AuthCase{"TokenWithExtraSuffix", [](const std::string& token) { return "Bearer " + token + "x"; }},
        AuthCase{"TokenPrefix", [](const std::string& token) { return "Bearer " + token.substr(0, token.size() - 1); }},
        AuthCase{"EmptyBearer", [](const std::string&) { return std::string("Bearer "); }}),
    [](const ::testing::TestParamInfo<AuthCase>& info) { return std::string(info.param.name); });

// --- rejected bundles -----------------------------------------------------------------------

struct InvalidManifestCase {
  const char* name;
  std::string agent_json;
  std::string field;  // the message must name agent.json and this field
};

class InvalidManifestTest : public ::testing::TestWithParam<InvalidManifestCase> {};

std::string manifest_with_function(const std::string& function_json, const std::string& slug = "greeter") {
  return std::string(R"({"id":")") + kId + R"(","slug":")" + slug + R"(","functions":[)" + function_json + "]}";
}

const std::string kGoodFunction =
    R"({"name":"app","endpoint":{"methods":["GET"],"path":"/app/*"},"module":"app.js","auth":"none"})";

TEST_P(InvalidManifestTest, Answers400NamingTheFileAndTheField) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.started()) << server.log();
  auto response = server.deploy({{"agent.json", GetParam().agent_json}, {"app.js", text_handler("x")}});
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(error_code(response.body), "INVALID_BUNDLE") << response.body;
  std::string message = error_message(response.body);
  EXPECT_TRUE(contains(message, "agent.json")) << message;
  EXPECT_TRUE(contains(message, GetParam().field)) << message;
  EXPECT_EQ(parse_json(server.admin("GET", "/_admin/v1/agents").body).at("agents").as_array().size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Manifest, InvalidManifestTest,
    ::testing::Values(
        InvalidManifestCase{"NotJson", "{not json", "JSON"},
        InvalidManifestCase{"UnknownTopLevelKey",
                            std::string(R"({"slug":"greeter","colour":"red","functions":[)") + kGoodFunction + "]}",
                            "colour"},
        InvalidManifestCase{"BadSlugUppercase", manifest_with_function(kGoodFunction, "Greeter"), "slug"},
        InvalidManifestCase{"BadSlugTooShort", manifest_with_function(kGoodFunction, "g"), "slug"},
        InvalidManifestCase{"BadUuid",
                            std::string(R"({"id":"not-a-uuid","slug":"greeter","functions":[)") + kGoodFunction + "]}",
                            "id"},
        InvalidManifestCase{"MissingSlug", std::string(R"({"functions":[)") + kGoodFunction + "]}", "slug"},
        InvalidManifestCase{"NoFunctions", std::string(R"({"slug":"greeter","functions":[]})"), "functions"},
        InvalidManifestCase{
            "MissingModuleFile",
            manifest_with_function(
                R"({"name":"app","endpoint":{"methods":["GET"],"path":"/app/*"},"module":"missing.js","auth":"none"})"),
            "functions[0].module"},
        InvalidManifestCase{
            "PathNotAPrefixPattern",
            manifest_with_function(
                R"({"name":"app","endpoint":{"methods":["GET"],"path":"/app"},"module":"app.js","auth":"none"})"),
            "functions[0].endpoint.path"},
        InvalidManifestCase{
            "UnknownMethod",
            manifest_with_function(
                R"({"name":"app","endpoint":{"methods":["FETCH"],"path":"/app/*"},"module":"app.js","auth":"none"})"),
            "functions[0].endpoint.methods[0]"},
        InvalidManifestCase{
            "UnknownFunctionKey",
            manifest_with_function(
                R"({"name":"app","endpoint":{"methods":["GET"],"path":"/app/*"},"module":"app.js","timeout":5})"),
            "functions[0].timeout"},
        InvalidManifestCase{
            "BadAuth",
            manifest_with_function(
                R"({"name":"app","endpoint":{"methods":["GET"],"path":"/app/*"},"module":"app.js","auth":"oauth"})"),
            "functions[0].auth"}),
    [](const ::testing::TestParamInfo<InvalidManifestCase>& info) { return std::string(info.param.name); });

TEST_F(AdminApiTest, BodyThatIsNotABundleIs400) {
  auto response = server.admin("POST", "/_admin/v1/agents", "{\"nope\": 1}");
  EXPECT_EQ(response.status, 400) << response.body;
  auto not_json = server.admin("POST", "/_admin/v1/agents", "files=1");
  EXPECT_EQ(not_json.status, 400) << not_json.body;
}

TEST_F(AdminApiTest, MissingAgentJsonIs400NamingIt) {
  auto response = server.deploy({{"app.js", text_handler("x")}});
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_TRUE(contains(error_message(response.body), "agent.json")) << response.body;
}

TEST_F(AdminApiTest, ModuleThatDoesNotCompileIs400NamingTheFile) {
  auto response = server.deploy(one_function_bundle(kId, "greeter", "export default async (ctx) => { return {;"));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(error_code(response.body), "INVALID_BUNDLE") << response.body;
  EXPECT_TRUE(contains(error_message(response.body), "app.js")) << response.body;
  EXPECT_EQ(server.admin("GET", std::string("/_admin/v1/agents/") + kId).status, 404);
}

TEST_F(AdminApiTest, ModuleWithoutDefaultExportIs400NamingTheFile) {
  auto response = server.deploy(one_function_bundle(kId, "greeter", "export const handler = () => ({});"));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_TRUE(contains(error_message(response.body), "app.js")) << response.body;
}

TEST_F(AdminApiTest, RejectedDeployLeavesThePreviousVersionServing) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "greeter", text_handler("old"))).status, 201);
  ASSERT_EQ(http_get(server.port(), app_url()).body, "old");

  auto broken_module = server.deploy(one_function_bundle(kId, "greeter", "export default async () => {"));
  EXPECT_EQ(broken_module.status, 400) << broken_module.body;
  auto broken_manifest = server.deploy({{"agent.json", manifest_with_function(kGoodFunction, "Bad Slug")},
                                        {"app.js", text_handler("new")}});
  EXPECT_EQ(broken_manifest.status, 400) << broken_manifest.body;

  auto response = http_get(server.port(), app_url());
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "old");
  EXPECT_EQ(json_int(parse_json(server.admin("GET", std::string("/_admin/v1/agents/") + kId).body), "version"), 1);

  // The next good deploy is version 2: the rejected ones consumed no version number.
  auto fixed = server.deploy(one_function_bundle(kId, "greeter", text_handler("new")));
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  EXPECT_EQ(json_int(parse_json(fixed.body), "version"), 2);
  EXPECT_EQ(http_get(server.port(), app_url()).body, "new");
}

TEST_F(AdminApiTest, ManifestWithoutIdGetsAGeneratedIdThatRedeploysKeep) {
  auto first = server.deploy(one_function_bundle("", "anonymous", text_handler("one")));
  ASSERT_EQ(first.status, 201) << first.body;
  std::string id = json_string(parse_json(first.body), "id");
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"))) << id;
  EXPECT_EQ(http_get(server.port(), "/agents/" + id + "/app/").body, "one");

  auto second = server.deploy(one_function_bundle("", "anonymous", text_handler("two")));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(json_string(parse_json(second.body), "id"), id);
  EXPECT_EQ(json_int(parse_json(second.body), "version"), 2);
  EXPECT_EQ(http_get(server.port(), "/agents/" + id + "/app/").body, "two");
}

TEST_F(AdminApiTest, RedeployUnderANewSlugMovesTheAgent) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "old-name", text_handler("renamed"))).status, 201);
  auto renamed = server.deploy(one_function_bundle(kId, "new-name", text_handler("renamed")));
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(http_get(server.port(), "/agents/old-name/app/").status, 404);
  EXPECT_EQ(http_get(server.port(), "/agents/new-name/app/").header("location"), app_url());
  EXPECT_EQ(server.admin("GET", "/_admin/v1/agents/old-name").status, 404);
  // The old slug is free again.
  EXPECT_EQ(server.deploy(one_function_bundle(kOtherId, "old-name", text_handler("other"))).status, 201);
}

TEST_F(AdminApiTest, SlugTakenByAnotherIdIs409) {
  ASSERT_EQ(server.deploy(one_function_bundle(kId, "greeter", text_handler("mine"))).status, 201);
  auto response = server.deploy(one_function_bundle(kOtherId, "greeter", text_handler("theirs")));
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(error_code(response.body), "SLUG_TAKEN") << response.body;
  EXPECT_EQ(http_get(server.port(), app_url()).body, "mine");
  EXPECT_EQ(http_get(server.port(), app_url(kOtherId)).status, 404);
}

}  // namespace
}  // namespace agentgate::testing
