// Agents' secrets at rest: AES-256-GCM boxes (common/aead.h) and SecretStore (kv/secret_store.h)
// on a real RocksDB in a temporary directory: round trips, names and sizes, records that do not
// open when moved or tampered with, listing, deletion, key rotation (also under concurrent
// writes), and the key file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/aead.h"
#include "kv/secret_store.h"
#include "tests/unit/kv_test_store.h"

namespace agentgate::testing {
namespace {

const std::string kAgent = "11111111-2222-4333-8444-555555555555";
const std::string kOtherAgent = "11111111-2222-4333-8444-555555555556";

std::string key_bytes(char fill) { return std::string(kAeadKeyBytes, fill); }
SecretKey key_named(std::string id, char fill) { return SecretKey{std::move(id), key_bytes(fill)}; }

// What a read returns, as one comparable line: "absent", "value <bytes>" or "error <code>".
std::string text_of(const Result<std::optional<std::string>>& read) {
  if (!read) return "error " + read.error().code;
  if (!read.value()) return "absent";
  return "value " + *read.value();
}

// ---- aead ----

TEST(AeadTest, OpensWhatItSealedWithTheSameKeyAndAssociatedData) {
  std::string box = aead_seal(key_bytes('k'), "the plaintext", "context");
  EXPECT_EQ(box.size(), 12 + 13 + 16u);
  EXPECT_EQ(aead_open(key_bytes('k'), box, "context"), std::optional<std::string>("the plaintext"));
}

TEST(AeadTest, AnEmptyPlaintextRoundTrips) {
  EXPECT_EQ(aead_open(key_bytes('k'), aead_seal(key_bytes('k'), "", "ad"), "ad"), std::optional<std::string>(""));
}

TEST(AeadTest, TwoSealsOfOneValueDiffer) {
  std::string first = aead_seal(key_bytes('k'), "same value", "ad");
  std::string second = aead_seal(key_bytes('k'), "same value", "ad");
  EXPECT_NE(first.substr(0, 12), second.substr(0, 12));  // fresh nonce
  EXPECT_NE(first, second);
}

TEST(AeadTest, DoesNotOpenUnderAnotherKey) {
  EXPECT_EQ(aead_open(key_bytes('x'), aead_seal(key_bytes('k'), "value", "ad"), "ad"), std::nullopt);
}

TEST(AeadTest, DoesNotOpenWithOtherAssociatedData) {
  EXPECT_EQ(aead_open(key_bytes('k'), aead_seal(key_bytes('k'), "value", "agent-a"), "agent-b"), std::nullopt);
  EXPECT_EQ(aead_open(key_bytes('k'), aead_seal(key_bytes('k'), "value", "ad"), ""), std::nullopt);
}

TEST(AeadTest, DoesNotOpenWithAKeyOfTheWrongLength) {
  EXPECT_EQ(aead_open(std::string(16, 'k'), aead_seal(key_bytes('k'), "value", "ad"), "ad"), std::nullopt);
}

struct TamperCase {
  const char* name;
  size_t byte;  // from the start of a 12 + 5 + 16 byte box
};

class AeadTamperTest : public ::testing::TestWithParam<TamperCase> {};

TEST_P(AeadTamperTest, AFlippedBitDoesNotOpen) {
  std::string box = aead_seal(key_bytes('k'), "value", "ad");
  box[GetParam().byte] ^= 0x01;
  EXPECT_EQ(aead_open(key_bytes('k'), box, "ad"), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Bytes, AeadTamperTest,
                         ::testing::Values(TamperCase{"NonceFirst", 0}, TamperCase{"NonceLast", 11},
                                           TamperCase{"CiphertextFirst", 12}, TamperCase{"CiphertextLast", 16},
                                           TamperCase{"TagFirst", 17}, TamperCase{"TagLast", 32}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AeadTest, TruncatedOrExtendedBoxesDoNotOpen) {
  std::string box = aead_seal(key_bytes('k'), "value", "ad");
  EXPECT_EQ(aead_open(key_bytes('k'), box.substr(0, box.size() - 1), "ad"), std::nullopt);
  EXPECT_EQ(aead_open(key_bytes('k'), box + "x", "ad"), std::nullopt);
  EXPECT_EQ(aead_open(key_bytes('k'), box.substr(0, 27), "ad"), std::nullopt);
  EXPECT_EQ(aead_open(key_bytes('k'), "", "ad"), std::nullopt);
}

// ---- SecretStore ----

class SecretStoreTest : public ::testing::Test {
 protected:
  SecretStore& secrets() { return *secrets_; }
  RocksStore& db() { return store_.db(); }
  void set(const std::string& agent, const std::string& name, std::string_view value) {
    auto status = secrets().set(agent, name, value);
    ASSERT_TRUE(status) << status.error().message;
  }
  std::string get(const std::string& agent, const std::string& name) { return text_of(secrets().get(agent, name)); }
  std::string raw(const std::string& key) {
    auto stored = db().get(key);
    EXPECT_TRUE(stored && *stored) << key;
    return stored && *stored ? **stored : "";
  }
  std::vector<std::string> names(const std::string& agent) {
    auto listed = secrets().list(agent);
    EXPECT_TRUE(listed);
    std::vector<std::string> out;
    if (listed) {
      for (const auto& secret : *listed) out.push_back(secret.name);
    }
    return out;
  }

  TempDir dir_;
  ManualWallClock clock_;
  TestKvStore store_{dir_.path(), clock_};
  std::unique_ptr<SecretStore> secrets_ = std::make_unique<SecretStore>(store_.db(), std::vector{key_named("k1", 'a')});
};

TEST_F(SecretStoreTest, AValueSetIsTheValueGot) {
  set(kAgent, "API_KEY", "sk-live-123");
  EXPECT_EQ(get(kAgent, "API_KEY"), "value sk-live-123");
}

TEST_F(SecretStoreTest, AnAbsentSecretIsAbsent) { EXPECT_EQ(get(kAgent, "NOPE"), "absent"); }

TEST_F(SecretStoreTest, SettingAgainReplacesTheValue) {
  set(kAgent, "API_KEY", "first");
  set(kAgent, "API_KEY", "second");
  EXPECT_EQ(get(kAgent, "API_KEY"), "value second");
}

TEST_F(SecretStoreTest, BinaryAndEmptyValuesRoundTrip) {
  std::string binary("\0\x01\xff\n\"zz", 7);
  set(kAgent, "bin", binary);
  set(kAgent, "empty", "");
  EXPECT_EQ(get(kAgent, "bin"), "value " + binary);
  EXPECT_EQ(get(kAgent, "empty"), "value ");
}

TEST_F(SecretStoreTest, TheStoredRecordDoesNotHoldThePlaintext) {
  set(kAgent, "API_KEY", "plaintext-marker-value");
  EXPECT_EQ(raw("secret/" + kAgent + "/API_KEY").find("plaintext-marker-value"), std::string::npos);
}

TEST_F(SecretStoreTest, SecretsAreScopedPerAgent) {
  set(kAgent, "API_KEY", "mine");
  EXPECT_EQ(get(kOtherAgent, "API_KEY"), "absent");
  set(kOtherAgent, "API_KEY", "theirs");
  EXPECT_EQ(get(kAgent, "API_KEY"), "value mine");
  EXPECT_EQ(get(kOtherAgent, "API_KEY"), "value theirs");
}

struct NameCase {
  const char* name;
  std::string secret_name;
  bool valid;
};

class SecretNameTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(SecretNameTest, IsValidOnlyWhenItMatchesTheCharacterSetAndLength) {
  EXPECT_EQ(is_valid_secret_name(GetParam().secret_name), GetParam().valid);
}

INSTANTIATE_TEST_SUITE_P(
    Names, SecretNameTest,
    ::testing::Values(NameCase{"Letters", "ApiKey", true}, NameCase{"AllAllowedPunctuation", "a_b.c-d", true},
                      NameCase{"Digits", "0123", true}, NameCase{"OneCharacter", "x", true},
                      NameCase{"DotsOnly", "..", true}, NameCase{"Exactly128", std::string(128, 'n'), true},
                      NameCase{"Empty", "", false}, NameCase{"Over128", std::string(129, 'n'), false},
                      NameCase{"Slash", "a/b", false}, NameCase{"Space", "a b", false},
                      NameCase{"Colon", "a:b", false}, NameCase{"NulByte", std::string("a\0b", 3), false},
                      NameCase{"NonAscii", "caf\xc3\xa9", false}, NameCase{"Newline", "a\n", false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(SecretStoreTest, ABadNameIsRefusedWithInvalidArgument) {
  for (std::string name : std::vector<std::string>{"", "a/b", std::string(129, 'n'), "a b"}) {
    auto status = secrets().set(kAgent, name, "value");
    ASSERT_FALSE(status) << name;
    EXPECT_EQ(status.error().code, "INVALID_ARGUMENT") << name;
  }
  EXPECT_TRUE(names(kAgent).empty());
}

TEST_F(SecretStoreTest, A64KiBValueIsStoredAndOneByteMoreIsRefused) {
  std::string largest(kMaxSecretBytes, 'v');
  EXPECT_EQ(kMaxSecretBytes, 65536u);
  set(kAgent, "big", largest);
  EXPECT_EQ(get(kAgent, "big"), "value " + largest);
  auto status = secrets().set(kAgent, "bigger", largest + "v");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, "INVALID_ARGUMENT");
  EXPECT_EQ(get(kAgent, "bigger"), "absent");
}

TEST_F(SecretStoreTest, ARecordCopiedToAnotherAgentDoesNotOpen) {
  set(kAgent, "API_KEY", "mine");
  ASSERT_TRUE(db().put("secret/" + kOtherAgent + "/API_KEY", raw("secret/" + kAgent + "/API_KEY")));
  EXPECT_EQ(get(kOtherAgent, "API_KEY"), "error SECRET_UNREADABLE");
  EXPECT_EQ(get(kAgent, "API_KEY"), "value mine");
}

TEST_F(SecretStoreTest, ARecordCopiedToAnotherNameDoesNotOpen) {
  set(kAgent, "API_KEY", "mine");
  ASSERT_TRUE(db().put("secret/" + kAgent + "/OTHER", raw("secret/" + kAgent + "/API_KEY")));
  EXPECT_EQ(get(kAgent, "OTHER"), "error SECRET_UNREADABLE");
}

TEST_F(SecretStoreTest, TamperedStoredBytesDoNotOpen) {
  set(kAgent, "API_KEY", "mine");
  std::string key = "secret/" + kAgent + "/API_KEY";
  std::string record = raw(key);
  for (size_t at : {record.size() - 1, record.size() - 20, record.size() - 30}) {
    std::string tampered = record;
    tampered[at] ^= 0x40;
    ASSERT_TRUE(db().put(key, tampered));
    EXPECT_EQ(get(kAgent, "API_KEY"), "error SECRET_UNREADABLE") << "byte " << at;
  }
  for (std::string broken : {std::string(), std::string("\x02"), record.substr(0, 5), std::string("\x01\x09k1")}) {
    ASSERT_TRUE(db().put(key, broken));
    EXPECT_EQ(get(kAgent, "API_KEY"), "error SECRET_UNREADABLE") << broken.size();
  }
}

TEST_F(SecretStoreTest, ARecordUnderAnUnknownKeyIsUnreadable) {
  set(kAgent, "API_KEY", "mine");
  secrets_ = std::make_unique<SecretStore>(db(), std::vector{key_named("k2", 'b')});
  EXPECT_EQ(get(kAgent, "API_KEY"), "error SECRET_UNREADABLE");
}

TEST_F(SecretStoreTest, ListGivesNamesAndTimesOnly) {
  set(kAgent, "B", "value-b-marker");
  set(kAgent, "A", "value-a-marker");
  set(kOtherAgent, "C", "value-c");
  auto listed = secrets().list(kAgent);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "A");
  EXPECT_EQ((*listed)[1].name, "B");
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& secret : *listed) {
    EXPECT_GT(secret.updated_at_ms, now - 60'000) << secret.name;
    EXPECT_LE(secret.updated_at_ms, now + 1'000) << secret.name;
  }
}

TEST_F(SecretStoreTest, AnAgentWhoseIdPrefixesAnotherListsOnlyItsOwn) {
  set(kAgent, "A", "one");
  set(kAgent + "x", "B", "two");
  EXPECT_EQ(names(kAgent), std::vector<std::string>{"A"});
}

TEST_F(SecretStoreTest, RemoveDeletesOneSecretAndSaysWhetherItWasThere) {
  set(kAgent, "A", "one");
  set(kAgent, "B", "two");
  auto removed = secrets().remove(kAgent, "A");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_EQ(get(kAgent, "A"), "absent");
  EXPECT_EQ(get(kAgent, "B"), "value two");
  auto again = secrets().remove(kAgent, "A");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST_F(SecretStoreTest, RemoveAgentDeletesOnlyThatAgentsSecrets) {
  set(kAgent, "A", "one");
  set(kAgent, "B", "two");
  set(kOtherAgent, "A", "theirs");
  ASSERT_TRUE(secrets().remove_agent(kAgent));
  EXPECT_TRUE(names(kAgent).empty());
  EXPECT_EQ(get(kAgent, "A"), "absent");
  EXPECT_EQ(get(kOtherAgent, "A"), "value theirs");
}

TEST_F(SecretStoreTest, RotateReEncryptsEverythingSoTheOldKeyCanBeDropped) {
  set(kAgent, "A", "one");
  set(kAgent, "B", "two");
  set(kOtherAgent, "A", "theirs");
  std::string before = raw("secret/" + kAgent + "/A");
  auto rotated = secrets().rotate({key_named("k2", 'b'), key_named("k1", 'a')});
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(*rotated, 3u);
  EXPECT_EQ(secrets().current_key_id(), "k2");
  EXPECT_NE(raw("secret/" + kAgent + "/A"), before);
  // Nothing needs k1 any more.
  secrets_ = std::make_unique<SecretStore>(db(), std::vector{key_named("k2", 'b')});
  EXPECT_EQ(get(kAgent, "A"), "value one");
  EXPECT_EQ(get(kAgent, "B"), "value two");
  EXPECT_EQ(get(kOtherAgent, "A"), "value theirs");
}

TEST_F(SecretStoreTest, RotateKeepsTheUpdateTimes) {
  set(kAgent, "A", "one");
  auto before = secrets().list(kAgent);
  ASSERT_TRUE(before);
  ASSERT_TRUE(secrets().rotate({key_named("k2", 'b'), key_named("k1", 'a')}));
  auto after = secrets().list(kAgent);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].updated_at_ms, (*before)[0].updated_at_ms);
}

TEST_F(SecretStoreTest, RotatingAgainToTheSameKeyRewritesNothing) {
  set(kAgent, "A", "one");
  ASSERT_TRUE(secrets().rotate({key_named("k2", 'b'), key_named("k1", 'a')}));
  auto again = secrets().rotate({key_named("k2", 'b'), key_named("k1", 'a')});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST_F(SecretStoreTest, NewWritesAfterRotationUseTheNewKey) {
  ASSERT_TRUE(secrets().rotate({key_named("k2", 'b'), key_named("k1", 'a')}));
  set(kAgent, "A", "after");
  secrets_ = std::make_unique<SecretStore>(db(), std::vector{key_named("k2", 'b')});
  EXPECT_EQ(get(kAgent, "A"), "value after");
}

TEST_F(SecretStoreTest, RotationWhileOthersWriteLosesNoUpdateAndLeavesNothingUnderTheOldKey) {
  constexpr int kWriters = 4;
  constexpr int kNames = 20;
  for (int n = 0; n < kNames; ++n) {
    for (int w = 0; w < kWriters; ++w) set(kAgent, "w" + std::to_string(w) + "-" + std::to_string(n), "initial");
  }
  std::atomic<bool> stop{false};
  std::vector<std::map<std::string, std::string>> last(kWriters);
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int round = 0; !stop.load() || round < 3 * kNames; ++round) {
        std::string name = "w" + std::to_string(w) + "-" + std::to_string(round % kNames);
        std::string value = "value-" + std::to_string(round);
        if (!secrets().set(kAgent, name, value)) ++failures;
        last[w][name] = value;
      }
    });
  }
  char fill = 'b';
  std::vector<SecretKey> ring{key_named("k1", 'a')};
  for (int rotation = 2; rotation <= 6; ++rotation, ++fill) {
    ring.insert(ring.begin(), key_named("k" + std::to_string(rotation), fill));
    auto rotated = secrets().rotate(ring);
    ASSERT_TRUE(rotated) << rotated.error().message;
  }
  stop = true;
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  for (int w = 0; w < kWriters; ++w) {
    for (const auto& [name, value] : last[w]) EXPECT_EQ(get(kAgent, name), "value " + value) << name;
  }
  // Only the current key is needed now: a write that raced the last rotation used the new key or
  // was re-encrypted by it.
  secrets_ = std::make_unique<SecretStore>(db(), std::vector{ring.front()});
  for (int w = 0; w < kWriters; ++w) {
    for (const auto& [name, value] : last[w]) EXPECT_EQ(get(kAgent, name), "value " + value) << name;
  }
}

TEST_F(SecretStoreTest, ConcurrentRotationsEachLeaveEverythingReadable) {
  for (int n = 0; n < 50; ++n) set(kAgent, "s" + std::to_string(n), "v" + std::to_string(n));
  std::vector<SecretKey> ring{key_named("k2", 'b'), key_named("k1", 'a')};
  std::vector<std::thread> rotators;
  std::atomic<int> failures{0};
  for (int r = 0; r < 2; ++r) {
    rotators.emplace_back([&] {
      if (!secrets().rotate(ring)) ++failures;
    });
  }
  for (auto& rotator : rotators) rotator.join();
  EXPECT_EQ(failures.load(), 0);
  secrets_ = std::make_unique<SecretStore>(db(), std::vector{key_named("k2", 'b')});
  for (int n = 0; n < 50; ++n) EXPECT_EQ(get(kAgent, "s" + std::to_string(n)), "value v" + std::to_string(n));
}

// ---- the key file ----

TEST(SecretKeyFileTest, IsCreatedWithMode0600AndOneKeyWhenAbsent) {
  TempDir dir;
  std::string path = dir.path() + "/secrets.key";
  auto keys = load_secret_keys(path, true);
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].bytes.size(), kAeadKeyBytes);
  EXPECT_FALSE((*keys)[0].id.empty());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // Loading again gives the same key.
  auto again = load_secret_keys(path, true);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].id, (*keys)[0].id);
  EXPECT_EQ((*again)[0].bytes, (*keys)[0].bytes);
}

