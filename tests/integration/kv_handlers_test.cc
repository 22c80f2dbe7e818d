// ctx.kv as handlers use it, through the real server over HTTP: round trips of every kind of value,
// TTL, listing with cursors, permissions and argument errors, the limits, per-agent isolation against
// an agent that tries every trick to reach another's data, racing takes, persistence across a clean
// restart, and deletion of an agent's data with the agent.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <set>

#include "tests/support/kv_fixtures.h"

namespace agentgate::testing {
namespace {

// Table rows print as their name in gtest's messages.
template <class Case>
  requires requires(const Case& row) { row.name; }
void PrintTo(const Case& row, std::ostream* out) {
  *out << row.name;
}

constexpr const char* kAgentA = "a0a0a0a0-1111-4222-8333-444455556666";
constexpr const char* kAgentB = "b0b0b0b0-1111-4222-8333-444455556666";
// A's id with its last byte + 1: the first id past the range that holds A's data.
constexpr const char* kNeighbourOfA = "a0a0a0a0-1111-4222-8333-444455556667";

// The permissions most tests use: agent-wide state, Google users read-write, anonymous read-only.
boost::json::object standard_permissions() {
  return {{"self", "rw"}, {"visitor", "rw"}, {"subjects", {{"google:*", "rw"}, {"anon:*", "r"}}}};
}

std::string base64url(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63]};
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63]};
  }
  return out;
}

// A stored key as kv/encoding.h lays it out (what a forged cursor would try to point at).
std::string stored_key(const std::string& agent, const std::string& user_id, const std::string& key) {
  std::string out = agent;
  out.push_back(static_cast<char>(user_id.size() >> 8));
  out.push_back(static_cast<char>(user_id.size() & 0xff));
  return out + user_id + key;
}

class KvHandlersTest : public ::testing::Test {
 protected:
  TempDir dir;
  ServerProcess server{dir.path() + "/data"};

  void SetUp() override {
    ASSERT_TRUE(server.started()) << server.log();
    auto deployed = server.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions()));
    ASSERT_EQ(deployed.status, 201) << deployed.body;
  }

  KvReply call(const std::string& op, const QueryParams& params, const std::string& agent = kAgentA,
               const std::string& function = "kv") {
    return kv_call(server.port(), agent, op, params, function);
  }
  // put, asserting it resolved.
  void put(const std::string& user_id, const std::string& key, const boost::json::value& value,
           const std::string& agent = kAgentA) {
    auto reply = call("put", {{"user_id", user_id}, {"key", key}, {"value", json_text(value)}}, agent);
    ASSERT_TRUE(reply.ok()) << reply.status << " " << reply.raw << reply.error;
  }
  void put(const std::string& user_id, const std::string& key, const std::string& value,
           const std::string& agent = kAgentA) {
    put(user_id, key, boost::json::value(value), agent);
  }
  void put(const std::string& user_id, const std::string& key, const char* value, const std::string& agent = kAgentA) {
    put(user_id, key, boost::json::value(value), agent);
  }
  boost::json::value get(const std::string& user_id, const std::string& key, const std::string& agent = kAgentA) {
    auto reply = call("get", {{"user_id", user_id}, {"key", key}}, agent);
    EXPECT_TRUE(reply.ok()) << reply.status << " " << reply.raw << reply.error;
    return reply.result();
  }
};

struct RoundTripCase {
  const char* name;
  std::string value;  // the `value` parameter (JSON)
  std::string as;     // the `as` parameter, "" for plain JSON
  std::string expected;  // the rendered result of get
};

class KvRoundTripTest : public KvHandlersTest, public ::testing::WithParamInterface<RoundTripCase> {};

TEST_P(KvRoundTripTest, GetReturnsWhatPutStored) {
  const RoundTripCase& row = GetParam();
  QueryParams params = {{"self", "1"}, {"key", "value"}, {"value", row.value}};
  if (!row.as.empty()) params.emplace_back("as", row.as);
  auto stored = call("put", params);
  ASSERT_TRUE(stored.ok()) << stored.raw;
  EXPECT_EQ(stored.result(), parse_json(R"({"$undefined":true})")) << "put resolves to undefined: " << stored.raw;

  auto read = call("get", {{"self", "1"}, {"key", "value"}});
  ASSERT_TRUE(read.ok()) << read.raw;
  EXPECT_EQ(read.result(), parse_json(row.expected)) << read.raw;
}

INSTANTIATE_TEST_SUITE_P(
    KvValues, KvRoundTripTest,
    ::testing::Values(RoundTripCase{"String", R"("hello")", "", R"("hello")"},
                      RoundTripCase{"EmptyString", R"("")", "", R"("")"},
                      RoundTripCase{"Unicode", R"("grüße 👋 ключ")", "", R"("grüße 👋 ключ")"},
                      RoundTripCase{"StringWithNul", R"("a\u0000b")", "", R"("a\u0000b")"},
                      RoundTripCase{"Integer", "42", "", "42"},
                      RoundTripCase{"Fraction", "-0.5", "", "-0.5"},
                      RoundTripCase{"True", "true", "", "true"},
                      RoundTripCase{"Null", "null", "", "null"},
                      RoundTripCase{"NestedObject", R"({"a":[1,{"b":"c"}],"d":null})", "", R"({"a":[1,{"b":"c"}],"d":null})"},
                      RoundTripCase{"EmptyArray", "[]", "", "[]"},
                      RoundTripCase{"Date", "1700000000000", "date", R"({"$date":"2023-11-14T22:13:20.000Z"})"},
                      RoundTripCase{"Bytes", "[0,1,254,255]", "bytes", R"({"$bytes":[0,1,254,255]})"}),
    [](const ::testing::TestParamInfo<RoundTripCase>& info) { return std::string(info.param.name); });

