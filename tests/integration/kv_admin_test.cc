// The admin API's kv routes (/_admin/v1/agents/<id|slug>/kv) and the `agentgate kv` command over
// them: reading, listing with cursors and deleting what handlers stored, values rendered as JSON
// with tagged types, the errors, and user_ids that need escaping.
#include <gtest/gtest.h>

#include "tests/support/command_runner.h"
#include "tests/support/kv_fixtures.h"

namespace agentgate::testing {
namespace {

// Table rows print as their name in gtest's messages.
template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

constexpr const char* kAgent = "c0c0c0c0-1111-4222-8333-444455556666";
constexpr const char* kOtherAgent = "d0d0d0d0-1111-4222-8333-444455556666";
constexpr const char* kSlug = "kv-admin";

boost::json::object standard_permissions() {
  return {{"self", "rw"}, {"subjects", {{"google:*", "rw"}, {"anon:*", "r"}}}};
}

class KvAdminTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data"};

  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    auto deployed = server.deploy(kv_bundle(kAgent, kSlug, standard_permissions()));
    ASSERT_EQ(deployed.status, 201) << deployed.body;
  }

  // Stores through the agent's handler; `params` adds to user_id and key.
  void put(const std::string& user_id, const std::string& key, QueryParams params, const std::string& agent = kAgent) {
    params.insert(params.begin(), {{"user_id", user_id}, {"key", key}});
    auto reply = kv_call(server.port(), agent, "put", params);
    ASSERT_TRUE(reply.ok()) << reply.status << " " << reply.raw;
  }
  void put_json(const std::string& user_id, const std::string& key, const std::string& json,
                const std::string& agent = kAgent) {
    put(user_id, key, {{"value", json}}, agent);
  }

  // The admin kv route of `agent` with the query `params`.
  HttpResult admin_kv(const std::string& method, const QueryParams& params, const std::string& agent = kAgent) {
    return server.admin(method, "/_admin/v1/agents/" + agent + "/kv" + query_string(params));
  }
};

struct RenderCase {
  const char* name;
  QueryParams put;       // value parameters for the handler's put
  std::string rendered;  // the admin API's "value"
};

class KvAdminRenderTest : public KvAdminTest, public ::testing::WithParamInterface<RenderCase> {};

TEST_P(KvAdminRenderTest, GetRendersTheValueAsJson) {
  put("google:render", "k", GetParam().put);
  for (const std::string& reference : {std::string(kAgent), std::string(kSlug)}) {
    SCOPED_TRACE(reference);
    auto response = admin_kv("GET", {{"user_id", "google:render"}, {"key", "k"}}, reference);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.header("content-type"), "application/json");
    auto body = parse_json(response.body);
    EXPECT_EQ(json_string(body, "user_id"), "google:render") << response.body;
    EXPECT_EQ(json_string(body, "key"), "k") << response.body;
    ASSERT_TRUE(body.is_object()) << response.body;
    EXPECT_EQ(body.at("value"), parse_json(GetParam().rendered)) << response.body;
    EXPECT_TRUE(body.at("expiresAt").is_null()) << response.body;
  }
}

INSTANTIATE_TEST_SUITE_P(
    KvRender, KvAdminRenderTest,
    ::testing::Values(RenderCase{"String", {{"value", R"("hello")"}}, R"("hello")"},
                      RenderCase{"Unicode", {{"value", R"("grüße 👋")"}}, R"("grüße 👋")"},
                      RenderCase{"Number", {{"value", "12.5"}}, "12.5"},
                      RenderCase{"Null", {{"value", "null"}}, "null"},
                      RenderCase{"Object", {{"value", R"({"a":[1,true,null],"b":{"c":"d"}})"}},
                                 R"({"a":[1,true,null],"b":{"c":"d"}})"},
                      RenderCase{"Date", {{"value", "1700000000000"}, {"as", "date"}},
                                 R"({"$type":"Date","value":"2023-11-14T22:13:20.000Z"})"},
                      RenderCase{"InvalidDate", {{"value", R"("not a date")"}, {"as", "date"}},
                                 R"({"$type":"Date","value":null})"},
                      RenderCase{"Uint8Array", {{"value", "[0,1,171,255]"}, {"as", "bytes"}},
                                 R"({"$type":"Uint8Array","hex":"0001abff"})"},
                      RenderCase{"EmptyUint8Array", {{"value", "[]"}, {"as", "bytes"}}, R"({"$type":"Uint8Array","hex":""})"}),
    [](const ::testing::TestParamInfo<RenderCase>& info) { return std::string(info.param.name); });

