#pragma once
// Server log: one line per event on stderr, safe to call from any thread.
// Never pass secret values, cookie values or request bodies here.
#include <sstream>
#include <string>
#include <string_view>

namespace agentgate::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// The minimum level written; set once at start-up, before worker threads exist.
void set_min_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message);

// `text` with control characters (newlines included) and backslashes written as \xNN escapes, for
// untrusted text that must stay on one line.
std::string escaped(std::string_view text);

// log::info("deployed ", slug, " v", version): the parts are streamed only when the level is on.
template <class... Parts>
void at(Level level, const Parts&... parts) {
  if (!enabled(level)) return;
  std::ostringstream line;
  (line << ... << parts);
  write(level, line.str());
}
template <class... Parts> void info(const Parts&... parts) { at(Level::kInfo, parts...); }
template <class... Parts> void warn(const Parts&... parts) { at(Level::kWarn, parts...); }
template <class... Parts> void error(const Parts&... parts) { at(Level::kError, parts...); }

}  // namespace agentgate::log
