//! TLS for tests: a certificate authority made on the spot (rcgen), server and client certificates it signs, files
//! for the server's `--tls-*` settings, and clients that speak TLS (a tonic channel, and a bare handshake that
//! reports the certificate the server presented).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls_pki_types::{CertificateDer, ServerName};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// The name every test server certificate is issued for (with 127.0.0.1).
pub const SERVER_NAME: &str = "localhost";

/// A PEM certificate (chain) and its private key.
#[derive(Clone)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

impl Pem {
    /// The certificate's DER, as a server presents it.
    pub fn der(&self) -> CertificateDer<'static> {
        use rustls_pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(self.cert.as_bytes()).expect("a PEM certificate")
    }
}

/// A certificate authority for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub cert_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        Self {
            issuer: Issuer::new(params, key),
            cert_pem: cert.pem(),
        }
    }

    /// A server certificate for localhost and 127.0.0.1, named `name`, valid for a year.
    pub fn server(&self, name: &str) -> Pem {
        let today = chrono::Utc::now().date_naive();
        self.server_until(name, today + chrono::Days::new(365))
    }

    /// A server certificate that expires at the start of `not_after` (UTC).
    pub fn server_until(&self, name: &str, not_after: NaiveDate) -> Pem {
        let mut params =
            CertificateParams::new(vec![SERVER_NAME.to_owned(), "127.0.0.1".to_owned()])
                .expect("server params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let from = not_after - chrono::Days::new(400);
        params.not_before = rcgen::date_time_ymd(from.year(), from.month() as u8, from.day() as u8);
        params.not_after = rcgen::date_time_ymd(
            not_after.year(),
            not_after.month() as u8,
            not_after.day() as u8,
        );
        self.sign(params)
    }

    /// A client certificate named `name`.
    pub fn client(&self, name: &str) -> Pem {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params)
    }

    fn sign(&self, params: CertificateParams) -> Pem {
        let key = KeyPair::generate().expect("key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("signed certificate");
        Pem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

/// The files a server's `--tls-cert`, `--tls-key` and `--tls-client-ca` name.
#[derive(Debug, Clone)]
pub struct TlsPaths {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

impl TlsPaths {
    /// Writes `server` (and the client CA, if any) into `dir`.
    pub fn write(dir: &Path, server: &Pem, client_ca: Option<&TestCa>) -> Self {
        std::fs::create_dir_all(dir).expect("TLS dir");
        let paths = Self {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
            client_ca: client_ca.map(|_| dir.join("client-ca.crt")),
        };
        paths.rotate(server);
        if let (Some(path), Some(ca)) = (&paths.client_ca, client_ca) {
            std::fs::write(path, &ca.cert_pem).expect("write the client CA");
        }
        paths
    }

    /// Replaces the certificate and key as Kubernetes does with a mounted secret: each file is written beside and
    /// renamed over the old one, so that a reader never sees half a file.
    pub fn rotate(&self, server: &Pem) {
        for (path, text) in [(&self.cert, &server.cert), (&self.key, &server.key)] {
            let new = path.with_extension("new");
            std::fs::write(&new, text).expect("write the TLS file");
            std::fs::rename(&new, path).expect("rename the TLS file");
        }
    }

    /// These files in a server's settings.
    pub fn apply(&self, settings: &mut ee_server::Settings) {
        settings.tls_cert = Some(self.cert.clone());
        settings.tls_key = Some(self.key.clone());
        settings.tls_client_ca = self.client_ca.clone();
    }
}

/// A TLS channel to `addr` that trusts `ca`, presenting `client` when given.
pub async fn tls_channel(
    addr: SocketAddr,
    ca: &TestCa,
    client: Option<&Pem>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&ca.cert_pem))
        .domain_name(SERVER_NAME);
    if let Some(client) = client {
        tls = tls.identity(Identity::from_pem(&client.cert, &client.key));
    }
    Channel::from_shared(format!("https://{addr}"))
        .expect("endpoint")
        .tls_config(tls)?
        .connect()
        .await
}

/// Opens a TLS connection to `addr` trusting `ca` (with `client`'s certificate, if given) and returns the
/// certificate the server presented.
pub async fn served_certificate(
    addr: SocketAddr,
    ca: &TestCa,
    client: Option<&Pem>,
) -> std::io::Result<CertificateDer<'static>> {
    let stream = tls_connect(addr, ca, client).await?;
    let (_, session) = stream.get_ref();
    session
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.clone().into_owned())
        .ok_or_else(|| std::io::Error::other("the server presented no certificate"))
}

/// A bare TLS connection to `addr` (ALPN h2) trusting `ca`, with `client`'s certificate if given: the handshake
/// is done, nothing else is sent.
pub async fn tls_connect(
    addr: SocketAddr,
    ca: &TestCa,
    client: Option<&Pem>,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.cert_pem.as_bytes()).expect("CA PEM"))
        .expect("CA certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots);
    let mut config = match client {
        Some(client) => builder
            .with_client_auth_cert(
                vec![client.der()],
                rustls_pki_types::PrivateKeyDer::from_pem_slice(client.key.as_bytes())
                    .expect("client key"),
            )
            .expect("client certificate"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = ServerName::try_from(SERVER_NAME).expect("server name");
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}