TEST_F(KvAdminTest, GetShowsTheExpiryOfAValueWithATtl) {
  put("google:ttl", "k", {{"value", "1"}, {"ttl", "3600"}});
  auto response = admin_kv("GET", {{"user_id", "google:ttl"}, {"key", "k"}});
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = parse_json(response.body);
  ASSERT_TRUE(body.is_object() && body.at("expiresAt").is_int64()) << response.body;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
  EXPECT_GT(body.at("expiresAt").as_int64(), now) << response.body;
  EXPECT_LE(body.at("expiresAt").as_int64(), now + 3600 * 1000) << response.body;
}

TEST_F(KvAdminTest, AValueWithALoneSurrogateIsRendered) {
  // Values are structured clones: a string with a lone surrogate is storable, and the operator's
  // view must still answer (JSON.stringify escapes it as \ud800).
  auto stored = kv_call(server.port(), kAgent, "put",
                        {{"user_id", "google:odd"}, {"key", "k"}, {"args", R"({"value":"x\ud800y"})"}});
  ASSERT_TRUE(stored.ok()) << stored.raw;
  auto response = admin_kv("GET", {{"user_id", "google:odd"}, {"key", "k"}});
  EXPECT_EQ(response.status, 200) << response.error << response.body << server.log();
  // Rendered as U+FFFD, as UTF-8 has no lone surrogates.
  EXPECT_EQ(json_string(parse_json(response.body), "value"), "x\xef\xbf\xbdy") << response.body;
  auto listed = admin_kv("GET", {{"user_id", "google:odd"}});
  EXPECT_EQ(listed.status, 200) << listed.error << listed.body;
  // The server is still there.
  EXPECT_EQ(admin_kv("GET", {{"user_id", "google:odd"}, {"key", "missing"}}).status, 404);
}

TEST_F(KvAdminTest, DeeplyNestedValuesAreRendered) {
  boost::json::parse_options deep;
  deep.max_depth = 10'000;
  // 1000 levels: deeper than Boost.JSON's default limit (32), shallow enough for V8 to store.
  for (int depth : {31, 40, 1000}) {
    SCOPED_TRACE(depth);
    std::string nested = std::string(depth, '[') + "1" + std::string(depth, ']');
    put("google:deep", "k", {{"value", std::to_string(depth)}, {"as", "nest"}});
    auto response = admin_kv("GET", {{"user_id", "google:deep"}, {"key", "k"}});
    ASSERT_EQ(response.status, 200) << response.error << response.body << server.log();
    boost::system::error_code ec;
    auto body = boost::json::parse(response.body, ec, {}, deep);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(body.at("value"), boost::json::parse(nested, ec, {}, deep));
    auto listed = admin_kv("GET", {{"user_id", "google:deep"}});
    EXPECT_EQ(listed.status, 200) << listed.error << listed.body;
    auto cli = run_command({AGENTGATE_BINARY, "kv", "get", "--agent", kAgent, "--user-id", "google:deep", "--key", "k",
                            "--server", "http://127.0.0.1:" + std::to_string(server.port()), "--token-file",
                            dir.path() + "/data/admin.token"});
    EXPECT_EQ(cli.exit_code, 0) << cli.err;
    EXPECT_EQ(cli.out, nested + "\n");
  }
}

