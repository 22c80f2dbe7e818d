// The on-disk format of ctx.kv (kv/encoding.h) and the base64url it uses for list cursors
// (common/base64.h). Keys must never collide across agents or users, whatever bytes a user_id or
// key holds, and one user's keys must sort in their own byte order under one prefix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "common/base64.h"
#include "kv/encoding.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

using namespace std::string_literals;
using kv_encoding::decode_key;
using kv_encoding::encode_key;

const std::string kAgent = "11111111-2222-4333-8444-555555555555";
const std::string kNeighbourAgent = "11111111-2222-4333-8444-555555555556";

auto name_of = [](const auto& info) { return row_name(info.param.name); };

// ---- keys: injective ---------------------------------------------------------------------------------

struct UserKey {
  std::string user_id;
  std::string key;
};

// Two (user_id, key) pairs of different users that naive concatenation would confuse.
struct CollisionRow {
  std::string name;
  UserKey a;
  UserKey b;
};
void PrintTo(const CollisionRow& row, std::ostream* os) { *os << row.name; }

class KvKeyEncodingDistinct : public ::testing::TestWithParam<CollisionRow> {};

TEST_P(KvKeyEncodingDistinct, DifferentPairsEncodeDifferently) {
  const auto& [name, a, b] = GetParam();
  EXPECT_NE(encode_key(kAgent, a.user_id, a.key), encode_key(kAgent, b.user_id, b.key));
}

TEST_P(KvKeyEncodingDistinct, NeitherUsersKeysSitUnderTheOthersListPrefix) {
  const auto& [name, a, b] = GetParam();
  // list() scans encode_key(agent, user_id, prefix): with an empty prefix that is every key of the user.
  EXPECT_FALSE(encode_key(kAgent, b.user_id, b.key).starts_with(encode_key(kAgent, a.user_id, "")));
  EXPECT_FALSE(encode_key(kAgent, a.user_id, a.key).starts_with(encode_key(kAgent, b.user_id, "")));
}

INSTANTIATE_TEST_SUITE_P(
    Table, KvKeyEncodingDistinct,
    ::testing::Values(
        CollisionRow{"boundary moves between user_id and key", {"a", "bc"}, {"ab", "c"}},
        CollisionRow{"empty user_id against a one-byte one", {"", "ab"}, {"a", "b"}},
        CollisionRow{"NUL byte moves across the boundary", {"a\0"s, "b"}, {"a", "\0b"s}},
        CollisionRow{"NUL-only user_ids of different length", {"\0"s, "\0"s}, {"\0\0"s, ""}},
        CollisionRow{"separator characters", {"google:1", "/x"}, {"google:1/", "x"}},
        CollisionRow{"length-prefix bytes inside user_id", {"\x00\x01"s, "a"}, {"", "\x00\x01\x00\x01" "a"s}},
        CollisionRow{"UTF-8 sequence split across the boundary", {"caf\xc3", "\xa9"}, {"caf\xc3\xa9", ""}},
        CollisionRow{"UTF-8 user_ids", {"\xe7\x94\xa8\xe6\x88\xb7", "k"}, {"\xe7\x94\xa8", "\xe6\x88\xb7k"}},
        CollisionRow{"user_id of 256 bytes against 0", {std::string(256, 'u'), "k"}, {"", std::string(256, 'u') + "k"}}),
    name_of);

// ---- keys: decode_key inverts encode_key (which also proves injectivity) ------------------------------

struct RoundTripRow {
  std::string name;
  std::string agent_id;
  UserKey pair;
};
void PrintTo(const RoundTripRow& row, std::ostream* os) { *os << row.name; }

class KvKeyRoundTrip : public ::testing::TestWithParam<RoundTripRow> {};

TEST_P(KvKeyRoundTrip, DecodesToWhatWasEncoded) {
  const auto& [name, agent_id, pair] = GetParam();
  const std::string stored = encode_key(agent_id, pair.user_id, pair.key);  // decode_key returns views into it
  auto decoded = decode_key(stored);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->agent_id, agent_id);
  EXPECT_TRUE(decoded->user_id == pair.user_id) << "user_id of " << decoded->user_id.size() << " bytes: "
                                                << escaped(decoded->user_id.substr(0, 64));
  EXPECT_EQ(escaped(decoded->key), escaped(pair.key));
}

