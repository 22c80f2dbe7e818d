#include "dispatcher/fetch_target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "common/ascii.h"

namespace agentgate {
namespace {

namespace urls = boost::urls;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The WHATWG URL parser (which made the handler's URL) and servers' Location headers leave bytes
// in paths and queries that RFC 3986 does not allow: spaces, raw UTF-8, "[]{}|^`", a '%' without
// two hex digits. Percent-encode them so that the RFC 3986 parser takes the URL as a browser
// would. The scheme and authority are left alone (brackets there belong to IPv6 literals).
std::string encode_stray_bytes(std::string_view url) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr std::string_view kStray = "\"<>\\^`{|}[]";
  size_t authority = url.find("//");
  size_t rest = authority == std::string_view::npos ? 0 : url.find_first_of("/?#", authority + 2);
  if (rest == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, rest));
  out.reserve(url.size());
  for (size_t i = rest; i < url.size(); ++i) {
    auto c = static_cast<unsigned char>(url[i]);
    bool escape = c == '%' && i + 2 < url.size() && is_hex(url[i + 1]) && is_hex(url[i + 2]);
    bool stray_percent = c == '%' && !escape;
    if (c <= 0x20 || c >= 0x7f || stray_percent || kStray.find(static_cast<char>(c)) != std::string_view::npos) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string origin_of(const urls::url_view& url) {
  return lowered_ascii(url.scheme()) + "://" + lowered_ascii(url.encoded_host()) + ":" +
         (url.has_port() ? std::string(url.port()) : (url.scheme_id() == urls::scheme::https ? "443" : "80"));
}

void remove_headers(HeaderList& headers, std::initializer_list<std::string_view> names) {
  std::erase_if(headers, [&](const auto& header) {
    return std::find(names.begin(), names.end(), header.first) != names.end();
  });
}

}  // namespace

Result<FetchTarget> parse_fetch_target(std::string_view text) {
  auto invalid = [&](std::string why) { return Error{fetch_error::kInvalidUrl, "fetch: " + why}; };
  std::string encoded = encode_stray_bytes(text);
  auto parsed = urls::parse_uri(encoded);
  // Never echo the URL: its query may carry a key or a token.
  if (!parsed) return invalid("the URL is not an absolute http: or https: URL this server can parse");
  const urls::url_view& url = *parsed;
  FetchTarget target;
  if (url.scheme_id() == urls::scheme::https) {
    target.tls = true;
  } else if (url.scheme_id() != urls::scheme::http) {
    return invalid("only http: and https: URLs can be fetched, not " + std::string(url.scheme()) + ":");
  }
  if (url.has_userinfo()) return invalid("the URL must not include credentials");
  if (url.host_type() == urls::host_type::ipvfuture || url.encoded_host().empty()) {
    return invalid("the URL has no host this server can connect to");
  }
  if (url.host_type() == urls::host_type::name && url.encoded_host().find('%') != urls::string_view::npos) {
    return invalid("the host name contains percent-escapes");  // WHATWG URL decodes these; we never see them
  }
  target.host = lowered_ascii(url.encoded_host_address());
  if (url.has_port()) {
    std::string_view digits = url.port();
    unsigned port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return invalid("the URL's port must be from 1 to 65535");
    }
    target.port = static_cast<uint16_t>(port);
  } else {
    target.port = target.tls ? 443 : 80;
  }
  bool default_port = target.port == (target.tls ? 443 : 80);
  target.host_header = lowered_ascii(url.encoded_host()) + (default_port ? "" : ":" + std::to_string(target.port));
  std::string path(url.encoded_path());
  target.target = (path.empty() ? "/" : path) + (url.has_query() ? "?" + std::string(url.encoded_query()) : "");
  if (url.host_type() != urls::host_type::name) target.literal = parse_ip_literal(target.host);
  return target;
}

bool is_redirect_status(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Result<OutboundRequest> redirect_request(const OutboundRequest& current, int status, std::string_view location) {
  auto failed = [&](std::string why) { return Error{fetch_error::kRedirect, "fetch: " + why}; };
  auto base = urls::parse_uri(current.url);
  std::string encoded = encode_stray_bytes(location);
  auto reference = urls::parse_uri_reference(encoded);
  if (!base || !reference) return failed("the redirect's Location is not a URL");
  urls::url next;
  if (!urls::resolve(*base, *reference, next)) return failed("the redirect's Location is not a URL");
  if (next.scheme_id() != urls::scheme::http && next.scheme_id() != urls::scheme::https) {
    return failed("a redirect may only lead to an http: or https: URL");
  }
  next.normalize_scheme();
  OutboundRequest request = current;
  request.url = std::string(next.buffer());
  bool to_get = (status == 303 && current.method != "GET" && current.method != "HEAD") ||
                ((status == 301 || status == 302) && current.method == "POST");
  if (to_get) {
    request.method = "GET";
    request.body.clear();
    remove_headers(request.headers, {"content-type", "content-length", "content-encoding", "content-language",
                                     "content-location"});
  }
  if (origin_of(*base) != origin_of(next)) {
    remove_headers(request.headers, {"authorization", "cookie", "proxy-authorization"});
  }
  return request;
}

}  // namespace agentgate