TEST(SecretKeyFileTest, AnAbsentFileIsAnErrorWhenNotToBeCreated) {
  TempDir dir;
  auto keys = load_secret_keys(dir.path() + "/missing.key", false);
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, "CONFIG");
}

TEST(SecretKeyFileTest, MalformedLinesAreRefused) {
  TempDir dir;
  for (std::string content : {std::string("k1 abcd\n"), std::string("k1 ") + std::string(64, 'z') + "\n",
                              std::string(""), std::string("\n\n")}) {
    std::string path = dir.path() + "/bad.key";
    std::ofstream(path) << content;
    EXPECT_FALSE(load_secret_keys(path, false)) << content;
  }
}

TEST(SecretKeyFileTest, AddedKeysGoFirstAndOldOnesStay) {
  TempDir dir;
  std::string path = dir.path() + "/secrets.key";
  auto first = load_secret_keys(path, true);
  ASSERT_TRUE(first);
  auto added = add_secret_key(path);
  ASSERT_TRUE(added) << added.error().message;
  auto keys = load_secret_keys(path, false);
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].id, *added);
  EXPECT_NE((*keys)[0].id, (*first)[0].id);
  EXPECT_NE((*keys)[0].bytes, (*first)[0].bytes);
  EXPECT_EQ((*keys)[1].id, (*first)[0].id);
  EXPECT_EQ((*keys)[1].bytes, (*first)[0].bytes);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(SecretKeyFileTest, SecretsSurviveReopeningWithTheKeyFile) {
  TempDir dir;
  ManualWallClock clock;
  std::string path = dir.path() + "/secrets.key";
  {
    auto keys = load_secret_keys(path, true);
    ASSERT_TRUE(keys);
    TestKvStore store(dir.path() + "/db", clock);
    SecretStore secrets(store.db(), std::move(*keys));
    ASSERT_TRUE(secrets.set(kAgent, "A", "kept"));
    ASSERT_TRUE(add_secret_key(path));
    auto ring = load_secret_keys(path, false);
    ASSERT_TRUE(ring);
    ASSERT_TRUE(secrets.rotate(std::move(*ring)));
    ASSERT_TRUE(secrets.set(kAgent, "B", "after rotation"));
  }
  auto keys = load_secret_keys(path, true);
  ASSERT_TRUE(keys);
  TestKvStore store(dir.path() + "/db", clock);
  SecretStore secrets(store.db(), std::move(*keys));
  EXPECT_EQ(text_of(secrets.get(kAgent, "A")), "value kept");
  EXPECT_EQ(text_of(secrets.get(kAgent, "B")), "value after rotation");
}

}  // namespace
}  // namespace agentgate::testing