TEST_F(KvHandlersTest, GetOfAMissingKeyIsNull) {
  auto read = call("get", {{"self", "1"}, {"key", "never-written"}});
  ASSERT_TRUE(read.ok()) << read.raw;
  EXPECT_TRUE(read.result().is_null()) << read.raw;
}

TEST_F(KvHandlersTest, PutOverwritesDeleteAndTakeRemove) {
  put("google:alice", "k", "first");
  put("google:alice", "k", "second");
  EXPECT_EQ(get("google:alice", "k"), boost::json::value("second"));

  auto deleted = call("delete", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_TRUE(deleted.ok()) << deleted.raw;
  EXPECT_EQ(deleted.result(), boost::json::value(true));
  auto deleted_again = call("delete", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_TRUE(deleted_again.ok()) << deleted_again.raw;
  EXPECT_EQ(deleted_again.result(), boost::json::value(false));
  EXPECT_TRUE(get("google:alice", "k").is_null());

  put("google:alice", "k", "to take");
  auto taken = call("take", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_TRUE(taken.ok()) << taken.raw;
  EXPECT_EQ(taken.result(), boost::json::value("to take"));
  auto taken_again = call("take", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_TRUE(taken_again.ok()) << taken_again.raw;
  EXPECT_TRUE(taken_again.result().is_null()) << taken_again.raw;
  EXPECT_TRUE(get("google:alice", "k").is_null());
}

TEST_F(KvHandlersTest, KeysOfOneUserDoNotLeakIntoAnotherAcrossTheBoundary) {
  // (user "google:ab", key "c") and (user "google:a", key "bc") concatenate to the same bytes.
  put("google:ab", "c", "ab|c");
  put("google:a", "bc", "a|bc");
  EXPECT_EQ(get("google:ab", "c"), boost::json::value("ab|c"));
  EXPECT_EQ(get("google:a", "bc"), boost::json::value("a|bc"));
  EXPECT_TRUE(get("google:a", "b").is_null());

  auto listed = call("list", {{"user_id", "google:a"}});
  ASSERT_TRUE(listed.ok()) << listed.raw;
  const auto& items = listed.result().at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << listed.raw;
  EXPECT_EQ(items[0].at("key"), boost::json::value("bc"));
}

TEST_F(KvHandlersTest, ListPagesThroughKeysInOrderWithAPrefix) {
  for (const char* key : {"item:3", "item:1", "other", "item:2", "item:5", "item:4"}) put("google:lister", key, key);
  std::vector<std::string> keys;
  std::string cursor;
  int pages = 0;
  for (; pages < 10; ++pages) {
    QueryParams params = {{"user_id", "google:lister"}, {"prefix", "item:"}, {"limit", "2"}};
    if (!cursor.empty()) params.emplace_back("cursor", cursor);
    auto page = call("list", params);
    ASSERT_TRUE(page.ok()) << page.raw;
    const auto& result = page.result();
    const auto& items = result.at("items").as_array();
    EXPECT_LE(items.size(), 2u) << page.raw;
    for (const auto& item : items) {
      keys.emplace_back(item.at("key").as_string());
      EXPECT_EQ(item.at("value"), item.at("key")) << page.raw;
      EXPECT_TRUE(item.at("expiresAt").is_null()) << page.raw;
    }
    if (result.at("cursor").is_null()) break;
    cursor = std::string(result.at("cursor").as_string());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"item:1", "item:2", "item:3", "item:4", "item:5"}));
  EXPECT_LT(pages, 10);

  auto everything = call("list", {{"user_id", "google:lister"}});
  ASSERT_TRUE(everything.ok()) << everything.raw;
  EXPECT_EQ(everything.result().at("items").as_array().size(), 6u) << everything.raw;
  EXPECT_TRUE(everything.result().at("cursor").is_null()) << everything.raw;
}

TEST_F(KvHandlersTest, TtlSetsExpiresAtAndTheValueExpires) {
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto stored = call("put", {{"user_id", "google:ttl"}, {"key", "short"}, {"value", "1"}, {"ttl", "1"}});
  ASSERT_TRUE(stored.ok()) << stored.raw;
  put("google:ttl", "long", 2);

  auto listed = call("list", {{"user_id", "google:ttl"}});
  ASSERT_TRUE(listed.ok()) << listed.raw;
  const auto& items = listed.result().at("items").as_array();
  // "short" may already have expired on a slow machine; "long" never does.
  ASSERT_GE(items.size(), 1u) << listed.raw;
  for (const auto& item : items) {
    if (item.at("key") == boost::json::value("short")) {
      ASSERT_TRUE(item.at("expiresAt").is_number()) << listed.raw;
      EXPECT_GE(item.at("expiresAt").to_number<int64_t>(), before + 1000) << listed.raw;
    } else {
      EXPECT_TRUE(item.at("expiresAt").is_null()) << listed.raw;
    }
  }
  EXPECT_TRUE(wait_until([&] { return get("google:ttl", "short").is_null(); }, std::chrono::seconds(15)));
  EXPECT_EQ(get("google:ttl", "long"), boost::json::value(2));
  // An expired value is gone for take, delete and list too.
  auto taken = call("take", {{"user_id", "google:ttl"}, {"key", "short"}});
  EXPECT_TRUE(taken.ok() && taken.result().is_null()) << taken.raw;
  auto deleted = call("delete", {{"user_id", "google:ttl"}, {"key", "short"}});
  EXPECT_EQ(deleted.result(), boost::json::value(false)) << deleted.raw;
  auto relisted = call("list", {{"user_id", "google:ttl"}});
  ASSERT_TRUE(relisted.ok()) << relisted.raw;
  ASSERT_EQ(relisted.result().at("items").as_array().size(), 1u) << relisted.raw;
}

struct PermissionCase {
  const char* name;
  std::string function;  // "kv" (standard permissions) or "bare" (none)
  std::string op;
  std::string user_id;  // "<self>" for the agent's own id
  bool allowed;
};

class KvPermissionTest : public KvHandlersTest, public ::testing::WithParamInterface<PermissionCase> {};

TEST_P(KvPermissionTest, AllowsOrRejectsWithPermissionDenied) {
  const PermissionCase& row = GetParam();
  std::string user_id = row.user_id == "<self>" ? kAgentA : row.user_id;
  QueryParams params = {{"user_id", user_id}};
  if (row.op != "list") params.emplace_back("key", "k");
  if (row.op == "put") params.emplace_back("value", "\"v\"");
  auto reply = call(row.op, params, kAgentA, row.function);
  if (row.allowed) {
    EXPECT_EQ(reply.status, 200) << reply.raw;
    return;
  }
  EXPECT_EQ(reply.status, 400) << reply.raw;
  EXPECT_EQ(reply.code(), "PERMISSION_DENIED") << reply.raw;
  EXPECT_TRUE(contains(reply.message(), "kv." + row.op)) << reply.raw;
  // The message names the class, never the user_id (another person's identifier).
  if (user_id.size() > 8) {
    EXPECT_FALSE(contains(reply.raw, user_id)) << reply.raw;
  }
}

INSTANTIATE_TEST_SUITE_P(
    KvPermissions, KvPermissionTest,
    ::testing::Values(PermissionCase{"SelfPut", "kv", "put", "<self>", true},
                      PermissionCase{"SelfTake", "kv", "take", "<self>", true},
                      PermissionCase{"GoogleSubjectPut", "kv", "put", "google:1234567890", true},
                      PermissionCase{"GoogleSubjectDelete", "kv", "delete", "google:1234567890", true},
                      PermissionCase{"AnonGetIsReadOnly", "kv", "get", "anon:visitor-42", true},
                      PermissionCase{"AnonListIsReadOnly", "kv", "list", "anon:visitor-42", true},
                      PermissionCase{"AnonPut", "kv", "put", "anon:visitor-42", false},
                      PermissionCase{"AnonDelete", "kv", "delete", "anon:visitor-42", false},
                      PermissionCase{"AnonTake", "kv", "take", "anon:visitor-42", false},
                      PermissionCase{"PatternNeedsABytePastThePrefix", "kv", "put", "google:", false},
                      PermissionCase{"PatternIsCaseSensitive", "kv", "get", "GOOGLE:1234567890", false},
                      PermissionCase{"StrangerGet", "kv", "get", "intruder-0001", false},
                      PermissionCase{"StrangerList", "kv", "list", "intruder-0001", false},
                      PermissionCase{"NoVisitorSignedIn", "kv", "put", "visitor-0001", false},
                      PermissionCase{"UpperCaseSelfIsNotSelf", "kv", "put", "A0A0A0A0-1111-4222-8333-444455556666", false},
                      PermissionCase{"SelfWithASuffixIsNotSelf", "kv", "get", std::string(kAgentA) + "x", false},
                      PermissionCase{"OtherAgentsIdIsNotSelf", "kv", "get", kAgentB, false},
                      PermissionCase{"FunctionWithoutPermissionsSelfGet", "bare", "get", "<self>", false},
                      PermissionCase{"FunctionWithoutPermissionsSubjectPut", "bare", "put", "google:1234567890", false}),
    [](const ::testing::TestParamInfo<PermissionCase>& info) { return std::string(info.param.name); });

struct ArgumentCase {
  const char* name;
  std::string op;
  QueryParams params;
  std::string mentions;  // the message names the offending field
  std::string code = "INVALID_ARGUMENT";
};

class KvArgumentTest : public KvHandlersTest, public ::testing::WithParamInterface<ArgumentCase> {};

TEST_P(KvArgumentTest, RejectsNamingTheField) {
  auto reply = call(GetParam().op, GetParam().params);
  EXPECT_EQ(reply.status, 400) << reply.raw;
  EXPECT_EQ(reply.code(), GetParam().code) << reply.raw;
  EXPECT_TRUE(contains(reply.message(), GetParam().mentions)) << reply.raw;
}

const std::string kLongTtl = std::to_string(int64_t{10} * 365 * 24 * 3600 + 1);

INSTANTIATE_TEST_SUITE_P(
    KvArguments, KvArgumentTest,
    ::testing::Values(
        ArgumentCase{"ScopeOtherThanAgent", "get", {{"self", "1"}, {"key", "k"}, {"scope", "user"}}, "scope"},
        ArgumentCase{"ScopeNotAString", "get", {{"self", "1"}, {"key", "k"}, {"args", R"({"scope":1})"}}, "scope"},
        ArgumentCase{"MissingKey", "get", {{"self", "1"}}, "key"},
        ArgumentCase{"EmptyKey", "get", {{"self", "1"}, {"key", ""}}, "key"},
        ArgumentCase{"KeyNotAString", "get", {{"self", "1"}, {"args", R"({"key":7})"}}, "key"},
        ArgumentCase{"MissingUserId", "get", {{"key", "k"}}, "user_id"},
        ArgumentCase{"EmptyUserId", "put", {{"user_id", ""}, {"key", "k"}, {"value", "1"}}, "user_id"},
        ArgumentCase{"UserIdNotAString", "get", {{"key", "k"}, {"args", R"({"user_id":42})"}}, "user_id"},
        ArgumentCase{"LoneSurrogateInKey", "put", {{"self", "1"}, {"value", "1"}, {"args", R"({"key":"a\ud800"})"}}, "surrogate"},
        ArgumentCase{"LoneSurrogateInUserId", "get", {{"key", "k"}, {"args", R"({"user_id":"google:\udc00"})"}}, "surrogate"},
        ArgumentCase{"LoneSurrogateInPrefix", "list", {{"self", "1"}, {"args", R"({"prefix":"\ud800"})"}}, "surrogate"},
        ArgumentCase{"PutWithoutValue", "put", {{"self", "1"}, {"key", "k"}}, "value"},
        ArgumentCase{"ValueThatCannotBeCloned", "put", {{"self", "1"}, {"key", "k"}, {"value", "1"}, {"as", "function"}}, "value"},
        ArgumentCase{"TtlZero", "put", {{"self", "1"}, {"key", "k"}, {"value", "1"}, {"ttl", "0"}}, "ttlSeconds"},
        ArgumentCase{"TtlNegative", "put", {{"self", "1"}, {"key", "k"}, {"value", "1"}, {"ttl", "-5"}}, "ttlSeconds"},
        ArgumentCase{"TtlFraction", "put", {{"self", "1"}, {"key", "k"}, {"value", "1"}, {"ttl", "1.5"}}, "ttlSeconds"},
        ArgumentCase{"TtlOverTenYears", "put", {{"self", "1"}, {"key", "k"}, {"value", "1"}, {"ttl", kLongTtl}}, "ttlSeconds"},
        ArgumentCase{"TtlAsString", "put", {{"self", "1"}, {"key", "k"}, {"value", "1"}, {"args", R"({"ttlSeconds":"60"})"}}, "ttlSeconds"},
        ArgumentCase{"LimitZero", "list", {{"self", "1"}, {"limit", "0"}}, "limit"},
        ArgumentCase{"LimitOverTheMaximum", "list", {{"self", "1"}, {"limit", "1001"}}, "limit"},
        ArgumentCase{"LimitFraction", "list", {{"self", "1"}, {"limit", "2.5"}}, "limit"},
        ArgumentCase{"CursorNotBase64url", "list", {{"self", "1"}, {"cursor", "not a cursor!"}}, "cursor"},
        ArgumentCase{"CursorNotAString", "list", {{"self", "1"}, {"args", R"({"cursor":12})"}}, "cursor"},
        ArgumentCase{"CursorOutsideThePrefix", "list", {{"self", "1"}, {"prefix", "a"}, {"cursor", "enp6"}}, "cursor"}),
    [](const ::testing::TestParamInfo<ArgumentCase>& info) { return std::string(info.param.name); });

TEST_F(KvHandlersTest, LimitsAreCountedInUtf8BytesAndSerializedValueBytes) {
  constexpr size_t kMaxValue = size_t{1} << 20;
  struct Row {
    const char* name;
    QueryParams params;
    bool accepted;
    std::string code;
  };
  std::string e_acute = "\xc3\xa9";  // two UTF-8 bytes, one UTF-16 unit
  std::string user_255;
  std::string user_257 = "google:";
  for (int i = 0; i < 124; ++i) user_255 += e_acute;
  user_255 = "google:" + user_255.substr(0, 248);
  for (int i = 0; i < 125; ++i) user_257 += e_acute;
  std::vector<Row> rows = {
      {"UserId256Bytes", {{"user_id", "google:" + std::string(249, 'u')}, {"key", "k"}, {"value", "1"}}, true, ""},
      {"UserId257Bytes", {{"user_id", "google:" + std::string(250, 'u')}, {"key", "k"}, {"value", "1"}}, false, "INVALID_ARGUMENT"},
      {"UserId255BytesOfUtf8", {{"user_id", user_255}, {"key", "k"}, {"value", "1"}}, true, ""},
      {"UserId257BytesOfUtf8", {{"user_id", user_257}, {"key", "k"}, {"value", "1"}}, false, "INVALID_ARGUMENT"},
      {"Key512Bytes", {{"self", "1"}, {"key", std::string(512, 'k')}, {"value", "1"}}, true, ""},
      {"Key513Bytes", {{"self", "1"}, {"key", std::string(513, 'k')}, {"value", "1"}}, false, "INVALID_ARGUMENT"},
      {"ValueJustUnderTheLimit", {{"self", "1"}, {"key", "big"}, {"value", std::to_string(kMaxValue - 64)}, {"as", "repeat"}}, true, ""},
      {"ValueOverTheLimit", {{"self", "1"}, {"key", "big"}, {"value", std::to_string(kMaxValue)}, {"as", "repeat"}}, false, "VALUE_TOO_LARGE"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto reply = call("put", row.params);
    if (row.accepted) {
      EXPECT_EQ(reply.status, 200) << reply.raw.substr(0, 300);
    } else {
      EXPECT_EQ(reply.status, 400) << reply.raw.substr(0, 300);
      EXPECT_EQ(reply.code(), row.code) << reply.raw.substr(0, 300);
    }
  }
  // The largest value reads back whole; the refused one did not replace it.
  auto big = get(kAgentA, "big");
  ASSERT_TRUE(big.is_string());
  EXPECT_EQ(big.as_string().size(), kMaxValue - 64);
  EXPECT_EQ(get("google:" + std::string(249, 'u'), "k"), boost::json::value(1));
  EXPECT_TRUE(get(kAgentA, std::string(512, 'k')).is_int64());
}

// The operator's --kv-max-* flags are the limits handlers meet, and the default page of kv.list
// shrinks to fit a smaller maximum. (The user_id limit leaves room for the agent's own 36-byte id.)
TEST(KvLimitFlags, TheServerFlagsSetTheLimitsHandlersMeet) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data", {"--kv-max-key-bytes", "16", "--kv-max-user-id-bytes", "40",
                                              "--kv-max-value-bytes", "100", "--kv-max-list-limit", "3"});
  ASSERT_TRUE(server.started()) << server.log();
  auto deployed = server.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions()));
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  auto call = [&](const std::string& op, const QueryParams& params) { return kv_call(server.port(), kAgentA, op, params); };
  struct Row {
    const char* name;
    const char* op;
    QueryParams params;
    std::string code;  // empty: accepted
  };
  std::vector<Row> rows = {
      {"Key16Bytes", "put", {{"self", "1"}, {"key", std::string(16, 'k')}, {"value", "1"}}, ""},
      {"Key17Bytes", "put", {{"self", "1"}, {"key", std::string(17, 'k')}, {"value", "1"}}, "INVALID_ARGUMENT"},
      {"UserId40Bytes", "put", {{"user_id", "google:" + std::string(33, 'u')}, {"key", "k"}, {"value", "1"}}, ""},
      {"UserId41Bytes", "put", {{"user_id", "google:" + std::string(34, 'u')}, {"key", "k"}, {"value", "1"}}, "INVALID_ARGUMENT"},
      {"ValueUnderTheLimit", "put", {{"self", "1"}, {"key", "v"}, {"value", "80"}, {"as", "repeat"}}, ""},
      {"ValueOverTheLimit", "put", {{"self", "1"}, {"key", "v"}, {"value", "100"}, {"as", "repeat"}}, "VALUE_TOO_LARGE"},
      {"ListLimitAtTheMaximum", "list", {{"self", "1"}, {"limit", "3"}}, ""},
      {"ListLimitOverTheMaximum", "list", {{"self", "1"}, {"limit", "4"}}, "INVALID_ARGUMENT"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    auto reply = call(row.op, row.params);
    if (row.code.empty()) {
      EXPECT_EQ(reply.status, 200) << reply.raw.substr(0, 300);
    } else {
      EXPECT_EQ(reply.status, 400) << reply.raw.substr(0, 300);
      EXPECT_EQ(reply.code(), row.code) << reply.raw.substr(0, 300);
    }
  }
  for (const char* key : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(call("put", {{"user_id", "google:pages"}, {"key", key}, {"value", "1"}}).ok());
  }
  auto page = call("list", {{"user_id", "google:pages"}});
  ASSERT_TRUE(page.ok()) << page.raw;
  EXPECT_EQ(page.result().at("items").as_array().size(), 3u) << page.raw;
  EXPECT_TRUE(page.result().at("cursor").is_string()) << page.raw;
}