INSTANTIATE_TEST_SUITE_P(
    Table, KvKeyRoundTrip,
    ::testing::Values(RoundTripRow{"plain", kAgent, {"google:123", "session"}},
                      RoundTripRow{"empty user_id and key", kAgent, {"", ""}},
                      RoundTripRow{"NUL bytes everywhere", kAgent, {"\0a\0"s, "\0\0"s}},
                      RoundTripRow{"high bytes", kNeighbourAgent, {"\xff\xfe", "\x80\xff"}},
                      RoundTripRow{"UTF-8", kAgent, {"\xe7\x94\xa8\xe6\x88\xb7", "cl\xc3\xa9"}},
                      RoundTripRow{"user_id of 300 bytes (length above one byte)", kAgent, {std::string(300, 'x'), "k"}},
                      RoundTripRow{"longest user_id", kAgent,
                                   {std::string(kv_encoding::kMaxUserIdBytes, 'y'), "k"}}),
    name_of);

// ---- keys: agents ------------------------------------------------------------------------------------

TEST(KvKeyEncoding, KeysOfOneAgentNeverStartWithAnotherAgentsPrefix) {
  const std::vector<UserKey> pairs = {{"", ""}, {"u", "k"}, {"\xff\xff", "\xff"}, {"\0"s, "\0"s}};
  for (const auto& pair : pairs) {
    EXPECT_FALSE(encode_key(kAgent, pair.user_id, pair.key).starts_with(kv_encoding::agent_prefix(kNeighbourAgent)))
        << escaped(pair.user_id);
    EXPECT_FALSE(encode_key(kNeighbourAgent, pair.user_id, pair.key).starts_with(kv_encoding::agent_prefix(kAgent)))
        << escaped(pair.user_id);
  }
}

TEST(KvKeyEncoding, EveryKeyOfAnAgentStartsWithItsPrefix) {
  EXPECT_TRUE(encode_key(kAgent, "\xff\xff", "\xff").starts_with(kv_encoding::agent_prefix(kAgent)));
}

// ---- keys: byte order within one user ----------------------------------------------------------------

TEST(KvKeyEncoding, KeysOfOneUserSortInTheKeysOwnByteOrder) {
  // RocksDB's default comparator is memcmp, like std::string's operator<.
  std::vector<std::string> keys = {"b", "a", "ab", "\xff", "\x80", "\0"s, "a\0"s, "A", "aa", "z\xc3\xa9", "0"};
  std::vector<std::string> stored;
  for (const auto& key : keys) stored.push_back(encode_key(kAgent, "user", key));
  std::sort(keys.begin(), keys.end());
  std::sort(stored.begin(), stored.end());
  std::vector<std::string> decoded;
  for (const auto& s : stored) decoded.emplace_back(decode_key(s)->key);
  EXPECT_EQ(decoded, keys);
}

// ---- keys: undecodable ----------------------------------------------------------------------------

struct BytesRow {
  std::string name;
  std::string bytes;
};
void PrintTo(const BytesRow& row, std::ostream* os) { *os << row.name; }

class KvKeyUndecodable : public ::testing::TestWithParam<BytesRow> {};

TEST_P(KvKeyUndecodable, IsRefused) { EXPECT_FALSE(decode_key(GetParam().bytes).has_value()); }

INSTANTIATE_TEST_SUITE_P(Table, KvKeyUndecodable,
                         ::testing::Values(BytesRow{"empty", ""}, BytesRow{"agent id only", kAgent},
                                           BytesRow{"one length byte", kAgent + "\0"s},
                                           BytesRow{"user_id shorter than its length", kAgent + "\x00\x05" "abc"s},
                                           BytesRow{"length of 65535 with no user_id", kAgent + "\xff\xff"}),
                         name_of);

// ---- values ------------------------------------------------------------------------------------------