TEST_F(KvAdminTest, GetOfAMissingKeyIs404) {
  put_json("google:alice", "present", "1");
  for (const auto& [user_id, key] : std::vector<std::pair<std::string, std::string>>{{"google:alice", "absent"},
                                                                                    {"google:nobody", "present"}}) {
    auto response = admin_kv("GET", {{"user_id", user_id}, {"key", key}});
    EXPECT_EQ(response.status, 404) << response.body;
    EXPECT_EQ(error_code(response.body), "NOT_FOUND") << response.body;
  }
}

TEST_F(KvAdminTest, ListPagesWithTheCursorInKeyOrder) {
  for (const char* key : {"e", "a", "c", "b", "d"}) put_json("google:lister", key, std::string("\"value ") + key + "\"");
  put_json("google:lister", "other:1", "1");
  std::vector<std::string> keys;
  std::vector<size_t> page_sizes;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    QueryParams params = {{"user_id", "google:lister"}, {"limit", "2"}};
    if (!cursor.empty()) params.emplace_back("cursor", cursor);
    auto response = admin_kv("GET", params);
    ASSERT_EQ(response.status, 200) << response.body;
    auto body = parse_json(response.body);
    ASSERT_TRUE(body.is_object()) << response.body;
    const auto& items = body.at("items").as_array();
    page_sizes.push_back(items.size());
    for (const auto& item : items) {
      std::string key(item.at("key").as_string());
      keys.push_back(key);
      if (key.size() == 1) {
        EXPECT_EQ(item.at("value"), boost::json::value("value " + key)) << response.body;
      }
      EXPECT_TRUE(item.at("expiresAt").is_null()) << response.body;
    }
    if (body.at("cursor").is_null()) break;
    cursor = std::string(body.at("cursor").as_string());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c", "d", "e", "other:1"}));
  EXPECT_EQ(page_sizes, (std::vector<size_t>{2, 2, 2}));

  auto prefixed = admin_kv("GET", {{"user_id", "google:lister"}, {"prefix", "other:"}});
  ASSERT_EQ(prefixed.status, 200) << prefixed.body;
  auto body = parse_json(prefixed.body);
  ASSERT_TRUE(body.is_object()) << prefixed.body;
  ASSERT_EQ(body.at("items").as_array().size(), 1u) << prefixed.body;
  EXPECT_EQ(body.at("items").as_array()[0].at("key"), boost::json::value("other:1"));
  EXPECT_TRUE(body.at("cursor").is_null()) << prefixed.body;

  auto nobody = admin_kv("GET", {{"user_id", "google:nobody"}});
  ASSERT_EQ(nobody.status, 200) << nobody.body;
  EXPECT_EQ(parse_json(nobody.body), parse_json(R"({"items":[],"cursor":null})"));
}