TEST_F(KvHandlersTest, AStringWithALoneSurrogateIsAValueLikeAnyOther) {
  // Only user_id and key must be well-formed; values are structured clones.
  auto stored = call("put", {{"self", "1"}, {"key", "odd"}, {"args", R"({"value":"x\ud800y"})"}});
  ASSERT_TRUE(stored.ok()) << stored.raw;
  auto read = call("get", {{"self", "1"}, {"key", "odd"}});
  ASSERT_TRUE(read.ok()) << read.raw;
  EXPECT_TRUE(contains(read.raw, R"("result":"x\ud800y")")) << read.raw;
}

TEST_F(KvHandlersTest, ACtxKeptPastItsRequestCannotUseKv) {
  // One keep-alive connection is served by one worker, so both requests reach the same isolate.
  HttpConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  HttpRequestSpec save;
  save.target = std::string("/agents/") + kAgentA + "/kv/save";
  ASSERT_EQ(connection.request(save).status, 200);
  HttpRequestSpec stale;
  stale.target = std::string("/agents/") + kAgentA + "/kv/stale" + query_string({{"self", "1"}, {"key", "k"}});
  auto reply = to_kv_reply(connection.request(stale));
  EXPECT_EQ(reply.status, 400) << reply.raw;
  EXPECT_EQ(reply.code(), "INVALID_STATE") << reply.raw;
}