struct ValueRow {
  std::string name;
  KvValue value;
};
void PrintTo(const ValueRow& row, std::ostream* os) { *os << row.name; }

class KvValueRoundTrip : public ::testing::TestWithParam<ValueRow> {};

TEST_P(KvValueRoundTrip, DecodesToWhatWasEncoded) {
  const KvValue& value = GetParam().value;
  auto decoded = kv_encoding::decode_value(kv_encoding::encode_value(value));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(escaped(decoded->bytes) + " @" + std::to_string(decoded->expires_at_ms),
            escaped(value.bytes) + " @" + std::to_string(value.expires_at_ms));
}

TEST_P(KvValueRoundTrip, StoredExpiryReadsTheHeaderAlone) {
  EXPECT_EQ(kv_encoding::stored_expiry(kv_encoding::encode_value(GetParam().value)), GetParam().value.expires_at_ms);
}

INSTANTIATE_TEST_SUITE_P(
    Table, KvValueRoundTrip,
    ::testing::Values(ValueRow{"no expiry", {"\xff\x0f\x22\x02hi", 0}},
                      ValueRow{"with expiry", {"payload", 1'700'000'060'000}},
                      ValueRow{"empty payload", {"", 42}},
                      ValueRow{"payload with NUL bytes", {"\0\x01\0"s, 0}},
                      ValueRow{"expiry using all eight bytes", {"x", std::numeric_limits<int64_t>::max()}},
                      ValueRow{"payload that looks like a header", {"\x01\0\0\0\0\0\0\0\x07"s, 9}}),
    name_of);

struct BadValueRow {
  std::string name;
  std::string stored;
};
void PrintTo(const BadValueRow& row, std::ostream* os) { *os << row.name; }

class KvValueUndecodable : public ::testing::TestWithParam<BadValueRow> {};

TEST_P(KvValueUndecodable, IsRefused) { EXPECT_FALSE(kv_encoding::decode_value(GetParam().stored).has_value()); }
TEST_P(KvValueUndecodable, HasNoExpiry) { EXPECT_FALSE(kv_encoding::stored_expiry(GetParam().stored).has_value()); }

INSTANTIATE_TEST_SUITE_P(Table, KvValueUndecodable,
                         ::testing::Values(BadValueRow{"empty", ""},
                                           BadValueRow{"format byte only", "\x01"},
                                           BadValueRow{"header cut short", "\x01\0\0\0\0\0\0\0"s},
                                           BadValueRow{"unknown format", "\x02\0\0\0\0\0\0\0\0payload"s},
                                           BadValueRow{"raw V8 serialization without header", "\xff\x0f\x22\x02hi"}),
                         name_of);

TEST(KvValueExpiry, ZeroNeverExpires) {
  EXPECT_FALSE(kv_encoding::expired(0, std::numeric_limits<int64_t>::max()));
}
TEST(KvValueExpiry, ExpiresAtItsInstant) { EXPECT_TRUE(kv_encoding::expired(1000, 1000)); }
TEST(KvValueExpiry, LiveBeforeItsInstant) { EXPECT_FALSE(kv_encoding::expired(1000, 999)); }

// ---- cursors -----------------------------------------------------------------------------------------

class KvCursorRoundTrip : public ::testing::TestWithParam<BytesRow> {};

TEST_P(KvCursorRoundTrip, DecodesToTheKey) {
  auto cursor = kv_encoding::encode_cursor(GetParam().bytes);
  EXPECT_EQ(kv_encoding::decode_cursor(cursor), GetParam().bytes) << cursor;
}

TEST_P(KvCursorRoundTrip, UsesOnlyUrlSafeCharacters) {
  auto cursor = kv_encoding::encode_cursor(GetParam().bytes);
  EXPECT_TRUE(std::all_of(cursor.begin(), cursor.end(),
                          [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }))
      << cursor;
}

