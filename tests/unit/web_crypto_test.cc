// crypto.subtle and crypto.timingSafeEqual: results must match the Web Crypto standard, so each
// case runs the same expression here and in Node.js's webcrypto and compares what comes out.
#include <gtest/gtest.h>


#include "tests/support/sandbox_harness.h"
#include "tests/unit/node_compare.h"

namespace agentgate::testing {
namespace {

// Shared by both sides: hex of an ArrayBuffer, and the inputs.
// RSA-2048 and P-256 public keys and signatures of "header.payload", made once with Node's webcrypto
// (generateKey, sign, exportKey 'jwk'): the shape of an id_token check against a provider's JWKS.
constexpr const char* kPrologue =
    "const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');"
    "const bytes = (s) => new TextEncoder().encode(s);"
    "const b64u = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));"
    "const rsaJwk = { kty: 'RSA', n: 'yPkDdqMor5c55uPc8lmp-HP9nsm12PnN2skTFU5xg99vWOukVphDQYsOXBp66DprH5FdQJsaD6AtQh9dI61ocJ0cM-4cOWG6ebnoEfl5mcL1Qxklv2LALcYuSEUmUXCihsOV-CNPj93HdmNTR_T18L6Dfkgzojua38STNYW8YROzUq0Gz0MmxnMGlrw5TG6z8FVv8v8X5iNW0esmindbedIRZaU7bq4aZQ28CsknXXCvGyFPZtq3opyXSOUG5QHzCCV49ujuvNRUQJ6X7aIcvNoJVENFJozuWnqVRf0R1G-eFj8VwWjJ9M24XkJ0b6KQ77ufvz1vOgb4KGsaPxX4mQ', e: 'AQAB', alg: 'RS256' };"
    "const rsaSig = b64u('sqpSgp_2XGsgjz98AQxeo4_wmKnvgFqGtsB-unH-PvvKSDlSDutcdGxTTorOtzoxW1HWTFBNvl597iBLlIuYxOyrp0MzEbYc2mo5Qlzf-o9BXUvZJrV4zn3HMM0x4S4DKuphSyodl9tgRinFQdW13H76cbokBLVlTLCeAQSPc20usgPkdmCvLVjGc7Q3JEukZcYdQ_3t7o7vXx5QIHsbVP9BKKb7ar6rVlDDRqZomK2pf1UoaUxwVmCGdbluXSjFpItFISg65eYBSvm7vteIAeLtJLJxNPLid8hxtNzXMMI9FxuW3tMRHeHOkfHR6IoWEYUI3CcN3hYhiridpHzrTQ');"
    "const ecJwk = { kty: 'EC', crv: 'P-256', x: '4KftNejLa_Tle5a1hS1RlXUsWsfdQSPPA7-yJ3fU0QE', y: '7JNZ8eeWUuvYtIOb8CmZhKNLvtLTruPxDVzuJX1nqEk' };"
    "const ecSig = b64u('DyR0gthgs-iDDqx-hzzxwuby8GyXSRTPG7nVazhvguenL9UaTy-b4WkDhagXt2CKZRRZBPIsPVnb3njAg2ERbw');"
    "const signed = bytes('header.payload');"
    "const flipped = (sig) => { const s = sig.slice(); s[5] ^= 1; return s; };"
    "const rsaKey = () => crypto.subtle.importKey('jwk', rsaJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);"
    "const ecKey = () => crypto.subtle.importKey('jwk', ecJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);";

std::string node_side(const std::string& expression) {
  return in_node(std::string("const { webcrypto: crypto, timingSafeEqual: require_timing } = require('node:crypto');") +
                     kPrologue,
                 expression);
}

std::string agentgate_side(SandboxHarness& harness, const std::string& expression) {
  return in_agentgate(harness, std::string(kPrologue) + "const require_timing = crypto.timingSafeEqual;", expression);
}

struct CryptoCase {
  const char* name;
  const char* expression;
};

class WebCryptoMatchesNode : public ::testing::TestWithParam<CryptoCase> {};

TEST_P(WebCryptoMatchesNode, SameResult) {
  SandboxHarness harness;
  std::string expected = node_side(GetParam().expression);
  ASSERT_FALSE(expected.empty()) << "node printed nothing";
  EXPECT_EQ(agentgate_side(harness, GetParam().expression), expected);
}

// Node 20 names this error "InvalidAccessException"; the standard says InvalidAccessError.
TEST(WebCrypto, ExportingANonExtractableKeyIsAnInvalidAccessError) {
  SandboxHarness harness;
  EXPECT_EQ(agentgate_side(harness,
                         "crypto.subtle.importKey('raw', bytes('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])"
                         ".then((k) => crypto.subtle.exportKey('raw', k))"),
            "threw InvalidAccessError");
}

TEST(WebCrypto, KeyBytesAreNotReachableFromTheKey) {
  SandboxHarness harness;
  EXPECT_EQ(agentgate_side(harness,
                         "crypto.subtle.importKey('raw', bytes('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])"
                         ".then((k) => JSON.stringify([Object.keys(k), Object.getOwnPropertyNames(k)]))"),
            "[[],[]]");
}

#define HMAC_KEY(hash, usages) \
  "crypto.subtle.importKey('raw', bytes('a secret key'), { name: 'HMAC', hash: " hash " }, false, " usages ")"

INSTANTIATE_TEST_SUITE_P(
    Subtle, WebCryptoMatchesNode,
    ::testing::Values(
        CryptoCase{"digest_sha256_empty", "crypto.subtle.digest('SHA-256', new Uint8Array()).then(hex)"},
        CryptoCase{"digest_sha256", "crypto.subtle.digest('SHA-256', bytes('hello, agents')).then(hex)"},
        CryptoCase{"digest_sha384_object_name", "crypto.subtle.digest({ name: 'SHA-384' }, bytes('x')).then(hex)"},
        CryptoCase{"digest_sha512_lower_case", "crypto.subtle.digest('sha-512', bytes('x')).then(hex)"},
        CryptoCase{"digest_of_an_ArrayBuffer", "crypto.subtle.digest('SHA-256', bytes('abc').buffer).then(hex)"},
        CryptoCase{"digest_of_a_subarray", "crypto.subtle.digest('SHA-256', bytes('abcdef').subarray(2, 4)).then(hex)"},
        CryptoCase{"digest_unknown_algorithm", "crypto.subtle.digest('MD5', bytes('x'))"},
        CryptoCase{"digest_of_a_string", "crypto.subtle.digest('SHA-256', 'text')"},
        CryptoCase{"hmac_sha256_sign", HMAC_KEY("'SHA-256'", "['sign']") ".then((k) => crypto.subtle.sign('HMAC', k, bytes('state=abc'))).then(hex)"},
        CryptoCase{"hmac_sha512_sign", HMAC_KEY("{ name: 'SHA-512' }", "['sign']") ".then((k) => crypto.subtle.sign({ name: 'HMAC' }, k, bytes('m'))).then(hex)"},
        CryptoCase{"hmac_verify_good",
                   HMAC_KEY("'SHA-256'", "['sign', 'verify']")
                   ".then(async (k) => crypto.subtle.verify('HMAC', k, await crypto.subtle.sign('HMAC', k, bytes('m')), bytes('m')))"},
        CryptoCase{"hmac_verify_tampered",
                   HMAC_KEY("'SHA-256'", "['sign', 'verify']")
                   ".then(async (k) => { const s = new Uint8Array(await crypto.subtle.sign('HMAC', k, bytes('m'))); s[0] ^= 1;"
                   " return crypto.subtle.verify('HMAC', k, s, bytes('m')); })"},
        CryptoCase{"hmac_verify_short_signature",
                   HMAC_KEY("'SHA-256'", "['verify']") ".then((k) => crypto.subtle.verify('HMAC', k, new Uint8Array(3), bytes('m')))"},
        CryptoCase{"hmac_sign_without_the_usage", HMAC_KEY("'SHA-256'", "['verify']") ".then((k) => crypto.subtle.sign('HMAC', k, bytes('m')))"},
        CryptoCase{"hmac_key_algorithm", HMAC_KEY("'SHA-256'", "['sign']") ".then((k) => JSON.stringify([k.type, k.extractable, k.algorithm, k.usages]))"},
        CryptoCase{"hmac_empty_usages", HMAC_KEY("'SHA-256'", "[]")},
        CryptoCase{"hmac_bad_usage", HMAC_KEY("'SHA-256'", "['encrypt']")},
        CryptoCase{"hmac_without_hash", "crypto.subtle.importKey('raw', bytes('k'), { name: 'HMAC' }, false, ['sign'])"},
        CryptoCase{"export_extractable",
                   "crypto.subtle.importKey('raw', bytes('abc'), { name: 'HMAC', hash: 'SHA-1' }, true, ['sign'])"
                   ".then((k) => crypto.subtle.exportKey('raw', k)).then(hex)"},
        CryptoCase{"rs256_verifies", "rsaKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, rsaSig, signed))"},
        CryptoCase{"rs256_tampered_signature", "rsaKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, flipped(rsaSig), signed))"},
        CryptoCase{"rs256_other_data", "rsaKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, rsaSig, bytes('header.payloaD')))"},
        CryptoCase{"rs256_key_algorithm", "rsaKey().then((k) => JSON.stringify([k.type, k.algorithm.name, k.algorithm.modulusLength, k.algorithm.hash, k.usages]))"},
        CryptoCase{"rs256_alg_mismatch", "crypto.subtle.importKey('jwk', rsaJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, false, ['verify'])"},
        CryptoCase{"rs256_sign_usage_on_a_public_key", "crypto.subtle.importKey('jwk', rsaJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])"},
        CryptoCase{"es256_verifies", "ecKey().then((k) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, ecSig, signed))"},
        CryptoCase{"es256_tampered_signature", "ecKey().then((k) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, flipped(ecSig), signed))"},
        CryptoCase{"es256_short_signature", "ecKey().then((k) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, k, ecSig.slice(0, 63), signed))"},
        CryptoCase{"es256_key_algorithm", "ecKey().then((k) => JSON.stringify([k.type, k.algorithm, k.usages]))"},
        CryptoCase{"es256_point_not_on_the_curve",
                   "crypto.subtle.importKey('jwk', { ...ecJwk, y: ecJwk.x }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])"},
        CryptoCase{"verify_with_the_wrong_algorithm", "ecKey().then((k) => crypto.subtle.verify('RSASSA-PKCS1-v1_5', k, ecSig, signed))"},
        CryptoCase{"timing_safe_equal_same", "require_timing(bytes('token-1'), bytes('token-1'))"},
        CryptoCase{"timing_safe_equal_different", "require_timing(bytes('token-1'), bytes('token-2'))"},
        CryptoCase{"timing_safe_equal_lengths", "require_timing(bytes('a'), bytes('ab'))"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace agentgate::testing
