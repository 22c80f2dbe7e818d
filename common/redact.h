#pragma once
// Replaces every occurrence of each secret in `text` by "[redacted]": what a request's cookies (and
// later the agent's secrets) hold must not reach a log, whoever writes the line.
#include <string>
#include <string_view>
#include <vector>

namespace agentgate {

// Secrets shorter than kMinRedactedBytes are left alone: replacing "1" or "yes" everywhere would
// garble the text and protect nothing.
inline constexpr size_t kMinRedactedBytes = 6;

std::string redact(std::string text, const std::vector<std::string>& secrets);

// The values of the cookies in a Cookie header ("a=1; b=2"), quotes removed, long enough to redact.
std::vector<std::string> cookie_values(std::string_view cookie_header);

}  // namespace agentgate