TEST_F(KvHandlersTest, RedeployingTheAgentKeepsItsData) {
  put(kAgentA, "kept", "across versions");
  auto redeployed = server.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions()));
  ASSERT_EQ(redeployed.status, 200) << redeployed.body;
  EXPECT_EQ(json_int(parse_json(redeployed.body), "version"), 2);
  EXPECT_EQ(get(kAgentA, "kept"), boost::json::value("across versions"));
  put(kAgentA, "kept", "by version 2");
  EXPECT_EQ(get(kAgentA, "kept"), boost::json::value("by version 2"));
}

// --- isolation between agents ---------------------------------------------------------------------

// B tries to reach A's data. B's manifest grants itself every user_id it could think of: A's id,
// anything starting with A's id, and the namespaces A uses.
class KvIsolationTest : public KvHandlersTest {
 protected:
  void SetUp() override {
    KvHandlersTest::SetUp();
    boost::json::object greedy{{"self", "rw"},
                               {"visitor", "rw"},
                               {"subjects", {{"google:*", "rw"}, {"anon:*", "rw"}, {kAgentA, "rw"},
                                             {std::string(kAgentA) + "*", "rw"}, {"a*", "rw"}}}};
    auto deployed = server.deploy(kv_bundle(kAgentB, "kv-b", greedy));
    ASSERT_EQ(deployed.status, 201) << deployed.body;
  }

