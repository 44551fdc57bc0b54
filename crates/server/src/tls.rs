//! TLS for the gRPC port: rustls (ring provider) from PEM certificate and key files, client certificates required
//! when a client CA file is given. The files are read again on SIGHUP and whenever their contents change (checked
//! every `--tls-reload-interval`; Kubernetes rotates a mounted secret by swapping the files, which a content check
//! sees whichever way it is done). A reload builds a whole new configuration, used by connections accepted from then
//! on; one that fails (a missing file, a key that does not match, a certificate and key caught mid-rotation) keeps
//! the old configuration and logs why. A certificate that has expired or expires within 7 days is warned about at
//! start and at each reload.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::metrics::{TLS_CERT_EXPIRY, TLS_RELOADS};

/// Warn when the certificate expires within this.
const EXPIRY_WARNING: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// The files TLS is configured from.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    fn read_all(&self) -> io::Result<Vec<Vec<u8>>> {
        let mut contents = vec![std::fs::read(&self.cert)?, std::fs::read(&self.key)?];
        if let Some(ca) = &self.client_ca {
            contents.push(std::fs::read(ca)?);
        }
        Ok(contents)
    }
}

fn read(path: &Path, what: &str, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path)
        .with_context(|| format!("cannot read the {what} {} ({flag})", path.display()))
}

/// A rustls configuration built from the files, and the leaf certificate's expiry.
fn load(files: &TlsFiles) -> anyhow::Result<(Arc<ServerConfig>, Option<DateTime<Utc>>)> {
    let cert_pem = read(&files.cert, "TLS certificate", "--tls-cert, EE_TLS_CERT")?;
    let key_pem = read(&files.key, "TLS private key", "--tls-key, EE_TLS_KEY")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("the TLS certificate {} is not PEM", files.cert.display()))?;
    let Some(leaf) = chain.first() else {
        anyhow::bail!(
            "the TLS certificate file {} holds no PEM certificate",
            files.cert.display()
        );
    };
    let expires = not_after(leaf);
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        anyhow::anyhow!(
            "the TLS private key file {} holds no usable PEM private key: {e}",
            files.key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("the TLS protocol versions")?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let pem = read(path, "TLS client CA", "--tls-client-ca, EE_TLS_CLIENT_CA")?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert
                    .with_context(|| format!("the TLS client CA {} is not PEM", path.display()))?;
                roots.add(cert).with_context(|| {
                    format!(
                        "the TLS client CA {} holds a certificate that cannot be used",
                        path.display()
                    )
                })?;
            }
            if roots.is_empty() {
                anyhow::bail!(
                    "the TLS client CA file {} holds no PEM certificate",
                    path.display()
                );
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .with_context(|| format!("the TLS client CA {}", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| {
        anyhow::anyhow!(
            "the TLS certificate {} and private key {} cannot be used together: {e}",
            files.cert.display(),
            files.key.display()
        )
    })?;
    // gRPC clients (grpc-go among them) insist on negotiating HTTP/2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((Arc::new(config), expires))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn warn_if_expiring(files: &TlsFiles, expires: Option<DateTime<Utc>>) {
    let Some(expires_at) = expires else {
        tracing::warn!(cert = %files.cert.display(), "cannot read the TLS certificate's expiry date");
        return;
    };
    metrics::gauge!(TLS_CERT_EXPIRY).set(expires_at.timestamp() as f64);
    let now = Utc::now();
    let expires = rfc3339(expires_at);
    if expires_at <= now {
        tracing::warn!(cert = %files.cert.display(), %expires, "the TLS certificate has expired: clients will refuse it");
    } else if expires_at - now <= EXPIRY_WARNING {
        tracing::warn!(cert = %files.cert.display(), %expires, "the TLS certificate expires within 7 days");
    }
}

/// The TLS configuration in force, replaced on reload.
pub struct ReloadingTls {
    files: TlsFiles,
    config: RwLock<Arc<ServerConfig>>,
    /// The file contents last loaded or tried, so that a change is tried once.
    seen: Mutex<Option<Vec<Vec<u8>>>>,
}

impl ReloadingTls {
    /// Loads the files; an error names the file and what is wrong with it.
    pub fn new(files: TlsFiles) -> anyhow::Result<Arc<Self>> {
        let seen = files.read_all().ok();
        let (config, expires) = load(&files)?;
        warn_if_expiring(&files, expires);
        tracing::info!(cert = %files.cert.display(), client_certificates = files.client_ca.is_some(), expires = expires.map(rfc3339).map(tracing::field::display), "TLS on");
        Ok(Arc::new(Self {
            files,
            config: RwLock::new(config),
            seen: Mutex::new(seen),
        }))
    }

    /// An acceptor with the configuration in force now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(
            self.config
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }

    /// Reads the files again and, if they make a working configuration, uses it from now on.
    pub fn reload(&self) -> anyhow::Result<()> {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = self.files.read_all().ok();
        match load(&self.files) {
            Ok((config, expires)) => {
                *self.config.write().unwrap_or_else(|p| p.into_inner()) = config;
                metrics::counter!(TLS_RELOADS, "outcome" => "reloaded").increment(1);
                tracing::info!(cert = %self.files.cert.display(), expires = expires.map(rfc3339).map(tracing::field::display), "reloaded the TLS certificate");
                warn_if_expiring(&self.files, expires);
                Ok(())
            }
            Err(e) => {
                metrics::counter!(TLS_RELOADS, "outcome" => "failed").increment(1);
                tracing::warn!(
                    error = format!("{e:#}"),
                    "cannot reload the TLS certificate; still serving the previous one"
                );
                Err(e)
            }
        }
    }

    /// Whether the files' contents differ from those last loaded or tried.
    fn changed(&self) -> bool {
        let now = self.files.read_all().ok();
        now.is_some() && *self.seen.lock().unwrap_or_else(|p| p.into_inner()) != now
    }

    /// Reloads on SIGHUP and when the files change, until `stop` turns true.
    pub fn spawn_reloader(self: Arc<Self>, every: Duration, mut stop: watch::Receiver<bool>) {
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                .map_err(|e| tracing::warn!(error = %e, "cannot listen for SIGHUP; TLS files are reloaded when they change only"))
                .ok();
            loop {
                #[cfg(unix)]
                let hup = async {
                    match hangup.as_mut() {
                        Some(h) => {
                            h.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let hup = std::future::pending::<()>();
                tokio::select! {
                    () = hup => {
                        tracing::info!("SIGHUP received: reloading the TLS certificate");
                        let this = self.clone();
                        let _ = tokio::task::spawn_blocking(move || this.reload()).await;
                    }
                    () = tokio::time::sleep(every.max(Duration::from_millis(100))) => {
                        let this = self.clone();
                        let _ = tokio::task::spawn_blocking(move || {
                            if this.changed() {
                                let _ = this.reload();
                            }
                        })
                        .await;
                    }
                    () = async {
                        let _ = stop.wait_for(|s| *s).await;
                    } => return,
                }
            }
        });
    }
}

/// An accepted connection, in the clear or over TLS.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsConn>),
}

