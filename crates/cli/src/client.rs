//! The connection to the server: its address (`host:port` or a URL), TLS, and the operator token.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::eligibility_service_client::EligibilityServiceClient;
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::error::{Error, Exit, source_chain};

/// The port ee-server listens on by default, used when `--server` names a host only.
pub const DEFAULT_PORT: u16 = 50051;

/// Answers can be the whole history (a few hundred kB); tonic's default of 4 MiB is kept for requests only.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Connection")]
pub struct ConnectArgs {
    /// The server: host:port (as grpcurl takes it) or a URL, http://host:port or https://host:port.
    #[arg(
        long,
        short = 's',
        env = "EE_SERVER",
        default_value = "127.0.0.1:50051",
        global = true
    )]
    pub server: String,
    /// Verify the server's TLS certificate with this CA certificate (PEM) instead of the system's roots; implies
    /// https for a host:port server.
    #[arg(long, env = "EE_TLS_CA", global = true, value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,
    /// Present this client certificate (PEM) to a server that asks for one; needs --tls-key.
    #[arg(long, env = "EE_TLS_CERT", global = true, value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM); needs --tls-cert.
    #[arg(long, env = "EE_TLS_KEY", global = true, value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// The operator token, for import and record.
    #[arg(
        long,
        env = "EE_OPERATOR_TOKEN",
        hide_env_values = true,
        global = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// A file holding the operator token (its surrounding whitespace is ignored); used when --token is not given.
    #[arg(
        long,
        env = "EE_OPERATOR_TOKEN_FILE",
        global = true,
        value_name = "PATH"
    )]
    pub token_file: Option<PathBuf>,
    /// Give up connecting after this many seconds.
    #[arg(long, default_value_t = 5.0, global = true, value_name = "SECONDS")]
    pub connect_timeout: f64,
}

/// The server's address as a URL, and whether it is to be reached over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub url: String,
    pub tls: bool,
}

/// Reads `--server`: `host:port`, `host` (port 50051), `[::1]:port`, or an http/https URL. A TLS flag makes a
/// `host:port` https.
pub fn server_url(server: &str, tls_flags: bool) -> Result<ServerUrl, Error> {
    let server = server.trim();
    let usage = |why: &str| {
        Error::new(
            Exit::Usage,
            format!(
                "--server {server:?}: {why}; give host:port (for example 127.0.0.1:50051) or a URL \
                 (http://host:port, https://host:port)"
            ),
        )
    };
    if server.is_empty() {
        return Err(usage("empty"));
    }
    let (scheme, rest) = match server.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => (if tls_flags { "https" } else { "http" }.to_owned(), server),
    };
    if scheme != "http" && scheme != "https" {
        return Err(usage(&format!(
            "the scheme {scheme:?} is not http or https"
        )));
    }
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        return Err(usage("expected a host and a port, and no path"));
    }
    let has_port = match authority.rsplit_once(':') {
        // `[::1]` alone: the colon is inside the brackets.
        Some((host, _)) if authority.starts_with('[') => host.ends_with(']'),
        Some(_) => true,
        None => false,
    };
    let authority = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:{DEFAULT_PORT}")
    };
    let url = format!("{scheme}://{authority}");
    url.parse::<tonic::transport::Uri>()
        .map_err(|e| usage(&e.to_string()))?;
    let tls = scheme == "https";
    if !tls && tls_flags {
        return Err(usage(
            "the --tls-* flags need TLS, and the URL says http://; use https:// or host:port",
        ));
    }
    Ok(ServerUrl { url, tls })
}

impl ConnectArgs {
    fn tls_flags(&self) -> bool {
        self.tls_ca.is_some() || self.tls_cert.is_some() || self.tls_key.is_some()
    }

    pub fn server_url(&self) -> Result<ServerUrl, Error> {
        server_url(&self.server, self.tls_flags())
    }