  // A's values; every one contains "A-secret".
  struct Planted {
    std::string user_id;
    std::string key;
    std::string value;
  };
  std::vector<Planted> plant_secrets_in_a() {
    std::vector<Planted> planted = {
        {kAgentA, "secret", "A-secret-self"},
        {"google:alice", "secret", "A-secret-alice"},
        {"google:alice", "secret2", "A-secret-alice-2"},
        {"google:alice", std::string("nul\0key", 7), "A-secret-nul-key"},
        {std::string("google:nul\0user", 15), "secret", "A-secret-nul-user"},
        {"google:\xc3\xbc", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "A-secret-unicode"},  // "google:ü", "ключ"
        {"google:alice", std::string(512, 'z'), "A-secret-long-key"},
        {"google:" + std::string(249, 'l'), "secret", "A-secret-long-user"},
    };
    for (const auto& secret : planted) put(secret.user_id, secret.key, boost::json::value(secret.value), kAgentA);
    return planted;
  }
};

TEST_F(KvIsolationTest, AnotherAgentNeverSeesOrChangesTheData) {
  auto planted = plant_secrets_in_a();
  put("google:alice", "b-own", "B-own", kAgentB);
  put("google:alice", "secret-b", "B-own-2", kAgentB);

  // A's cursor over its google:alice keys, taken from A's own list.
  auto a_page = call("list", {{"user_id", "google:alice"}, {"limit", "1"}}, kAgentA);
  ASSERT_TRUE(a_page.ok()) << a_page.raw;
  ASSERT_TRUE(a_page.result().at("cursor").is_string()) << a_page.raw;
  std::string a_cursor(a_page.result().at("cursor").as_string());

  std::string a_id = kAgentA;
  std::string nul(1, '\0');
  std::vector<std::pair<std::string, QueryParams>> tricks;
  for (const auto& secret : planted) {
    for (const char* op : {"get", "take", "delete"}) tricks.push_back({op, {{"user_id", secret.user_id}, {"key", secret.key}}});
    tricks.push_back({"list", {{"user_id", secret.user_id}}});
    // The whole stored key of A's value, as B's key (and as B's user_id).
    std::string a_stored = stored_key(a_id, secret.user_id, secret.key);
    tricks.push_back({"get", {{"user_id", "google:alice"}, {"key", a_stored}}});
    tricks.push_back({"list", {{"user_id", "google:alice"}, {"prefix", a_stored.substr(0, 512)}}});
    tricks.push_back({"get", {{"user_id", a_stored.substr(0, 256)}, {"key", secret.key}}});
    // A cursor forged from A's stored key and from A's own key.
    tricks.push_back({"list", {{"user_id", secret.user_id}, {"cursor", base64url(secret.key)}}});
    if (a_stored.size() <= 512) tricks.push_back({"list", {{"user_id", secret.user_id}, {"cursor", base64url(a_stored)}}});
  }
  const std::vector<std::pair<std::string, std::string>> shifted = {
      {a_id, "secret"},
      {a_id + nul, "secret"},
      {a_id + nul + "\x0c" "google:alice", "secret"},
      {"google:alic", "esecret"},
      {"google:alice" + nul, "secret"},
      {"google:alice", nul + "secret"},
      {"google:alice", "secret" + nul},
      {"google:u\xcc\x88", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"},  // "ü" decomposed (NFD)
      {"google:nul", nul + "user" + "secret"},
      {"google:nul" + nul + "use", "rsecret"},
      {a_id.substr(0, 35), "6secret"},
      {"a", "0a0a0a0-1111-4222-8333-444455556666secret"},
  };
  for (const auto& [user_id, key] : shifted) {
    for (const char* op : {"get", "take", "delete"}) tricks.push_back({op, {{"user_id", user_id}, {"key", key}}});
    tricks.push_back({"list", {{"user_id", user_id}}});
  }
  tricks.push_back({"list", {{"user_id", "google:alice"}, {"cursor", a_cursor}}});
  tricks.push_back({"list", {{"user_id", "google:alice"}, {"cursor", a_cursor}, {"limit", "1000"}}});
  tricks.push_back({"list", {{"user_id", "google:alice"}, {"prefix", "secret"}, {"cursor", a_cursor}}});

  size_t answered = 0;  // tricks B's handler could run (not refused for their arguments)
  for (const auto& [op, params] : tricks) {
    auto reply = call(op, params, kAgentB);
    SCOPED_TRACE(op + query_string(params));
    answered += reply.status == 200 ? 1 : 0;
    // Refused, or answered from B's own data: never one of A's values.
    EXPECT_TRUE(reply.status == 200 || reply.status == 400) << reply.raw;
    EXPECT_FALSE(contains(reply.raw, "A-secret")) << reply.raw;
    if (reply.status == 200 && (op == "take" || op == "get")) {
      EXPECT_TRUE(reply.result().is_null() || contains(reply.raw, "B-own")) << reply.raw;
    }
    if (reply.status == 200 && op == "delete") {
      // B's delete of B's own key would be true; none of the tricks names one.
      EXPECT_EQ(reply.result(), boost::json::value(false)) << reply.raw;
    }
  }

  // B's permissions grant every user_id tried but the one-letter "a": most calls really ran.
  EXPECT_GT(answered, tricks.size() * 3 / 4) << answered << " of " << tricks.size();

  // A's data is all still there, and B's own data was only ever B's.
  for (const auto& secret : planted) {
    SCOPED_TRACE(secret.value);
    EXPECT_EQ(get(secret.user_id, secret.key, kAgentA), boost::json::value(secret.value));
  }
  EXPECT_EQ(get("google:alice", "b-own", kAgentB), boost::json::value("B-own"));
  EXPECT_TRUE(get("google:alice", "b-own", kAgentA).is_null());
}

TEST_F(KvIsolationTest, ACursorFromAnotherAgentsListOnlyContinuesTheCallersOwnKeys) {
  for (const char* key : {"a1", "a2", "a3", "a4"}) put("google:pager", key, "A-secret-" + std::string(key), kAgentA);
  for (const char* key : {"a1", "a2", "a3", "a4"}) put("google:pager", key, "B-" + std::string(key), kAgentB);
  auto a_page = call("list", {{"user_id", "google:pager"}, {"limit", "2"}}, kAgentA);
  ASSERT_TRUE(a_page.ok()) << a_page.raw;
  ASSERT_TRUE(a_page.result().at("cursor").is_string()) << a_page.raw;

  auto b_page = call("list", {{"user_id", "google:pager"}, {"cursor", std::string(a_page.result().at("cursor").as_string())}},
                     kAgentB);
  ASSERT_TRUE(b_page.ok() || b_page.status == 400) << b_page.raw;
  EXPECT_FALSE(contains(b_page.raw, "A-secret")) << b_page.raw;
  if (b_page.ok()) {
    const auto& items = b_page.result().at("items").as_array();
    ASSERT_EQ(items.size(), 2u) << b_page.raw;
    EXPECT_EQ(items[0].at("value"), boost::json::value("B-a3"));
    EXPECT_EQ(items[1].at("value"), boost::json::value("B-a4"));
  }
}

TEST_F(KvIsolationTest, SameUserIdAndKeyInTwoAgentsAreTwoValues) {
  put("google:shared", "k", "from A", kAgentA);
  put("google:shared", "k", "from B", kAgentB);
  EXPECT_EQ(get("google:shared", "k", kAgentA), boost::json::value("from A"));
  EXPECT_EQ(get("google:shared", "k", kAgentB), boost::json::value("from B"));
  auto taken = call("take", {{"user_id", "google:shared"}, {"key", "k"}}, kAgentB);
  EXPECT_EQ(taken.result(), boost::json::value("from B")) << taken.raw;
  EXPECT_EQ(get("google:shared", "k", kAgentA), boost::json::value("from A"));
}

// --- concurrency, persistence, deletion -----------------------------------------------------------

TEST_F(KvHandlersTest, OfManyConcurrentTakesExactlyOneGetsTheValue) {
  constexpr int kRounds = 5;
  constexpr int kTakers = 16;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string prize = "prize-" + std::to_string(round);
    put("google:race", "prize", prize);
    std::vector<std::future<KvReply>> takers;
    for (int i = 0; i < kTakers; ++i) {
      takers.push_back(std::async(std::launch::async, [&] {
        return call("take", {{"user_id", "google:race"}, {"key", "prize"}});
      }));
    }
    int winners = 0;
    for (auto& taker : takers) {
      KvReply reply = taker.get();
      ASSERT_TRUE(reply.ok()) << reply.status << " " << reply.raw << reply.error;
      if (reply.result() == boost::json::value(prize)) {
        ++winners;
      } else {
        EXPECT_TRUE(reply.result().is_null()) << reply.raw;
      }
    }
    EXPECT_EQ(winners, 1);
    EXPECT_TRUE(get("google:race", "prize").is_null());
  }
}