/// A TLS connection whose first bytes (the HTTP/2 preface, read to check it) are handed on before the rest.
pub struct TlsConn {
    stream: TlsStream<TcpStream>,
    replay: Vec<u8>,
    at: usize,
}

impl Conn {
    /// A TLS connection from which `read` was already read.
    pub fn tls(stream: TlsStream<TcpStream>, read: Vec<u8>) -> Self {
        Conn::Tls(Box::new(TlsConn {
            stream,
            replay: read,
            at: 0,
        }))
    }
}

impl Connected for Conn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        match self {
            Conn::Plain(s) => s.connect_info(),
            Conn::Tls(s) => s.stream.get_ref().0.connect_info(),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => {
                if s.at < s.replay.len() {
                    let n = buf.remaining().min(s.replay.len() - s.at);
                    buf.put_slice(&s.replay[s.at..s.at + n]);
                    s.at += n;
                    return Poll::Ready(Ok(()));
                }
                Pin::new(&mut s.stream).poll_read(cx, buf)
            }
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(&mut s.stream).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(&mut s.stream).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(&mut s.stream).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(&mut s.stream).poll_shutdown(cx),
        }
    }
}

/// The certificate's notAfter (RFC 5280, 4.1.2.5), read from its DER without a full parser: `None` if the
/// structure is not as expected.
fn not_after(cert: &CertificateDer<'_>) -> Option<DateTime<Utc>> {
    let (_, certificate, _) = tlv(cert.as_ref())?;
    let (_, mut tbs, _) = tlv(certificate)?;
    // [0] version is optional.
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs)?.2;
    }
    // serialNumber, signature, issuer, then validity.
    for _ in 0..3 {
        tbs = tlv(tbs)?.2;
    }
    let (_, validity, _) = tlv(tbs)?;
    let (_, _, rest) = tlv(validity)?;
    let (tag, time, _) = tlv(rest)?;
    let text = std::str::from_utf8(time).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        // UTCTime: two-digit years, 50-99 in the 1900s.
        0x17 => {
            let yy: i32 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| rest.get(i..i + 2)?.parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(year, field(0)?, field(2)?)?;
    Some(date.and_hms_opt(field(4)?, field(6)?, field(8)?)?.and_utc())
}

/// One DER tag-length-value: (tag, contents, what follows).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// Without TLS there is nothing to reload: SIGHUP (from a reload script, or a closed terminal) is logged and
/// ignored instead of ending the process by its default action, which would cut every stream without a status.
pub fn ignore_hangups(mut stop: watch::Receiver<bool>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = hangup.recv() => tracing::info!("SIGHUP received: no TLS certificate to reload; ignored"),
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    });
    #[cfg(not(unix))]
    drop(stop);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(not_after: (i32, u8, u8)) -> CertificateDer<'static> {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = rcgen::KeyPair::generate().expect("key");
        params.self_signed(&key).expect("certificate").der().clone()
    }

    #[test]
    fn the_expiry_is_read_from_utc_and_generalized_times() {
        // RFC 5280: UTCTime up to 2049, GeneralizedTime from 2050.
        for (y, m, d) in [(2031, 7, 15), (2049, 12, 31), (2050, 1, 1), (2199, 2, 28)] {
            let expected = NaiveDate::from_ymd_opt(y, u32::from(m), u32::from(d))
                .expect("date")
                .and_hms_opt(0, 0, 0)
                .expect("time")
                .and_utc();
            assert_eq!(
                not_after(&certificate((y, m, d))),
                Some(expected),
                "{y}-{m}-{d}"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_a_certificate_have_no_expiry() {
        let der = certificate((2031, 7, 15));
        for len in [0, 1, 2, 10, der.as_ref().len() / 2] {
            assert_eq!(
                not_after(&CertificateDer::from(der.as_ref()[..len].to_vec())),
                None,
                "{len}"
            );
        }
        assert_eq!(
            not_after(&CertificateDer::from(vec![
                0x30, 0x84, 0xff, 0xff, 0xff, 0xff
            ])),
            None
        );
    }
}