TEST_F(KvAdminTest, ListRendersTaggedTypes) {
  put("google:typed", "date", {{"value", "0"}, {"as", "date"}});
  put("google:typed", "bytes", {{"value", "[16,32]"}, {"as", "bytes"}});
  auto response = admin_kv("GET", {{"user_id", "google:typed"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(parse_json(response.body), parse_json(R"({"items":[
      {"key":"bytes","value":{"$type":"Uint8Array","hex":"1020"},"expiresAt":null},
      {"key":"date","value":{"$type":"Date","value":"1970-01-01T00:00:00.000Z"},"expiresAt":null}],"cursor":null})"))
      << response.body;
}

TEST_F(KvAdminTest, DeleteRemovesTheValueTheHandlerSees) {
  put_json("google:alice", "k", "\"doomed\"");
  auto deleted = admin_kv("DELETE", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(parse_json(deleted.body), parse_json(R"({"deleted":true})"));
  auto read = kv_call(server.port(), kAgent, "get", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_TRUE(read.ok()) << read.raw;
  EXPECT_TRUE(read.result().is_null()) << read.raw;

  auto again = admin_kv("DELETE", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(parse_json(again.body), parse_json(R"({"deleted":false})"));
}

TEST_F(KvAdminTest, WithoutTheTokenNothingIsReadOrDeleted) {
  put_json("google:alice", "k", "\"guarded\"");
  std::string target = std::string("/_admin/v1/agents/") + kAgent + "/kv" +
                       query_string({{"user_id", "google:alice"}, {"key", "k"}});
  for (const std::string method : {"GET", "DELETE"}) {
    for (const std::string& authorization : {std::string(), std::string("Bearer wrong-token"), std::string("Basic x")}) {
      SCOPED_TRACE(method + " with '" + authorization + "'");
      HttpRequestSpec spec;
      spec.method = method;
      spec.target = target;
      if (!authorization.empty()) spec.headers = {{"authorization", authorization}};
      auto response = http_request(server.port(), spec);
      EXPECT_EQ(response.status, 401) << response.body;
      EXPECT_FALSE(contains(response.body, "guarded")) << response.body;
    }
  }
  auto read = kv_call(server.port(), kAgent, "get", {{"user_id", "google:alice"}, {"key", "k"}});
  EXPECT_EQ(read.result(), boost::json::value("guarded")) << read.raw;
}

struct BadRequestCase {
  const char* name;
  std::string method;
  std::string query;  // raw query string, "?..."
  int status;
  std::string code;
  std::string mentions;
};

class KvAdminBadRequestTest : public KvAdminTest, public ::testing::WithParamInterface<BadRequestCase> {};

TEST_P(KvAdminBadRequestTest, AnswersTheErrorNamingTheProblem) {
  put_json("google:alice", "k", "1");
  const BadRequestCase& row = GetParam();
  auto response = server.admin(row.method, std::string("/_admin/v1/agents/") + kAgent + "/kv" + row.query);
  EXPECT_EQ(response.status, row.status) << response.body;
  EXPECT_EQ(error_code(response.body), row.code) << response.body;
  EXPECT_TRUE(contains(error_message(response.body), row.mentions)) << response.body;
  // Nothing was deleted by a refused request.
  auto read = kv_call(server.port(), kAgent, "get", {{"user_id", "google:alice"}, {"key", "k"}});
  EXPECT_EQ(read.result(), boost::json::value(1)) << read.raw;
}

const std::string kLongUser = "google:" + std::string(250, 'u');
const std::string kLongKey(513, 'k');

INSTANTIATE_TEST_SUITE_P(
    KvBadRequests, KvAdminBadRequestTest,
    ::testing::Values(
        BadRequestCase{"MissingUserId", "GET", "?key=k", 400, "INVALID_ARGUMENT", "user_id"},
        BadRequestCase{"NoQueryAtAll", "GET", "", 400, "INVALID_ARGUMENT", "user_id"},
        BadRequestCase{"EmptyUserId", "GET", "?user_id=&key=k", 400, "INVALID_ARGUMENT", "user_id"},
        BadRequestCase{"UserIdTooLong", "GET", "?user_id=" + kLongUser + "&key=k", 400, "INVALID_ARGUMENT", "user_id"},
        BadRequestCase{"EmptyKey", "GET", "?user_id=google:alice&key=", 400, "INVALID_ARGUMENT", "key"},
        BadRequestCase{"KeyTooLong", "GET", "?user_id=google:alice&key=" + kLongKey, 400, "INVALID_ARGUMENT", "key"},
        BadRequestCase{"UnknownParameter", "GET", "?user_id=google:alice&key=k&verbose=1", 400, "INVALID_ARGUMENT", "verbose"},
        BadRequestCase{"RepeatedParameter", "GET", "?user_id=google:alice&user_id=google:bob", 400, "INVALID_ARGUMENT", "user_id"},
        BadRequestCase{"KeyAndPrefix", "GET", "?user_id=google:alice&key=k&prefix=p", 400, "INVALID_ARGUMENT", "prefix"},
        BadRequestCase{"KeyAndLimit", "GET", "?user_id=google:alice&key=k&limit=1", 400, "INVALID_ARGUMENT", "limit"},
        BadRequestCase{"LimitZero", "GET", "?user_id=google:alice&limit=0", 400, "INVALID_ARGUMENT", "limit"},
        BadRequestCase{"LimitNotANumber", "GET", "?user_id=google:alice&limit=ten", 400, "INVALID_ARGUMENT", "limit"},
        BadRequestCase{"LimitNegative", "GET", "?user_id=google:alice&limit=-1", 400, "INVALID_ARGUMENT", "limit"},
        BadRequestCase{"LimitOverTheMaximum", "GET", "?user_id=google:alice&limit=1001", 400, "INVALID_ARGUMENT", "limit"},
        BadRequestCase{"CursorNotBase64url", "GET", "?user_id=google:alice&cursor=%21%21", 400, "INVALID_ARGUMENT", "cursor"},
        BadRequestCase{"CursorOutsideThePrefix", "GET", "?user_id=google:alice&prefix=a&cursor=enp6", 400, "INVALID_ARGUMENT", "cursor"},
        // 684 base64url characters: 513 bytes, one more than a key may have.
        BadRequestCase{"CursorLongerThanAKey", "GET", "?user_id=google:alice&cursor=" + std::string(684, 'A'), 400,
                       "INVALID_ARGUMENT", "cursor"},
        BadRequestCase{"DeleteWithoutKey", "DELETE", "?user_id=google:alice", 400, "INVALID_ARGUMENT", "key"},
        BadRequestCase{"DeleteWithoutUserId", "DELETE", "?key=k", 400, "INVALID_ARGUMENT", "user_id"},
        BadRequestCase{"Post", "POST", "?user_id=google:alice&key=k", 405, "METHOD_NOT_ALLOWED", "GET"},
        BadRequestCase{"Put", "PUT", "?user_id=google:alice&key=k", 405, "METHOD_NOT_ALLOWED", "GET"}),
    [](const ::testing::TestParamInfo<BadRequestCase>& info) { return std::string(info.param.name); });

TEST_F(KvAdminTest, UnknownAgentIs404) {
  auto response = admin_kv("GET", {{"user_id", "google:alice"}, {"key", "k"}}, kOtherAgent);
  EXPECT_EQ(response.status, 404) << response.body;
  EXPECT_EQ(error_code(response.body), "NOT_FOUND") << response.body;
  EXPECT_EQ(admin_kv("GET", {{"user_id", "google:alice"}}, "no-such-slug").status, 404);
}

TEST_F(KvAdminTest, TheRoutesSeeOnlyTheNamedAgentsData) {
  ASSERT_EQ(server.deploy(kv_bundle(kOtherAgent, "kv-other", standard_permissions())).status, 201);
  put_json("google:alice", "k", "\"from the first agent\"");
  put_json("google:alice", "mine", "\"from the other agent\"", kOtherAgent);

  EXPECT_EQ(admin_kv("GET", {{"user_id", "google:alice"}, {"key", "k"}}, kOtherAgent).status, 404);
  auto listed = admin_kv("GET", {{"user_id", "google:alice"}}, kOtherAgent);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_FALSE(contains(listed.body, "first agent")) << listed.body;
  EXPECT_TRUE(contains(listed.body, "other agent")) << listed.body;
  auto deleted = admin_kv("DELETE", {{"user_id", "google:alice"}, {"key", "k"}}, kOtherAgent);
  EXPECT_EQ(parse_json(deleted.body), parse_json(R"({"deleted":false})")) << deleted.body;
  EXPECT_EQ(admin_kv("GET", {{"user_id", "google:alice"}, {"key", "k"}}).status, 200);
}

TEST_F(KvAdminTest, UserIdsAndKeysThatNeedEscapingReachTheSameEntries) {
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"google:a&b c", "k=1&x"},      {"google:plus+sign", "a+b"},      {"google:100%", "%2F"},
      {"google:ü/ß?#", "ключ/?#"},     {"google:semi;colon", "tab\tkey"}, {std::string(kAgent), "self key"},
      {std::string("google:nul\0user", 15), std::string("k\0ey", 4)},
  };
  for (const auto& [user_id, key] : entries) {
    SCOPED_TRACE(user_id + " / " + key);
    put_json(user_id, key, json_text(boost::json::value(user_id + "|" + key)));
    auto response = admin_kv("GET", {{"user_id", user_id}, {"key", key}});
    ASSERT_EQ(response.status, 200) << response.body;
    auto body = parse_json(response.body);
    EXPECT_EQ(json_string(body, "user_id"), user_id);
    EXPECT_EQ(json_string(body, "key"), key);
    EXPECT_EQ(json_string(body, "value"), user_id + "|" + key);
  }
}

// --- agentgate kv ---------------------------------------------------------------------------------

CommandResult agentgate(std::vector<std::string> args) {
  args.insert(args.begin(), AGENTGATE_BINARY);
  return run_command(args);
}

class KvCliTest : public KvAdminTest {
 protected:
  std::string token_file = dir.path() + "/data/admin.token";

  CommandResult kv(std::vector<std::string> args) {
    // The connection flags first, so a case can end with a flag that lacks its value.
    args.insert(args.begin(), {"kv", "--server", "http://127.0.0.1:" + std::to_string(server.port()), "--token-file",
                               token_file});
    return agentgate(std::move(args));
  }
};

TEST_F(KvCliTest, GetPrintsTheValueAsJson) {
  const std::string user_id = "google:a&b c:d";
  put(user_id, "profile", {{"value", R"({"name":"Ada","langs":["en","fr"]})"}});
  for (const std::string& agent : {std::string(kAgent), std::string(kSlug)}) {
    auto result = kv({"get", "--agent", agent, "--user-id", user_id, "--key", "profile"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(parse_json(result.out), parse_json(R"({"name":"Ada","langs":["en","fr"]})")) << result.out;
  }
}

TEST_F(KvCliTest, GetShowsTaggedTypes) {
  put("google:x", "when", {{"value", "1700000000000"}, {"as", "date"}});
  auto result = kv({"get", "--agent", kAgent, "--user-id", "google:x", "--key", "when"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(parse_json(result.out), parse_json(R"({"$type":"Date","value":"2023-11-14T22:13:20.000Z"})")) << result.out;
}

TEST_F(KvCliTest, GetOfAMissingKeyExitsOneSayingNotFound) {
  auto result = kv({"get", "--agent", kAgent, "--user-id", "google:x", "--key", "absent"});
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_TRUE(contains(result.err, "NOT_FOUND")) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST_F(KvCliTest, ListPrintsKeysAndValuesAndTheNextCursor) {
  const std::string user_id = "google:list & more";
  for (const char* key : {"k1", "k2", "k3"}) put(user_id, key, {{"value", std::string("\"value of ") + key + "\""}});
  auto all = kv({"list", "--agent", kAgent, "--user-id", user_id});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  for (const char* key : {"k1", "k2", "k3"}) {
    EXPECT_TRUE(contains(all.out, std::string("\"") + key + "\"\t\"value of " + key + "\"")) << all.out;
  }
  EXPECT_FALSE(contains(all.err, "--cursor")) << all.err;

  auto first = kv({"list", "--agent", kAgent, "--user-id", user_id, "--limit", "2"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "value of k2")) << first.out;
  EXPECT_FALSE(contains(first.out, "value of k3")) << first.out;
  size_t at = first.err.find("--cursor ");
  ASSERT_NE(at, std::string::npos) << first.err;
  std::string cursor = first.err.substr(at + 9);
  cursor = cursor.substr(0, cursor.find_first_of("\r\n "));
  auto second = kv({"list", "--agent", kAgent, "--user-id", user_id, "--limit", "2", "--cursor", cursor});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "value of k3")) << second.out;
  EXPECT_FALSE(contains(second.out, "value of k1")) << second.out;

  auto prefixed = kv({"list", "--agent", kAgent, "--user-id", user_id, "--prefix", "k3"});
  ASSERT_EQ(prefixed.exit_code, 0) << prefixed.err;
  EXPECT_TRUE(contains(prefixed.out, "value of k3")) << prefixed.out;
  EXPECT_FALSE(contains(prefixed.out, "value of k1")) << prefixed.out;
}

TEST_F(KvCliTest, DeleteRemovesAndSaysWhenThereWasNothing) {
  const std::string user_id = "google:del&ete me";
  put(user_id, "k", {{"value", "1"}});
  auto deleted = kv({"delete", "--agent", kAgent, "--user-id", user_id, "--key", "k"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_TRUE(contains(deleted.out, "deleted")) << deleted.out;
  auto read = kv_call(server.port(), kAgent, "get", {{"user_id", user_id}, {"key", "k"}});
  EXPECT_TRUE(read.ok() && read.result().is_null()) << read.raw;

  auto again = kv({"delete", "--agent", kAgent, "--user-id", user_id, "--key", "k"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, "no such key")) << again.out;
}

TEST_F(KvCliTest, ServerSideErrorsExitOne) {
  auto unknown_agent = kv({"get", "--agent", kOtherAgent, "--user-id", "google:x", "--key", "k"});
  EXPECT_EQ(unknown_agent.exit_code, 1);
  EXPECT_TRUE(contains(unknown_agent.err, "NOT_FOUND")) << unknown_agent.err;
  auto bad_limit = kv({"list", "--agent", kAgent, "--user-id", "google:x", "--limit", "0"});
  EXPECT_EQ(bad_limit.exit_code, 1);
  EXPECT_TRUE(contains(bad_limit.err, "INVALID_ARGUMENT")) << bad_limit.err;
  auto bad_cursor = kv({"list", "--agent", kAgent, "--user-id", "google:x", "--cursor", "!!"});
  EXPECT_EQ(bad_cursor.exit_code, 1);
  EXPECT_TRUE(contains(bad_cursor.err, "cursor")) << bad_cursor.err;
}

TEST_F(KvCliTest, WrongTokenExitsOne) {
  write_files(dir.path(), {{"wrong.token", "wrong-token-0123456789abcdef\n"}});
  auto result = agentgate({"kv", "get", "--agent", kAgent, "--user-id", "google:x", "--key", "k", "--server",
                           "http://127.0.0.1:" + std::to_string(server.port()), "--token-file", dir.path() + "/wrong.token"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.err, "UNAUTHORIZED")) << result.err;
}

struct CliUsageCase {
  const char* name;
  std::vector<std::string> args;  // after "kv"
};

class KvCliUsageTest : public KvCliTest, public ::testing::WithParamInterface<CliUsageCase> {};

TEST_P(KvCliUsageTest, ExitsTwoWithTheUsage) {
  auto result = kv(GetParam().args);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "agentgate kv") || contains(result.err, "--")) << result.err;
}

INSTANTIATE_TEST_SUITE_P(
    KvCliUsage, KvCliUsageTest,
    ::testing::Values(CliUsageCase{"NoSubcommand", {}},
                      CliUsageCase{"UnknownSubcommand", {"put", "--agent", kAgent, "--user-id", "u", "--key", "k"}},
                      CliUsageCase{"GetWithoutKey", {"get", "--agent", kAgent, "--user-id", "u"}},
                      CliUsageCase{"GetWithoutAgent", {"get", "--user-id", "u", "--key", "k"}},
                      CliUsageCase{"GetWithoutUserId", {"get", "--agent", kAgent, "--key", "k"}},
                      CliUsageCase{"GetWithALimit", {"get", "--agent", kAgent, "--user-id", "u", "--key", "k", "--limit", "1"}},
                      CliUsageCase{"ListWithAKey", {"list", "--agent", kAgent, "--user-id", "u", "--key", "k"}},
                      CliUsageCase{"DeleteWithAPrefix", {"delete", "--agent", kAgent, "--user-id", "u", "--key", "k", "--prefix", "p"}},
                      CliUsageCase{"FlagWithoutValue", {"get", "--agent", kAgent, "--user-id", "u", "--key"}},
                      CliUsageCase{"UnknownFlag", {"get", "--agent", kAgent, "--user-id", "u", "--key", "k", "--verbose"}},
                      CliUsageCase{"TwoSubcommands", {"get", "list", "--agent", kAgent, "--user-id", "u", "--key", "k"}}),
    [](const ::testing::TestParamInfo<CliUsageCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace agentgate::testing