TEST(KvPersistence, DataSurvivesACleanRestart) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  {
    ServerProcess first(data);
    ASSERT_TRUE(first.started()) << first.log();
    ASSERT_EQ(first.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions())).status, 201);
    for (int i = 0; i < 20; ++i) {
      auto stored = kv_call(first.port(), kAgentA, "put",
                            {{"user_id", "google:restart"}, {"key", "k" + std::to_string(i)}, {"value", std::to_string(i)}});
      ASSERT_TRUE(stored.ok()) << stored.raw;
    }
    auto stored = kv_call(first.port(), kAgentA, "put",
                          {{"self", "1"}, {"key", "when"}, {"value", "1700000000000"}, {"as", "date"}});
    ASSERT_TRUE(stored.ok()) << stored.raw;
    auto deleted = kv_call(first.port(), kAgentA, "delete", {{"user_id", "google:restart"}, {"key", "k7"}});
    ASSERT_EQ(deleted.result(), boost::json::value(true)) << deleted.raw;
    EXPECT_EQ(first.terminate(), 0) << first.log();
  }
  ServerProcess second(data);
  ASSERT_TRUE(second.started()) << second.log();
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    auto read = kv_call(second.port(), kAgentA, "get", {{"user_id", "google:restart"}, {"key", "k" + std::to_string(i)}});
    ASSERT_TRUE(read.ok()) << read.raw;
    if (i == 7) {
      EXPECT_TRUE(read.result().is_null()) << read.raw;
    } else {
      EXPECT_EQ(read.result(), boost::json::value(i)) << read.raw;
    }
  }
  auto when = kv_call(second.port(), kAgentA, "get", {{"self", "1"}, {"key", "when"}});
  EXPECT_EQ(when.result(), parse_json(R"({"$date":"2023-11-14T22:13:20.000Z"})")) << when.raw;
}