    /// The endpoint, with TLS configured; nothing is connected yet.
    pub fn endpoint(&self) -> anyhow::Result<(Endpoint, ServerUrl)> {
        let server = self.server_url()?;
        let timeout = Duration::try_from_secs_f64(self.connect_timeout)
            .map_err(|_| Error::usage("--connect-timeout: give a number of seconds, such as 5"))?;
        let mut endpoint = Endpoint::from_shared(server.url.clone())
            .map_err(|e| Error::usage(format!("--server {}: {e}", self.server)))?
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(20))
            .keep_alive_timeout(Duration::from_secs(10))
            .keep_alive_while_idle(true);
        if server.tls {
            let mut tls = ClientTlsConfig::new();
            match &self.tls_ca {
                Some(ca) => {
                    tls = tls.ca_certificate(Certificate::from_pem(read_pem(ca, "--tls-ca")?))
                }
                None => tls = tls.with_native_roots(),
            }
            match (&self.tls_cert, &self.tls_key) {
                (Some(cert), Some(key)) => {
                    tls = tls.identity(Identity::from_pem(
                        read_pem(cert, "--tls-cert")?,
                        read_pem(key, "--tls-key")?,
                    ))
                }
                (None, None) => {}
                _ => {
                    return Err(Error::usage(
                        "--tls-cert and --tls-key go together: give both, or neither",
                    ));
                }
            }
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|e| Error::usage(format!("the TLS settings: {}", source_chain(&e))))?;
        }
        Ok((endpoint, server))
    }

    /// A connection to the server; fails with what to do when it cannot be reached.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        let (endpoint, server) = self.endpoint()?;
        endpoint.connect().await.map_err(|e| {
            Error::new(
                Exit::Error,
                format!(
                    "cannot reach the server at {} ({}); check that ee-server runs there, or pass --server \
                     host:port (or set EE_SERVER)",
                    server.url,
                    source_chain(&e)
                ),
            )
            .into()
        })
    }

    pub async fn draws(&self) -> anyhow::Result<DrawServiceClient<Channel>> {
        Ok(DrawServiceClient::new(self.channel().await?)
            .max_decoding_message_size(MAX_ANSWER_BYTES))
    }

    pub async fn eligibility(&self) -> anyhow::Result<EligibilityServiceClient<Channel>> {
        Ok(EligibilityServiceClient::new(self.channel().await?)
            .max_decoding_message_size(MAX_ANSWER_BYTES))
    }

    /// The operator token, from --token, EE_OPERATOR_TOKEN, --token-file or EE_OPERATOR_TOKEN_FILE.
    pub fn token(&self, command: &str) -> anyhow::Result<String> {
        let token = match (&self.token, &self.token_file) {
            (Some(t), _) => t.trim().to_owned(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?
                .trim()
                .to_owned(),
            (None, None) => String::new(),
        };
        if token.is_empty() {
            return Err(Error::usage(format!(
                "{command} needs the operator token: pass --token, or set EE_OPERATOR_TOKEN or \
                 EE_OPERATOR_TOKEN_FILE"
            )));
        }
        Ok(token)
    }

    /// A request carrying the operator token.
    pub fn authorized<T>(&self, command: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
        let token = self.token(command)?;
        let value: MetadataValue<_> = format!("Bearer {token}").parse().map_err(|_| {
            Error::usage("the operator token holds characters a header cannot carry; check it")
        })?;
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

fn read_pem(path: &PathBuf, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::usage(format!("{flag} {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_forms() {
        let ok = |s: &str, tls: bool| server_url(s, tls).map(|u| u.url);
        assert_eq!(
            ok("127.0.0.1:50051", false).unwrap(),
            "http://127.0.0.1:50051"
        );
        assert_eq!(ok("localhost", false).unwrap(), "http://localhost:50051");
        assert_eq!(ok("[::1]:9000", false).unwrap(), "http://[::1]:9000");
        assert_eq!(ok("[::1]", false).unwrap(), "http://[::1]:50051");
        assert_eq!(
            ok("ee.example:443", true).unwrap(),
            "https://ee.example:443"
        );
        assert_eq!(
            ok("https://ee.example", false).unwrap(),
            "https://ee.example:50051"
        );
        assert_eq!(ok("HTTP://h:1/", false).unwrap(), "http://h:1");
        for bad in ["", "ftp://h:1", "http://h:1/x", "http://"] {
            let e = server_url(bad, false).unwrap_err();
            assert_eq!(e.exit, Exit::Usage, "{bad}");
        }
        assert_eq!(
            server_url("http://h:1", true).unwrap_err().exit,
            Exit::Usage
        );
    }
}
