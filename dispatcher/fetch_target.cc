#include "dispatcher/fetch_target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <array>

namespace agentgate {
namespace {

namespace urls = boost::urls;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Servers send Locations with spaces or raw UTF-8 that browsers accept: percent-encode such bytes
// so that the RFC 3986 parser takes them, as the WHATWG URL parser would.
std::string encode_stray_bytes(std::string_view location) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(location.size());
  for (unsigned char c : location) {
    if (c <= 0x20 || c >= 0x7f || std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) != std::string_view::npos) {
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
  return lower(url.scheme()) + "://" + lower(url.encoded_host()) + ":" +
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
  auto parsed = urls::parse_uri(text);
  if (!parsed) return invalid("'" + std::string(text.substr(0, 200)) + "' is not an absolute URL");
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
  target.host = lower(url.encoded_host_address());
  if (url.has_port()) {
    if (url.port().empty() || url.port_number() == 0) return invalid("the URL's port must be from 1 to 65535");
    target.port = url.port_number();
  } else {
    target.port = target.tls ? 443 : 80;
  }
  bool default_port = target.port == (target.tls ? 443 : 80);
  target.host_header = lower(url.encoded_host()) + (default_port ? "" : ":" + std::to_string(target.port));
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