TEST(KvPersistence, AWriteInFlightAtSigtermIsAnsweredAndKept) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  {
    ServerProcess first(data);
    ASSERT_TRUE(first.started()) << first.log();
    ASSERT_EQ(first.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions())).status, 201);
    auto in_flight = std::async(std::launch::async, [&] {
      return kv_call(first.port(), kAgentA, "put",
                     {{"self", "1"}, {"key", "drained"}, {"value", "\"put while draining\""}, {"delay", "500"},
                      {"marker", "drain-put"}});
    });
    ASSERT_TRUE(wait_until([&] { return contains(first.log(), "waiting before put drain-put"); })) << first.log();
    EXPECT_EQ(first.terminate(), 0) << first.log();
    KvReply drained = in_flight.get();
    EXPECT_TRUE(drained.ok()) << drained.status << " " << drained.raw << drained.error;
  }
  ServerProcess second(data);
  ASSERT_TRUE(second.started()) << second.log();
  auto read = kv_call(second.port(), kAgentA, "get", {{"self", "1"}, {"key", "drained"}});
  EXPECT_EQ(read.result(), boost::json::value("put while draining")) << read.raw;
}

TEST_F(KvHandlersTest, DeletingTheAgentDeletesItsDataAndNoOtherAgents) {
  ASSERT_EQ(server.deploy(kv_bundle(kAgentB, "kv-b", standard_permissions())).status, 201);
  ASSERT_EQ(server.deploy(kv_bundle(kNeighbourOfA, "kv-neighbour", standard_permissions())).status, 201);
  for (const char* agent : {kAgentA, kAgentB, kNeighbourOfA}) {
    put(agent, "k", std::string("self of ") + agent, agent);
    put("google:alice", "k", std::string("alice in ") + agent, agent);
  }
  auto removed = server.admin("DELETE", std::string("/_admin/v1/agents/") + kAgentA);
  ASSERT_EQ(removed.status, 200) << removed.body;
  ASSERT_EQ(server.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions())).status, 201);

  EXPECT_TRUE(get(kAgentA, "k").is_null());
  EXPECT_TRUE(get("google:alice", "k").is_null());
  auto listed = call("list", {{"user_id", "google:alice"}});
  ASSERT_TRUE(listed.ok()) << listed.raw;
  EXPECT_TRUE(listed.result().at("items").as_array().empty()) << listed.raw;
  for (const char* agent : {kAgentB, kNeighbourOfA}) {
    SCOPED_TRACE(agent);
    EXPECT_EQ(get(agent, "k", agent), boost::json::value(std::string("self of ") + agent));
    EXPECT_EQ(get("google:alice", "k", agent), boost::json::value(std::string("alice in ") + agent));
  }
}

