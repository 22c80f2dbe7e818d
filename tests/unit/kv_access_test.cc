// Who a ctx.kv call may touch (policy/kv_access.h): the permission matrix of every user_id class,
// access level and operation; subject patterns; the widest matching class winning; and denial
// messages that say what to fix without echoing the user_id.
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "policy/kv_access.h"
#include "tests/unit/outcome_text.h"

namespace agentgate::testing {
namespace {

const std::string kAgent = "11111111-2222-4333-8444-555555555555";
const std::string kVisitor = "visitor-7f3a";
const std::string kSubject = "google:1234567890";

auto name_of = [](const auto& info) { return row_name(info.param.name); };

// "allowed" or the error code.
std::string verdict(const KvPermissions& permissions, std::optional<std::string_view> visitor, std::string_view user_id,
                    KvOperation operation) {
  auto status = check_kv_access(KvCaller{kAgent, visitor, permissions}, user_id, operation);
  return status ? "allowed" : status.error().code;
}

const char* access_name(Access access) {
  switch (access) {
    case Access::kNone: return "none";
    case Access::kRead: return "r";
    case Access::kReadWrite: return "rw";
  }
  return "?";
}

// ---- the matrix: class x access x operation ---------------------------------------------------------

enum class UserClass { kSelf, kVisitor, kSubject };

struct MatrixRow {
  std::string name;
  UserClass user_class;
  Access access;
  KvOperation operation;
  bool allowed;
};
void PrintTo(const MatrixRow& row, std::ostream* os) { *os << row.name; }

std::vector<MatrixRow> matrix() {
  const std::pair<UserClass, const char*> classes[] = {
      {UserClass::kSelf, "self"}, {UserClass::kVisitor, "visitor"}, {UserClass::kSubject, "subject"}};
  const KvOperation operations[] = {KvOperation::kGet, KvOperation::kList, KvOperation::kPut, KvOperation::kDelete,
                                    KvOperation::kTake};
  std::vector<MatrixRow> rows;
  for (auto [user_class, class_name] : classes) {
    for (Access access : {Access::kNone, Access::kRead, Access::kReadWrite}) {
      for (KvOperation operation : operations) {
        bool writes = operation == KvOperation::kPut || operation == KvOperation::kDelete || operation == KvOperation::kTake;
        bool allowed = access == Access::kReadWrite || (access == Access::kRead && !writes);
        rows.push_back({std::string(class_name) + " " + access_name(access) + " " + std::string(kv_operation_name(operation)),
                        user_class, access, operation, allowed});
      }
    }
  }
  return rows;
}

class KvAccessMatrix : public ::testing::TestWithParam<MatrixRow> {};

TEST_P(KvAccessMatrix, GrantsExactlyWhatTheClassAllows) {
  const MatrixRow& row = GetParam();
  KvPermissions permissions;  // every other class: none
  std::string user_id;
  switch (row.user_class) {
    case UserClass::kSelf:
      permissions.self = row.access;
      user_id = kAgent;
      break;
    case UserClass::kVisitor:
      permissions.visitor = row.access;
      user_id = kVisitor;
      break;
    case UserClass::kSubject:
      permissions.subjects = {{"google:*", row.access}};
      user_id = kSubject;
      break;
  }
  EXPECT_EQ(verdict(permissions, kVisitor, user_id, row.operation), row.allowed ? "allowed" : "PERMISSION_DENIED");
}

INSTANTIATE_TEST_SUITE_P(Table, KvAccessMatrix, ::testing::ValuesIn(matrix()), name_of);

// ---- classes that do not apply -------------------------------------------------------------------------

struct CaseRow {
  std::string name;
  KvPermissions permissions;
  std::optional<std::string> visitor;  // the request's signed-in user
  std::string user_id;
  KvOperation operation;
  std::string expected;
};
void PrintTo(const CaseRow& row, std::ostream* os) { *os << row.name; }

class KvAccessCases : public ::testing::TestWithParam<CaseRow> {};

TEST_P(KvAccessCases, Verdict) {
  const CaseRow& row = GetParam();
  std::optional<std::string_view> visitor;
  if (row.visitor) visitor = *row.visitor;
  EXPECT_EQ(verdict(row.permissions, visitor, row.user_id, row.operation), row.expected);
}

KvPermissions all(Access self, Access visitor, std::vector<std::pair<std::string, Access>> subjects = {}) {
  return KvPermissions{self, visitor, std::move(subjects)};
}
constexpr Access kNone = Access::kNone;
constexpr Access kR = Access::kRead;
constexpr Access kRw = Access::kReadWrite;

INSTANTIATE_TEST_SUITE_P(
    NoMatchingClass, KvAccessCases,
    ::testing::Values(
        CaseRow{"anonymous request: visitor rw never matches", all(kNone, kRw), std::nullopt, kVisitor, KvOperation::kGet,
                "PERMISSION_DENIED"},
        CaseRow{"anonymous request: empty user_id is not the visitor", all(kNone, kRw), std::nullopt, "", KvOperation::kGet,
                "PERMISSION_DENIED"},
        CaseRow{"another visitor's id", all(kNone, kRw), kVisitor, "visitor-other", KvOperation::kGet, "PERMISSION_DENIED"},
        CaseRow{"another agent's id is not self", all(kRw, kNone), kVisitor, "11111111-2222-4333-8444-555555555556",
                KvOperation::kGet, "PERMISSION_DENIED"},
        CaseRow{"self id differing in case", all(kRw, kNone), kVisitor, "11111111-2222-4333-8444-55555555555A",
                KvOperation::kGet, "PERMISSION_DENIED"},
        CaseRow{"id outside every subject pattern", all(kNone, kNone, {{"google:*", kRw}}), kVisitor, "github:1",
                KvOperation::kGet, "PERMISSION_DENIED"},
        CaseRow{"all permissions none, own id", all(kNone, kNone), kAgent, kAgent, KvOperation::kGet,
                "PERMISSION_DENIED"}),
    name_of);

INSTANTIATE_TEST_SUITE_P(
    WidestMatchingClassWins, KvAccessCases,
    ::testing::Values(
        CaseRow{"visitor is the agent: self r, visitor rw", all(kR, kRw), kAgent, kAgent, KvOperation::kPut, "allowed"},
        CaseRow{"visitor is the agent: self rw, visitor none", all(kRw, kNone), kAgent, kAgent, KvOperation::kPut,
                "allowed"},
        CaseRow{"visitor is the agent: both r, write denied", all(kR, kR), kAgent, kAgent, KvOperation::kPut,
                "PERMISSION_DENIED"},
        CaseRow{"visitor matched by a subject: visitor r, subject rw", all(kNone, kR, {{"google:*", kRw}}), kSubject,
                kSubject, KvOperation::kTake, "allowed"},
        CaseRow{"visitor matched by a subject: visitor rw, subject none", all(kNone, kRw, {{"google:*", kNone}}), kSubject,
                kSubject, KvOperation::kDelete, "allowed"},
        CaseRow{"two patterns: wildcard r then exact rw", all(kNone, kNone, {{"google:*", kR}, {kSubject, kRw}}), kVisitor,
                kSubject, KvOperation::kPut, "allowed"},
        CaseRow{"two patterns: exact rw then wildcard none", all(kNone, kNone, {{kSubject, kRw}, {"google:*", kNone}}),
                kVisitor, kSubject, KvOperation::kPut, "allowed"},
        CaseRow{"two patterns, both r: write denied", all(kNone, kNone, {{kSubject, kR}, {"google:*", kR}}), kVisitor,
                kSubject, KvOperation::kPut, "PERMISSION_DENIED"}),
    name_of);

// ---- subject patterns --------------------------------------------------------------------------------

struct PatternRow {
  std::string name;
  std::string pattern;
  std::string user_id;
  bool matches;
};
void PrintTo(const PatternRow& row, std::ostream* os) { *os << row.name; }

class KvSubjectPattern : public ::testing::TestWithParam<PatternRow> {};

TEST_P(KvSubjectPattern, Matches) {
  EXPECT_EQ(subject_pattern_matches(GetParam().pattern, GetParam().user_id), GetParam().matches);
}

INSTANTIATE_TEST_SUITE_P(
    Table, KvSubjectPattern,
    ::testing::Values(PatternRow{"wildcard matches an id in the namespace", "google:*", "google:1", true},
                      PatternRow{"wildcard matches an id with its own colons and stars", "google:*", "google:a:*", true},
                      PatternRow{"wildcard needs at least one byte after the prefix", "google:*", "google:", false},
                      PatternRow{"wildcard does not match a longer namespace", "google:*", "googlex:1", false},
                      PatternRow{"wildcard does not match without the colon", "google:*", "google", false},
                      PatternRow{"wildcard is case-sensitive", "google:*", "Google:1", false},
                      PatternRow{"wildcard prefix must be at the start", "google:*", "x-google:1", false},
                      PatternRow{"exact pattern matches itself", "service:cron", "service:cron", true},
                      PatternRow{"exact pattern does not match an extension", "service:cron", "service:cron2", false},
                      PatternRow{"exact pattern does not match a prefix of it", "service:cron", "service:", false},
                      PatternRow{"star in the middle is literal", "a*b", "a*b", true},
                      PatternRow{"star in the middle is not a wildcard", "a*b", "axb", false},
                      PatternRow{"lone star matches any non-empty id", "*", "anything", true},
                      PatternRow{"lone star does not match the empty id", "*", "", false}),
    name_of);

// ---- denial messages ---------------------------------------------------------------------------------

struct MessageRow {
  std::string name;
  KvPermissions permissions;
  std::optional<std::string> visitor;
  std::string user_id;
  KvOperation operation;
  std::vector<std::string> mentions;  // each must appear in the message
};
void PrintTo(const MessageRow& row, std::ostream* os) { *os << row.name; }

class KvAccessMessage : public ::testing::TestWithParam<MessageRow> {
 protected:
  std::string message() const {
    const MessageRow& row = GetParam();
    std::optional<std::string_view> visitor;
    if (row.visitor) visitor = *row.visitor;
    auto status = check_kv_access(KvCaller{kAgent, visitor, row.permissions}, row.user_id, row.operation);
    return status ? "(allowed)" : status.error().message;
  }
};

TEST_P(KvAccessMessage, NamesTheOperationClassAndMissingPermission) {
  std::string text = message();
  for (const auto& mention : GetParam().mentions) EXPECT_NE(text.find(mention), std::string::npos) << mention << " in: " << text;
}

TEST_P(KvAccessMessage, NeverContainsTheUserId) {
  std::string text = message();
  EXPECT_EQ(text.find(GetParam().user_id), std::string::npos) << text;
}

// An exact subject pattern is the user_id it matches, and the message names the pattern (the
// manifest's own text): such rows would contain the user_id by construction, so none is here.
INSTANTIATE_TEST_SUITE_P(
    Table, KvAccessMessage,
    ::testing::Values(
        MessageRow{"self with r, writing", all(kR, kNone), kVisitor, kAgent, KvOperation::kPut,
                   {"kv.put", "needs \"rw\"", "self (\"r\")"}},
        MessageRow{"visitor with r, taking", all(kNone, kR), kVisitor, kVisitor, KvOperation::kTake,
                   {"kv.take", "needs \"rw\"", "visitor (\"r\")"}},
        MessageRow{"visitor with none, reading", all(kNone, kNone), kVisitor, kVisitor, KvOperation::kGet,
                   {"kv.get", "needs \"r\"", "visitor (none)"}},
        MessageRow{"subject with r, deleting", all(kNone, kNone, {{"google:*", kR}}), kVisitor, kSubject,
                   KvOperation::kDelete, {"kv.delete", "needs \"rw\"", "subjects[\"google:*\"] (\"r\")"}},
        MessageRow{"no class, signed-in request", all(kRw, kRw, {{"google:*", kRw}}), kVisitor, "intruder-42",
                   KvOperation::kList, {"kv.list", "needs \"r\"", "self", "visitor", "subjects"}},
        MessageRow{"no class, anonymous request", all(kRw, kRw), std::nullopt, "intruder-42", KvOperation::kPut,
                   {"kv.put", "needs \"rw\"", "no signed-in visitor"}}),
    name_of);

}  // namespace
}  // namespace agentgate::testing
