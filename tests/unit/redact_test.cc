// Cookie values (and later secrets) never reach a log line: common/redact.h.
#include "common/redact.h"

#include <gtest/gtest.h>

namespace agentgate {
namespace {

TEST(Redact, ReplacesEveryOccurrenceOfEachSecret) {
  EXPECT_EQ(redact("sid=abcdef123 and again abcdef123, token xyz98765", {"abcdef123", "xyz98765"}),
            "sid=[redacted] and again [redacted], token [redacted]");
}

TEST(Redact, LeavesShortValuesAlone) { EXPECT_EQ(redact("theme=dark count=1", {"dark", "1"}), "theme=dark count=1"); }

TEST(Redact, ASecretContainingTheMarkDoesNotLoop) {
  EXPECT_EQ(redact("x[redacted]x", {"[redacted]"}), "x[redacted]x");
}

TEST(Redact, ALongerSecretContainingAShorterOneGoesWhole) {
  EXPECT_EQ(redact("key=abcdef-ghijkl", {"abcdef", "abcdef-ghijkl"}), "key=[redacted]");
}

TEST(CookieValues, TakesTheValuesQuotesRemovedAndSkipsShortOnes) {
  EXPECT_EQ(cookie_values("agt_a_sid=s3cr3t-session; agt_a_theme=dark; agt_a_q=\"quoted-value\"; novalue; =bare-value"),
            (std::vector<std::string>{"s3cr3t-session", "quoted-value", "bare-value"}));
}

TEST(CookieValues, EmptyHeaderHasNone) { EXPECT_TRUE(cookie_values("").empty()); }

}  // namespace
}  // namespace agentgate