INSTANTIATE_TEST_SUITE_P(Table, KvCursorRoundTrip,
                         ::testing::Values(BytesRow{"empty", ""}, BytesRow{"one byte", "a"},
                                           BytesRow{"two bytes", "ab"}, BytesRow{"three bytes", "abc"},
                                           BytesRow{"bytes that need - and _", "\xfb\xff\xbf"},
                                           BytesRow{"NUL and high bytes", "\0\xff\0\x80"s},
                                           BytesRow{"UTF-8 key", "session:\xe7\x94\xa8"}),
                         name_of);

TEST(KvListCursor, ContinuesOnlyAListUnderItsPrefixWithKeySizedCursors) {
  const std::string cursor = kv_encoding::encode_cursor("item:7");
  EXPECT_EQ(kv_encoding::list_cursor(cursor, "item:", 512), "item:7");
  EXPECT_EQ(kv_encoding::list_cursor(cursor, "", 512), "item:7");
  EXPECT_EQ(kv_encoding::list_cursor(cursor, "other:", 512), std::nullopt);
  EXPECT_EQ(kv_encoding::list_cursor(cursor, "item:7x", 512), std::nullopt);
  EXPECT_EQ(kv_encoding::list_cursor(cursor, "", 6), "item:7");
  EXPECT_EQ(kv_encoding::list_cursor(cursor, "", 5), std::nullopt);
  EXPECT_EQ(kv_encoding::list_cursor("+w", "", 512), std::nullopt);
}

class KvCursorRejected : public ::testing::TestWithParam<BytesRow> {};

TEST_P(KvCursorRejected, IsRefused) { EXPECT_EQ(kv_encoding::decode_cursor(GetParam().bytes), std::nullopt); }

INSTANTIATE_TEST_SUITE_P(
    Table, KvCursorRejected,
    ::testing::Values(BytesRow{"standard alphabet plus", "+w"}, BytesRow{"standard alphabet slash", "/w"},
                      BytesRow{"padding", "YQ=="}, BytesRow{"single padding", "YWI="},
                      BytesRow{"length 1 mod 4", "YWJjZ"}, BytesRow{"whitespace", "YW J"},
                      BytesRow{"trailing newline", "YWI\n"}, BytesRow{"non-ASCII", "YW\xc3\xa9"},
                      BytesRow{"NUL byte", "YW\0j"s},
                      // "YQ" is "a"; "YR" has the same leading bits and non-zero trailing ones.
                      BytesRow{"non-canonical trailing bits, one byte", "YR"},
                      BytesRow{"non-canonical trailing bits, two bytes", "YWJ"}),
    name_of);

// ---- base64url (RFC 4648 section 5, no padding) -------------------------------------------------------

struct Base64Row {
  std::string name;
  std::string bytes;
  std::string text;
};
void PrintTo(const Base64Row& row, std::ostream* os) { *os << row.name; }

class Base64Url : public ::testing::TestWithParam<Base64Row> {};

TEST_P(Base64Url, Encodes) { EXPECT_EQ(base64url_encode(GetParam().bytes), GetParam().text); }
TEST_P(Base64Url, Decodes) { EXPECT_EQ(base64url_decode(GetParam().text), GetParam().bytes); }

INSTANTIATE_TEST_SUITE_P(Rfc4648Vectors, Base64Url,
                         ::testing::Values(Base64Row{"empty", "", ""}, Base64Row{"f", "f", "Zg"},
                                           Base64Row{"fo", "fo", "Zm8"}, Base64Row{"foo", "foo", "Zm9v"},
                                           Base64Row{"foob", "foob", "Zm9vYg"}, Base64Row{"fooba", "fooba", "Zm9vYmE"},
                                           Base64Row{"foobar", "foobar", "Zm9vYmFy"},
                                           Base64Row{"minus and underscore", "\xfb\xff", "-_8"},
                                           Base64Row{"NUL bytes", "\0\0\0"s, "AAAA"}),
                         name_of);

TEST(Base64UrlAllBytes, EveryByteValueRoundTrips) {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  for (size_t length = 0; length <= bytes.size(); length += 37) {
    std::string slice = bytes.substr(bytes.size() - length);
    EXPECT_EQ(base64url_decode(base64url_encode(slice)), slice) << length;
  }
}

}  // namespace
}  // namespace agentgate::testing