TEST_F(KvHandlersTest, DeletedAgentDataStaysDeletedAfterARestart) {
  std::string data = dir.path() + "/data";
  put("google:alice", "k", "before deletion");
  ASSERT_EQ(server.admin("DELETE", std::string("/_admin/v1/agents/") + kAgentA).status, 200);
  ASSERT_EQ(server.terminate(), 0) << server.log();
  ServerProcess second(data);
  ASSERT_TRUE(second.started()) << second.log();
  ASSERT_EQ(second.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions())).status, 201);
  auto read = kv_call(second.port(), kAgentA, "get", {{"user_id", "google:alice"}, {"key", "k"}});
  ASSERT_TRUE(read.ok()) << read.raw;
  EXPECT_TRUE(read.result().is_null()) << read.raw;
}

TEST_F(KvHandlersTest, AWriteFromARequestStillRunningWhenTheAgentIsDeletedDoesNotSurviveIt) {
  // The request starts before the deletion and writes after it; the redeployed agent starts empty.
  auto in_flight = std::async(std::launch::async, [&] {
    return call("put", {{"user_id", "google:alice"}, {"key", "late"}, {"value", "\"written after deletion\""},
                        {"delay", "1500"}, {"marker", "late-put"}});
  });
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "waiting before put late-put"); })) << server.log();
  ASSERT_EQ(server.admin("DELETE", std::string("/_admin/v1/agents/") + kAgentA).status, 200);
  KvReply late = in_flight.get();
  // Refused, or (had the deletion been slow) stored before it and deleted with the rest.
  EXPECT_TRUE(late.ok() || late.code() == "KV_UNAVAILABLE") << late.status << " " << late.raw << late.error;
  ASSERT_EQ(server.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions())).status, 201);
  EXPECT_TRUE(get("google:alice", "late").is_null()) << "the in-flight put answered " << late.status << " " << late.raw;
  // The new agent with the same id writes as usual.
  put("google:alice", "late", "written by the new agent");
  EXPECT_EQ(get("google:alice", "late"), boost::json::value("written by the new agent"));
}

TEST_F(KvHandlersTest, AWriteFromARequestOfAnOlderVersionStillCounts) {
  // A redeploy is not a deletion: requests of the previous version keep their data.
  auto in_flight = std::async(std::launch::async, [&] {
    return call("put", {{"user_id", "google:alice"}, {"key", "v1"}, {"value", "\"from version 1\""},
                        {"delay", "1000"}, {"marker", "v1-put"}});
  });
  ASSERT_TRUE(wait_until([&] { return contains(server.log(), "waiting before put v1-put"); })) << server.log();
  ASSERT_EQ(server.deploy(kv_bundle(kAgentA, "kv-a", standard_permissions())).status, 200);
  KvReply v1 = in_flight.get();
  EXPECT_TRUE(v1.ok()) << v1.status << " " << v1.raw;
  EXPECT_EQ(get("google:alice", "v1"), boost::json::value("from version 1"));
}

}  // namespace
}  // namespace agentgate::testing
