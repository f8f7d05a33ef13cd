// security.cc — TLS credentials for the etcd channel and the etcd v3 auth token cache.
#include "etcdlink/security.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "etcdlink/security_impl.h"

namespace petacore::etcdlink {

namespace {

constexpr std::string_view kHttps = "https://";

absl::StatusOr<std::string> ReadFile(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + what + " file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) return absl::InvalidArgumentError(what + " file " + path + " is empty");
  return ss.str();
}

}  // namespace

absl::StatusOr<ClientTls> LoadClientTls(const std::string& ca_file, const std::string& cert_file,
                                        const std::string& key_file) {
  ClientTls tls;
  if (ca_file.empty() && cert_file.empty() && key_file.empty()) return tls;
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both a cert and a key file");
  }
  tls.enabled = true;
  if (!ca_file.empty()) {
    auto pem = ReadFile("CA certificate", ca_file);
    if (!pem.ok()) return pem.status();
    tls.ca_pem = std::move(*pem);
  }
  if (!cert_file.empty()) {
    auto cert = ReadFile("certificate", cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile("private key", key_file);
    if (!key.ok()) return key.status();
    tls.cert_pem = std::move(*cert);
    tls.key_pem = std::move(*key);
  }
  return tls;
}

bool IsAuthFailure(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.message().find("authentication failed") != std::string_view::npos;
}

namespace internal {

bool TlsWanted(const ClientOptions& options) {
  if (options.tls.enabled) return true;
  for (const auto& e : options.endpoints) {
    if (e.rfind(kHttps, 0) == 0) return true;
  }
  return false;
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const ClientOptions& options,
                                                                 grpc::ChannelArguments* args) {
  if (!TlsWanted(options)) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls.ca_pem;
  ssl.pem_cert_chain = options.tls.cert_pem;
  ssl.pem_private_key = options.tls.key_pem;
  std::string host = options.endpoints.empty() ? "127.0.0.1" : options.endpoints.front();
  for (std::string_view scheme : {kHttps, std::string_view("http://")}) {
    if (host.rfind(scheme, 0) == 0) host.erase(0, scheme.size());
  }
  if (const auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  args->SetSslTargetNameOverride(host);
  return grpc::SslCredentials(ssl);
}

bool IsTokenErrorText(std::string_view message) {
  return message.find("etcdserver: invalid auth token") != std::string_view::npos ||
         message.find("etcdserver: user name is empty") != std::string_view::npos ||
         message.find("etcdserver: revision of auth store is old") != std::string_view::npos;
}

bool IsTokenError(const grpc::Status& status) {
  const auto code = status.error_code();
  return (code == grpc::StatusCode::UNAUTHENTICATED ||
          code == grpc::StatusCode::INVALID_ARGUMENT) &&
         IsTokenErrorText(status.error_message());
}

AuthToken::AuthToken(std::string user, std::string password, std::chrono::milliseconds timeout,
                     std::shared_ptr<grpc::Channel> channel)
    : user_(std::move(user)),
      password_(std::move(password)),
      timeout_(timeout),
      stub_(etcdserverpb::Auth::NewStub(std::move(channel))) {}

grpc::Status AuthToken::Token(std::string* token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (have_token_) {
    *token = token_;
    return grpc::Status::OK;
  }
  etcdserverpb::AuthenticateRequest request;
  request.set_name(user_);
  request.set_password(password_);
  etcdserverpb::AuthenticateResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
  ctx.set_wait_for_ready(true);
  grpc::Status status = stub_->Authenticate(&ctx, request, &response);
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
      status.error_message().find("authentication is not enabled") != std::string::npos) {
    // etcd with auth off refuses Authenticate; calls then simply go without a token. Should
    // auth be enabled later, they fail with "user name is empty" and Invalidate("") brings
    // us back here.
    status = grpc::Status::OK;
    response.clear_token();
  }
  if (!status.ok()) return status;
  have_token_ = true;
  token_ = response.token();
  *token = token_;
  return grpc::Status::OK;
}

void AuthToken::Invalidate(const std::string& stale) {
  std::lock_guard<std::mutex> lock(mu_);
  if (have_token_ && token_ == stale) {
    have_token_ = false;
    token_.clear();
    refreshes_.fetch_add(1);
  }
}

grpc::Status AuthToken::AddTo(grpc::ClientContext* ctx, std::string* token) {
  grpc::Status status = Token(token);
  if (status.ok() && !token->empty()) ctx->AddMetadata(kTokenKey, *token);
  return status;
}

}  // namespace internal
}  // namespace petacore::etcdlink
