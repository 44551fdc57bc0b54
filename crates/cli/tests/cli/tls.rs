//! `--tls-ca`, `--tls-cert`, `--tls-key` against a real server behind a small rustls (ring) terminator: the server
//! itself serves plaintext here, so the test does not depend on the server's own TLS settings.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use ee_proto::v1::Draw;
use ee_test_support::{Backend, TestApp};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};

use crate::support::{ee, run_with};

fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

/// A certificate for `names` signed by `ca`, for a server or a client.
fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().expect("key");
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("params");
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, ca).expect("sign");
    (cert, key)
}

/// TLS on a port of its own, forwarding the plaintext to `target`; asks for a client certificate signed by
/// `client_ca` when given.
async fn terminator(
    target: SocketAddr,
    server: &(rcgen::Certificate, KeyPair),
    client_ca: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("protocol versions");
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der().clone()).expect("client CA");
            builder.with_client_cert_verifier(
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .expect("verifier"),
            )
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(
            vec![CertificateDer::from(server.0.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.1.serialize_der())),
        )
        .expect("server certificate");
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    });
    addr
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("UTF-8 path").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_ca_and_a_client_certificate() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let server_ca = authority("ee test server CA");
    let client_ca = authority("ee test client CA");
    let other_ca = authority("someone else");
    let server = leaf(
        &server_ca,
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let client = leaf(&client_ca, &["ee-cli"], ExtendedKeyUsagePurpose::ClientAuth);
    let ca_pem = write(dir.path(), "ca.pem", &server_ca.pem());
    let other_pem = write(dir.path(), "other.pem", &other_ca.pem());
    let cert_pem = write(dir.path(), "client.pem", &client.0.pem());
    let key_pem = write(dir.path(), "client.key", &client.1.serialize_pem());

    // Server TLS only: host:port with --tls-ca is https.
    let tls = terminator(app.addr, &server, None).await;
    let out = run_with(
        ee(&tls.to_string()),
        &["--tls-ca", &ca_pem, "draws", "show", "252", "-o", "json"],
    )
    .await;
    let draw: Draw = ee_cli::messages::parse(out.ok(), Path::new("d.json"), "Draw").expect("Draw");
    assert_eq!(draw.number, "252");
    // A certificate the CA given did not sign is refused.
    run_with(
        ee(&format!("https://{tls}")),
        &["--tls-ca", &other_pem, "draws", "latest"],
    )
    .await
    .fails(1, "cannot reach the server");
    // Plaintext to a TLS port fails too, with the same advice.
    run_with(ee(&format!("http://{tls}")), &["draws", "latest"])
        .await
        .fails(1, "cannot reach the server");

    // A server that asks for a client certificate.
    let mtls = terminator(app.addr, &server, Some(&client_ca)).await;
    let out = run_with(
        ee(&mtls.to_string()),
        &[
            "--tls-ca",
            &ca_pem,
            "--tls-cert",
            &cert_pem,
            "--tls-key",
            &key_pem,
            "draws",
            "list",
            "-n",
            "3",
            "-o",
            "csv",
        ],
    )
    .await;
    assert_eq!(out.ok().lines().count(), 4, "a header and three rounds");
    let out = run_with(
        ee(&mtls.to_string()),
        &["--tls-ca", &ca_pem, "draws", "latest"],
    )
    .await;
    assert_ne!(out.code, 0, "no client certificate: {}", out.stdout);
    run_with(
        ee(&mtls.to_string()),
        &[
            "--tls-ca",
            &ca_pem,
            "--tls-cert",
            &cert_pem,
            "draws",
            "latest",
        ],
    )
    .await
    .fails(2, "--tls-cert and --tls-key go together");
}
